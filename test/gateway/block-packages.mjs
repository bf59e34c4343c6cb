// `node --import ./test/gateway/block-packages.mjs` with POLKU_TEST_BLOCK=pkg1,pkg2: makes those
// packages impossible to import (a resolve hook answering ERR_MODULE_NOT_FOUND), as if not installed.
import { register } from 'node:module';

const blocked = (process.env.POLKU_TEST_BLOCK ?? '').split(',').filter(Boolean);
register(
	'data:text/javascript,' +
		encodeURIComponent(`
const blocked = ${JSON.stringify(blocked)};
export async function resolve(specifier, context, next) {
	if (blocked.some((p) => specifier === p || specifier.startsWith(p + '/'))) {
		throw Object.assign(new Error("Cannot find package '" + specifier + "' (blocked by the test)"), { code: 'ERR_MODULE_NOT_FOUND' });
	}
	return next(specifier, context);
}`),
);

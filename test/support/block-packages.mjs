// `node --import ./test/support/block-packages.mjs` with POLKU_TEST_BLOCK=mqtt,ws: makes those packages
// impossible to load (ESM resolve hook and require), as if they were not installed.
import Module, { register } from 'node:module';

const names = (process.env.POLKU_TEST_BLOCK ?? '').split(',').filter(Boolean);
const blocked = (s) => names.some((n) => s === n || s.startsWith(`${n}/`) || new RegExp(`[\\\\/]node_modules[\\\\/]${n}[\\\\/]`).test(s));

const hooks = `
const names = ${JSON.stringify(names)};
const blocked = ${blocked.toString()};
export async function resolve(specifier, context, next) {
	if (blocked(specifier)) throw Object.assign(new Error('blocked for the test: ' + specifier), { code: 'ERR_MODULE_NOT_FOUND' });
	const resolved = await next(specifier, context);
	if (blocked(resolved.url)) throw Object.assign(new Error('blocked for the test: ' + resolved.url), { code: 'ERR_MODULE_NOT_FOUND' });
	return resolved;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
	const resolved = blocked(request) ? request : resolveFilename.call(this, request, ...rest);
	if (blocked(resolved)) throw Object.assign(new Error(`Cannot find module '${request}' (blocked for the test)`), { code: 'MODULE_NOT_FOUND' });
	return resolved;
};

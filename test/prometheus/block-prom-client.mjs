// `node --import ./block-prom-client.mjs`: makes prom-client impossible to load,
// by ESM import (a resolve hook) and by require (Module._resolveFilename).
import Module, { register } from 'node:module';

const blocked = (s) => s === 'prom-client' || s.startsWith('prom-client/') || /[\\/]node_modules[\\/]prom-client[\\/]/.test(s);

const hooks = `
const blocked = ${blocked.toString()};
export async function resolve(specifier, context, next) {
	if (blocked(specifier)) throw Object.assign(new Error('prom-client is blocked: ' + specifier), { code: 'ERR_MODULE_NOT_FOUND' });
	const resolved = await next(specifier, context);
	if (blocked(resolved.url)) throw Object.assign(new Error('prom-client is blocked: ' + resolved.url), { code: 'ERR_MODULE_NOT_FOUND' });
	return resolved;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
	const resolved = blocked(request) ? request : resolveFilename.call(this, request, ...rest);
	if (blocked(resolved)) throw Object.assign(new Error(`Cannot find module '${request}' (blocked)`), { code: 'MODULE_NOT_FOUND' });
	return resolved;
};

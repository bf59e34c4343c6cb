// `node --import ./block-aws-sdk.mjs`: makes @aws-sdk/client-s3 impossible to load (as if it were not installed).
import { register } from 'node:module';

const hooks = `
const blocked = (s) => s === '@aws-sdk/client-s3' || /[\\\\/]node_modules[\\\\/]@aws-sdk[\\\\/]client-s3[\\\\/]/.test(s);
export async function resolve(specifier, context, next) {
	if (blocked(specifier)) throw Object.assign(new Error("Cannot find package '" + specifier + "' (blocked)"), { code: 'ERR_MODULE_NOT_FOUND' });
	return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);

// Module hooks that print every bare package specifier the process imports, one "IMPORT <name>" line on stderr each.
import { register } from 'node:module';

register(
	'data:text/javascript,' +
		encodeURIComponent(`
export async function resolve(specifier, context, next) {
	if (!/^(\\.|\\/|node:|file:|data:)/.test(specifier)) process.stderr.write('IMPORT ' + specifier + '\\n');
	return next(specifier, context);
}`),
);

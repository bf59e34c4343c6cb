import { ConfigError } from '../../errors.js';

export { checkInteger, checkNumber, checkOneOf } from '../../option-checks.js';

/** Returns `options` as an object, `{}` when undefined; throws `ConfigError` naming `field` otherwise. */
export function optionsObject<T extends object>(field: string, options: T | undefined): Partial<T> {
	if (options === undefined) return {};
	if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new ConfigError(field, 'must be an object');
	return options;
}

/** The middleware's name: `value` when given (a non-empty string), else `fallback`. */
export function middlewareName(field: string, value: unknown, fallback: string): string {
	if (value === undefined) return fallback;
	if (typeof value !== 'string' || value.length === 0) throw new ConfigError(field, `must be a non-empty string, got ${String(value)}`);
	return value;
}

/** Throws `ConfigError` unless `value` is a function. */
export function checkFunction<F extends (...args: never[]) => unknown>(field: string, value: F | undefined): F {
	if (typeof value !== 'function') throw new ConfigError(field, `must be a function, got ${value === null ? 'null' : typeof value}`);
	return value;
}

/** A monotonic millisecond clock: the one given, or `performance.now`. */
export function clockOption(field: string, value: (() => number) | undefined): () => number {
	return value === undefined ? () => performance.now() : checkFunction(field, value);
}

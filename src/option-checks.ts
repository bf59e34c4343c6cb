import { ConfigError } from './errors.js';

/**
 * Checks an integer option: returns `value` when it is an integer in
 * [`min`, `max`], else throws a {@link ConfigError} whose `field` names the
 * option. For adapters and middleware of your own, so that a bad option
 * fails like polku's own (`output "kafka".batchSize: must be an integer in
 * [1, 10000], got 0`).
 *
 * @param field - The option, as the user would find it, e.g. `KafkaOutput.maxInFlight`.
 * @example
 * ```ts
 * import { checkInteger } from 'polku';
 *
 * const prefetch = checkInteger('MyInput.prefetch', options.prefetch ?? 100, 1, 65_535);
 * ```
 */
export function checkInteger(field: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
	if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
		const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
		throw new ConfigError(field, `must be an integer ${range}, got ${String(value)}`);
	}
	return value;
}

/**
 * Checks a numeric option: returns `value` when it is a number in [`min`,
 * `max`] (finite unless `allowInfinity`), else throws a {@link ConfigError}
 * naming `field`.
 *
 * @example
 * ```ts
 * import { checkNumber } from 'polku';
 *
 * const timeoutMs = checkNumber('MyOutput.timeoutMs', options.timeoutMs ?? 5_000, 1, 2 ** 31 - 1);
 * ```
 */
export function checkNumber(field: string, value: unknown, min: number, max = Infinity, allowInfinity = false): number {
	const ok = typeof value === 'number' && !Number.isNaN(value) && value >= min && value <= max && (allowInfinity || Number.isFinite(value));
	if (!ok) throw new ConfigError(field, `must be a number in [${min}, ${max}], got ${String(value)}`);
	return value;
}

/**
 * Checks an option that takes one of a few strings: returns it, else throws a
 * {@link ConfigError} naming `field` and listing what is allowed.
 *
 * @example
 * ```ts
 * import { checkOneOf } from 'polku';
 *
 * const format = checkOneOf('MyOutput.format', options.format ?? 'json', ['json', 'ndjson'] as const);
 * ```
 */
export function checkOneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
	if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
		throw new ConfigError(field, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${String(value)}`);
	}
	return value as T;
}

import { hashFraction } from './internal/hash.js';
import { keyFunction, type KeySelector } from './internal/key.js';
import { checkFunction, checkNumber, middlewareName, optionsObject } from './internal/options.js';
import type { Middleware, MiddlewareContext } from './middleware.js';

/**
 * Options of {@link sample}.
 *
 * @example
 * ```ts
 * sample({ rate: 0.01, key: 'metadata.trace-id' });
 * ```
 */
export interface SampleOptions {
	/** The name in stats and events. @default 'sample' */
	readonly name?: string;
	/** Fraction of messages kept, in [0, 1]. */
	readonly rate: number;
	/**
	 * When given, the decision is a hash of the key (FNV-1a, finished with a
	 * MurmurHash3 mix) compared with `rate`: every message with the same key
	 * gets the same decision, in every process and run. Messages without a
	 * key are sampled at random.
	 */
	readonly key?: KeySelector;
	/** Source of randomness in [0, 1) (for tests). @default Math.random */
	readonly random?: () => number;
}

/**
 * Keeps a fraction `rate` of the messages; the rest are filtered out (`null`,
 * not a drop) and counted under `sampled-out`. Random by default, or
 * deterministic per key (keep whole traces, sessions or devices). Synchronous
 * and allocation-free.
 *
 * @param options - See {@link SampleOptions}.
 * @example
 * ```ts
 * import { Hub, sample } from 'polku';
 *
 * // Keep 10% of traces, all spans of a kept trace.
 * const hub = Hub.builder().middleware(sample({ rate: 0.1, key: 'metadata.trace-id' })).output(out).build();
 * ```
 */
export function sample(options: SampleOptions): Middleware {
	const o = optionsObject('sample.options', options);
	const name = middlewareName('sample.name', o.name, 'sample');
	const rate = checkNumber('sample.rate', o.rate, 0, 1);
	const keyOf = o.key === undefined ? undefined : keyFunction('sample.key', o.key);
	const random = o.random === undefined ? Math.random : checkFunction('sample.random', o.random);
	let context: MiddlewareContext | undefined;
	return {
		name,
		start(ctx) {
			context = ctx;
		},
		process(message) {
			const key = keyOf?.(message);
			const draw = typeof key === 'string' ? hashFraction(key) : random();
			if (draw < rate) return message;
			context?.count('sampled-out');
			return null;
		},
	};
}

import { keyFunction, type KeySelector } from './internal/key.js';
import { LruIndex } from './internal/lru-index.js';
import { checkInteger, checkNumber, clockOption, middlewareName, optionsObject } from './internal/options.js';
import { refill, TOKEN } from './internal/token-bucket.js';
import { reject, type Middleware } from './middleware.js';

/**
 * Options of {@link throttle}.
 *
 * @example
 * ```ts
 * throttle({ key: 'metadata.tenant', perSecond: 50, burst: 100, maxKeys: 50_000 });
 * ```
 */
export interface ThrottleOptions {
	/** The name in stats and events. @default 'throttle' */
	readonly name?: string;
	/** What a bucket belongs to. Messages without a key share the bucket of the empty key. @default 'source' */
	readonly key?: KeySelector;
	/** Sustained rate per key. */
	readonly perSecond: number;
	/** Bucket size per key. @default max(1, ceil(perSecond)) */
	readonly burst?: number;
	/** Most keys tracked at once; the least recently seen key is forgotten beyond it. @default 10000 */
	readonly maxKeys?: number;
	/** Monotonic clock in ms (for tests). @default performance.now */
	readonly now?: () => number;
}

/**
 * The middleware {@link throttle} returns.
 *
 * @example
 * ```ts
 * const limit = throttle({ perSecond: 10 });
 * setInterval(() => gauge.set(limit.keys), 10_000);
 * ```
 */
export interface ThrottleMiddleware extends Middleware {
	/** Keys tracked now (never above `maxKeys`). */
	readonly keys: number;
}

/**
 * Per-key rate limiting (by default per `source`): each key has its own
 * token bucket; a message over its key's limit is rejected with
 * `reject('throttled')` (drop reason `rejected`, counted under `throttled`).
 * Synchronous and allocation-free per message once a key is known.
 *
 * Memory is bounded whatever the key cardinality: at most `maxKeys` buckets
 * are kept, in least-recently-used order. A key that is evicted and comes
 * back starts with a full bucket, so size `maxKeys` above the number of keys
 * active within a refill period (`burst / perSecond` seconds).
 *
 * @param options - See {@link ThrottleOptions}.
 * @example
 * ```ts
 * import { Hub, throttle } from 'polku';
 *
 * const perDevice = throttle({ key: 'metadata.device-id', perSecond: 5, burst: 20, maxKeys: 100_000 });
 * const hub = Hub.builder().middleware(perDevice).output(out).build();
 * ```
 */
export function throttle(options: ThrottleOptions): ThrottleMiddleware {
	const o = optionsObject('throttle.options', options);
	const name = middlewareName('throttle.name', o.name, 'throttle');
	const keyOf = keyFunction('throttle.key', o.key ?? 'source');
	const perSecond = checkNumber('throttle.perSecond', o.perSecond, Number.MIN_VALUE);
	const burst = checkInteger('throttle.burst', o.burst ?? Math.max(1, Math.ceil(perSecond)), 1);
	const maxKeys = checkInteger('throttle.maxKeys', o.maxKeys ?? 10_000, 1);
	const now = clockOption('throttle.now', o.now);

	const index = new LruIndex(maxKeys);
	const levels: number[] = [];
	const lasts: number[] = [];
	return {
		name,
		get keys() {
			return index.size;
		},
		process(message) {
			const key = keyOf(message) ?? '';
			const t = now();
			let slot = index.touch(key);
			let level: number;
			if (slot < 0) {
				slot = index.insert(key);
				level = burst * TOKEN;
				lasts[slot] = t;
			} else {
				const last = lasts[slot]!;
				level = refill(levels[slot]!, last, t, perSecond, burst);
				if (t > last) lasts[slot] = t;
			}
			if (level < TOKEN) {
				levels[slot] = level;
				return reject('throttled');
			}
			levels[slot] = level - TOKEN;
			return message;
		},
	};
}

import { keyFunction, type KeySelector } from './internal/key.js';
import { LruIndex } from './internal/lru-index.js';
import { checkInteger, checkNumber, clockOption, middlewareName, optionsObject } from './internal/options.js';
import type { Middleware, MiddlewareContext } from './middleware.js';

/**
 * Options of {@link dedup}.
 *
 * @example
 * ```ts
 * dedup({ key: 'metadata.idempotency-key', ttlMs: 10 * 60_000, maxEntries: 500_000 });
 * ```
 */
export interface DedupOptions {
	/** The name in stats and events. @default 'dedup' */
	readonly name?: string;
	/** What makes two messages the same. Messages without a key always pass. @default 'id' */
	readonly key?: KeySelector;
	/** How long after its first sighting a key counts as seen. @default 60000 */
	readonly ttlMs?: number;
	/** Most keys remembered at once; beyond it the oldest is forgotten early. @default 100000 */
	readonly maxEntries?: number;
	/** Monotonic clock in ms (for tests). @default performance.now */
	readonly now?: () => number;
}

/**
 * The middleware {@link dedup} returns.
 *
 * @example
 * ```ts
 * const seen = dedup({ ttlMs: 30_000 });
 * setInterval(() => gauge.set(seen.entries), 10_000);
 * ```
 */
export interface DedupMiddleware extends Middleware {
	/** Keys remembered now (never above `maxEntries`). */
	readonly entries: number;
}

/**
 * Filters out repeats: a message whose key (by default its `id`) was seen
 * less than `ttlMs` ago returns `null` (not a drop) and is counted under
 * `duplicate`. The window runs from a key's first sighting; repeats do not
 * extend it.
 *
 * Memory is bounded by `maxEntries` at all times, not only after a cleanup:
 * expired keys are forgotten as time passes (oldest first, as messages
 * arrive), and when the table is full the oldest key is forgotten to make
 * room (counted under `evicted`; a repeat of it then passes). Synchronous.
 *
 * @param options - See {@link DedupOptions}.
 * @example
 * ```ts
 * import { dedup, Hub } from 'polku';
 *
 * // At-least-once producers retry: pass each order event once per 5 minutes.
 * const hub = Hub.builder().middleware(dedup({ key: 'metadata.event-id', ttlMs: 300_000 })).output(out).build();
 * ```
 */
export function dedup(options?: DedupOptions): DedupMiddleware {
	const o = optionsObject('dedup.options', options);
	const name = middlewareName('dedup.name', o.name, 'dedup');
	const keyOf = keyFunction('dedup.key', o.key ?? 'id');
	const ttlMs = checkNumber('dedup.ttlMs', o.ttlMs ?? 60_000, 0, Infinity, true);
	const maxEntries = checkInteger('dedup.maxEntries', o.maxEntries ?? 100_000, 1);
	const now = clockOption('dedup.now', o.now);

	const index = new LruIndex(maxEntries);
	const expiries: number[] = [];
	let context: MiddlewareContext | undefined;
	return {
		name,
		get entries() {
			return index.size;
		},
		start(ctx) {
			context = ctx;
		},
		process(message) {
			const key = keyOf(message);
			if (key === undefined) return message;
			const t = now();
			for (let oldest = index.oldest(); oldest >= 0 && expiries[oldest]! <= t; oldest = index.oldest()) index.removeSlot(oldest);
			if (index.peek(key) >= 0) {
				context?.count('duplicate');
				return null;
			}
			if (index.isFull) context?.count('evicted');
			expiries[index.insert(key)] = t + ttlMs;
			return message;
		},
	};
}

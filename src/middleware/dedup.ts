import { keyFunction, type KeySelector } from './internal/key.js';
import { LruIndex } from './internal/lru-index.js';
import { checkInteger, checkNumber, clockOption, middlewareName, optionsObject } from './internal/options.js';
import type { Message } from '../message/message.js';
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
 * A repeat never turns into a loss. In a hub, dedup learns each message's
 * fate (the `settled` hook): a key is kept only while its message is accepted
 * (`send`) or delivered (`deliver`); when the message is lost after dedup
 * (rejected later, dropped, failed at an output) its key is forgotten, so
 * the source's redelivery passes. A repeat that arrives while the first
 * sighting's fate is still open waits for it (an async step for that message
 * only): filtered if the first one made it, passed on in its place if it did
 * not. Used on its own (no hub), a key counts as seen from its first sighting.
 *
 * Memory is bounded by `maxEntries` at all times, not only after a cleanup:
 * expired keys are forgotten as time passes (oldest first, as messages
 * arrive), and when the table is full the oldest key is forgotten to make
 * room (counted under `evicted`; a repeat of it then passes, as do repeats
 * waiting on it).
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
	/** Per slot, while the first sighting's fate is open (fates tracked): the message dedup passed. */
	const open: (Message | undefined)[] = [];
	/** Per slot, repeats waiting for that fate. */
	const waiting: (Waiter[] | undefined)[] = [];
	let context: MiddlewareContext | undefined;
	let fates = false;

	/** Forgets `slot`; repeats waiting on it pass (their first sighting's fate no longer matters). */
	const forget = (slot: number): void => {
		const waiters = waiting[slot];
		open[slot] = undefined;
		waiting[slot] = undefined;
		index.removeSlot(slot);
		if (waiters !== undefined) for (const w of waiters) w.resolve(w.message);
	};

	const remember = (key: string, message: Message, t: number): void => {
		if (index.isFull) {
			context?.count('evicted');
			forget(index.oldest());
		}
		const slot = index.insert(key);
		expiries[slot] = t + ttlMs;
		open[slot] = fates ? message : undefined;
		waiting[slot] = undefined;
	};

	return {
		name,
		get entries() {
			return index.size;
		},
		start(ctx) {
			context = ctx;
			fates = ctx.fates === true;
		},
		process(message) {
			const key = keyOf(message);
			if (key === undefined) return message;
			const t = now();
			for (let oldest = index.oldest(); oldest >= 0 && expiries[oldest]! <= t; oldest = index.oldest()) forget(oldest);
			const slot = index.peek(key);
			if (slot < 0) {
				remember(key, message, t);
				return message;
			}
			if (open[slot] !== undefined) {
				// The first sighting is still on its way: this repeat waits for its fate.
				return new Promise<Message | null>((resolve) => (waiting[slot] ??= []).push({ message, resolve }));
			}
			context?.count('duplicate');
			return null;
		},
		settled(message, ok) {
			const key = keyOf(message);
			if (key === undefined) return;
			const slot = index.peek(key);
			if (slot < 0 || open[slot] !== message) return; // forgotten meanwhile, or another sighting's entry
			const waiters = waiting[slot];
			waiting[slot] = undefined;
			if (ok) {
				open[slot] = undefined;
				if (waiters !== undefined) {
					context?.count('duplicate', waiters.length);
					for (const w of waiters) w.resolve(null);
				}
				return;
			}
			if (waiters === undefined || waiters.length === 0) {
				open[slot] = undefined;
				index.removeSlot(slot);
				return;
			}
			// The first sighting was lost: the first repeat waiting takes its place.
			const [next, ...rest] = waiters;
			open[slot] = next!.message;
			if (rest.length > 0) waiting[slot] = rest;
			next!.resolve(next!.message);
		},
	};
}

interface Waiter {
	readonly message: Message;
	readonly resolve: (result: Message | null) => void;
}

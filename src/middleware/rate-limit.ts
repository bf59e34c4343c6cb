import { DelayQueue } from './internal/delay-queue.js';
import { MiddlewareTimers } from './internal/timers.js';
import { checkInteger, checkNumber, checkOneOf, clockOption, middlewareName, optionsObject } from './internal/options.js';
import { TokenBucket } from './internal/token-bucket.js';
import { reject, type Middleware, type MiddlewareContext } from './middleware.js';

/**
 * Options of {@link rateLimit}.
 *
 * @example
 * ```ts
 * rateLimit({ perSecond: 500, burst: 1000, mode: 'delay', maxDelayMs: 2000 });
 * ```
 */
export interface RateLimitOptions {
	/** The name in stats and events. @default 'rate-limit' */
	readonly name?: string;
	/** Sustained rate: tokens added per second. */
	readonly perSecond: number;
	/** Bucket size: messages that may pass at once after a quiet period. @default max(1, ceil(perSecond)) */
	readonly burst?: number;
	/**
	 * Over the limit, `drop` rejects the message at once (`rate-limited`);
	 * `delay` holds it until a token is refilled. @default 'drop'
	 */
	readonly mode?: 'drop' | 'delay';
	/**
	 * `delay` mode: the longest a message may expect to be held, estimated on
	 * arrival from the messages ahead of it; one that would wait longer is
	 * rejected. Timers fire on whole milliseconds, so with `burst: 1` each
	 * message ahead can add up to 1 ms to the actual wait. @default 1000
	 */
	readonly maxDelayMs?: number;
	/** Monotonic clock in ms (for tests). @default performance.now */
	readonly now?: () => number;
}

/**
 * A global token bucket in front of everything after it: at most
 * `burst + perSecond × W / 1000` messages pass in any window of `W` ms.
 *
 * - `drop` mode is synchronous: over the limit, `reject('rate-limited')`
 *   (drop reason `rejected`, counted under `rate-limited`).
 * - `delay` mode passes synchronously while tokens last; after that it returns
 *   a promise that resolves when a token is refilled, in arrival order
 *   (counted under `delayed`). Tokens are taken when a held message is
 *   released, so the bound holds for release times even when timers fire
 *   late. Waiting is bounded: a message that would wait more than
 *   `maxDelayMs` (given the messages ahead of it) is rejected with
 *   `rate-limited` instead, so under sustained overload at most
 *   `1 + perSecond × maxDelayMs / 1000` messages are held and the excess is
 *   rejected, never queued without bound. Held messages count as `admitting`
 *   in the hub's stats; the sender's `send()` resolves when the message is
 *   released, which is the backpressure.
 *
 * @param options - See {@link RateLimitOptions}.
 * @example
 * ```ts
 * import { Hub, rateLimit } from 'polku';
 *
 * const hub = Hub.builder()
 *   .middleware(rateLimit({ perSecond: 1000, burst: 2000, mode: 'delay', maxDelayMs: 500 }))
 *   .output(out)
 *   .build();
 * ```
 */
export function rateLimit(options: RateLimitOptions): Middleware {
	const o = optionsObject('rateLimit.options', options);
	const name = middlewareName('rateLimit.name', o.name, 'rate-limit');
	const perSecond = checkNumber('rateLimit.perSecond', o.perSecond, Number.MIN_VALUE);
	const burst = checkInteger('rateLimit.burst', o.burst ?? Math.max(1, Math.ceil(perSecond)), 1);
	const mode = checkOneOf('rateLimit.mode', o.mode ?? 'drop', ['drop', 'delay'] as const);
	const maxDelayMs = checkNumber('rateLimit.maxDelayMs', o.maxDelayMs ?? 1000, 0);
	const now = clockOption('rateLimit.now', o.now);
	const bucket = new TokenBucket(perSecond, burst, now());

	if (mode === 'drop') {
		return { name, process: (message) => (bucket.tryTake(now()) ? message : reject('rate-limited')) };
	}

	const timers = new MiddlewareTimers();
	const queue = new DelayQueue(bucket, now, timers);
	let context: MiddlewareContext | undefined;
	return {
		name,
		start(ctx) {
			context = ctx;
			timers.attach(ctx.signal);
		},
		process(message) {
			const t = now();
			// While messages wait, a newcomer queues behind them even if a token is free: arrival order is kept.
			if (queue.length === 0 && bucket.tryTake(t)) return message;
			if (bucket.msUntil(queue.length + 1, t) > maxDelayMs) return reject('rate-limited');
			context?.count('delayed');
			return queue.hold(message);
		},
	};
}

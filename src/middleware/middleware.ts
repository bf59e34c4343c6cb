import type { SendOutcome } from '../input/input.js';
import type { Logger } from '../logger.js';
import type { Message } from '../message/message.js';

/**
 * A middleware's deliberate refusal of a message, made with {@link reject}.
 * The hub drops the message with reason `rejected`, counts it under the
 * middleware's name and `label`, and announces it with a `drop` event.
 *
 * @example
 * ```ts
 * import { Rejection, reject } from 'polku';
 *
 * const r = reject('unauthorized');
 * r instanceof Rejection; // true
 * r.label;                // 'unauthorized'
 * ```
 */
export class Rejection {
	/** A short reason such as `unauthorized`; also a counter name in the middleware's stats. */
	readonly label: string;
	/** What went wrong in detail, if known. */
	readonly cause: Error | undefined;

	/** Use {@link reject}. */
	constructor(label: string, cause?: Error) {
		this.label = label;
		this.cause = cause;
	}
}

const cachedRejections = new Map<string, Rejection>();

/**
 * Rejects a message from a middleware's `process` (drop reason `rejected`),
 * unlike returning `null`, which filters it out on purpose and is not a drop.
 * Without a `cause`, the result is cached per label, so rejecting allocates
 * nothing.
 *
 * @param label - Why, in a word or two: `unauthorized`, `invalid`, `rate-limited`.
 * @param cause - Details, carried as the `RejectedError`'s cause.
 * @example
 * ```ts
 * import { reject, type Middleware } from 'polku';
 *
 * const requireTenant: Middleware = {
 *   name: 'require-tenant',
 *   process: (msg) => (msg.metadata['tenant'] ? msg : reject('missing-tenant')),
 * };
 * ```
 */
export function reject(label: string, cause?: Error): Rejection {
	if (cause !== undefined) return new Rejection(label, cause);
	let cached = cachedRejections.get(label);
	if (cached === undefined) {
		cached = Object.freeze(new Rejection(label));
		if (cachedRejections.size < 1000) cachedRejections.set(label, cached);
	}
	return cached;
}

/**
 * What a middleware's `process` may return: the message (same or new),
 * `null` / `undefined` to filter it out, a {@link Rejection} (from
 * {@link reject}) to drop it with reason `rejected`, or a promise of any of
 * these.
 *
 * @example
 * ```ts
 * import type { MiddlewareResult, Message } from 'polku';
 *
 * const dropEmpty = (msg: Message): MiddlewareResult => (msg.payload.length === 0 ? null : msg);
 * ```
 */
export type MiddlewareResult = Message | null | undefined | Rejection | Promise<Message | null | undefined | Rejection>;

/**
 * Given to a middleware's `start` hook.
 *
 * @example
 * ```ts
 * let context: MiddlewareContext | undefined;
 * const mw: Middleware = { name: 'held', start: (c) => void (context = c), process: (m) => m };
 * ```
 */
export interface MiddlewareContext {
	/**
	 * Continues a message through the middleware after this one, then the
	 * buffer, as if this middleware had returned it. For middleware that holds
	 * messages back and releases them later (aggregation windows).
	 */
	emit(message: Message): Promise<SendOutcome>;
	/** Adds `n` to a named counter of this middleware in `hub.stats().middleware`. */
	count(counter: string, n?: number): void;
	/** Aborted when the hub stops. */
	readonly signal: AbortSignal;
	/** The hub's logger (silent unless one was configured). */
	readonly logger: Logger;
	/**
	 * True when the hub reports each message's fate to this middleware's
	 * `settled` hook (it does for every middleware that defines one).
	 * @default false
	 */
	readonly fates?: boolean;
}

/**
 * A step between the inputs and the buffer: transform, filter, route, enrich.
 * Return the message (the same or a new one; a spread copy is fine),
 * `null` / `undefined` to filter it out, or `reject(label)` to refuse it. When every middleware returns
 * synchronously, the hub creates no promise per message. A throw or rejection
 * drops that message with reason `middleware-error`; the hub keeps running.
 *
 * @example
 * ```ts
 * import { Hub, type Middleware } from 'polku';
 *
 * const stamp: Middleware = {
 *   name: 'stamp',
 *   process: (msg) => ({ ...msg, metadata: { ...msg.metadata, 'received-by': 'gateway-1' } }),
 * };
 * const hub = Hub.builder().middleware(stamp).output(out).build();
 *
 * // Told what became of each message it passed (dedup uses this to forget a key whose message was lost):
 * const audit: Middleware = {
 *   name: 'audit',
 *   process: (msg) => msg,
 *   settled: (msg, ok) => void (ok || console.warn(`lost after audit: ${msg.id}`)),
 * };
 * ```
 */
export interface Middleware {
	/** Names the middleware in stats, events and the manifest. */
	readonly name: string;
	process(message: Message): MiddlewareResult;
	/** Called by `hub.start()` before any message flows. */
	start?(context: MiddlewareContext): void | Promise<void>;
	/**
	 * Called by `hub.stop()` after the inputs have returned and every message
	 * that was inside an earlier middleware has passed this one, before the
	 * buffer drains: release held messages through `context.emit` here.
	 */
	stop?(): void | Promise<void>;
	/**
	 * Told the final fate of each message this middleware passed on (returned
	 * a message for), with the message it returned. `ok` is `true` when the
	 * source will not need to send it again: the hub accepted it (`send` /
	 * `sendBatch`), every routed output confirmed it (`deliver` /
	 * `deliverBatch`), or a later middleware filtered it out. `ok` is `false`
	 * when it was lost after this middleware (rejected or failed later in the
	 * chain, dropped before the buffer, or, when delivered, failed or
	 * dead-lettered at an output), so the source may send it again. The hub
	 * tracks fates only for middleware that define this hook. Synchronous; a
	 * throw counts as an error of this middleware.
	 */
	settled?(message: Message, ok: boolean): void;
}

import type { SendOutcome } from '../input/input.js';
import type { Logger } from '../logger.js';
import type { Message } from '../message/message.js';

/**
 * What a middleware's `process` may return: the message (same or new),
 * `null` / `undefined` to filter it out, or a promise of either.
 *
 * @example
 * ```ts
 * import type { MiddlewareResult, Message } from 'polku';
 *
 * const dropEmpty = (msg: Message): MiddlewareResult => (msg.payload.length === 0 ? null : msg);
 * ```
 */
export type MiddlewareResult = Message | null | undefined | Promise<Message | null | undefined>;

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
}

/**
 * A step between the inputs and the buffer: transform, filter, route, enrich.
 * Return the message (the same or a new one; a spread copy is fine), or
 * `null` / `undefined` to filter it out. When every middleware returns
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
 * ```
 */
export interface Middleware {
	/** Names the middleware in stats, events and the manifest. */
	readonly name: string;
	process(message: Message): MiddlewareResult;
	/** Called by `hub.start()` before any message flows. */
	start?(context: MiddlewareContext): void | Promise<void>;
	/**
	 * Called by `hub.stop()` after the inputs have returned and before the
	 * buffer drains: release held messages through `context.emit` here.
	 */
	stop?(): void | Promise<void>;
}

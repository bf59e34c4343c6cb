import type { Message } from '../message/message.js';

/**
 * A destination. The hub calls `send` with batches (at most one in flight per
 * output, in order); a rejected promise is a failed send, retried according to
 * the output's options and then dead-lettered or dropped. A batch must not be
 * mutated; the messages and their payloads may be kept.
 *
 * @example
 * ```ts
 * import type { Output } from 'polku';
 *
 * const console_: Output = {
 *   name: 'console',
 *   async send(batch) {
 *     for (const msg of batch) console.log(msg.id, msg.messageType);
 *   },
 * };
 * ```
 */
export interface Output {
	/** Unique among the hub's outputs (including dead-letter outputs). */
	readonly name: string;
	/**
	 * Sends one batch; resolve when the destination has it. `signal` aborts
	 * when the hub gives up on this send (its `timeoutMs` passed, or `stop()`
	 * reached its deadline): an output that can cancel its I/O should. The hub
	 * passes a signal only when `send` declares the parameter
	 * (`send.length >= 2`), since making one costs microseconds.
	 */
	send(batch: readonly Message[], signal?: AbortSignal): Promise<void>;
	/** Whether the destination is reachable; used by `hub.health()`. @default always healthy */
	health?(): boolean | Promise<boolean>;
	/** Releases connections; called once by `hub.stop()` after draining. */
	close?(): Promise<void>;
}

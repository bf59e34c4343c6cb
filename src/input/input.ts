import type { DropReason } from '../errors.js';
import type { MessageLike } from '../message/message.js';

/**
 * The result of {@link Sink.send}: the message was accepted into the buffer,
 * filtered out by a middleware, or dropped (with the reason).
 *
 * `id` is the id of the message as it entered the hub (before middleware).
 *
 * @example
 * ```ts
 * const outcome = await sink.send({ source: 'agent', messageType: 'heartbeat' });
 * if (outcome.status === 'dropped') console.warn(outcome.id, outcome.reason);
 * ```
 */
export type SendOutcome =
	| { readonly status: 'accepted'; readonly id: string }
	| { readonly status: 'filtered'; readonly id: string }
	| { readonly status: 'dropped'; readonly id: string; readonly reason: DropReason; readonly error?: Error };

/**
 * One message of a batch that was dropped before the buffer.
 *
 * @example
 * ```ts
 * const { dropped } = await sink.sendBatch(messages);
 * for (const d of dropped) console.warn(`#${d.index} (${d.id}): ${d.reason}`);
 * ```
 */
export interface BatchDrop {
	/** Position in the batch that was sent. */
	readonly index: number;
	/** Id of the message as it entered the hub. */
	readonly id: string;
	readonly reason: DropReason;
	readonly error?: Error;
}

/**
 * The result of {@link Sink.sendBatch}. Every message of the batch is in
 * exactly one of `accepted`, `filtered` or `dropped`.
 *
 * @example
 * ```ts
 * const { accepted, filtered, dropped } = await sink.sendBatch(messages);
 * console.log(accepted + filtered + dropped.length === messages.length); // true
 * ```
 */
export interface BatchOutcome {
	readonly accepted: number;
	readonly filtered: number;
	readonly dropped: readonly BatchDrop[];
}

/**
 * The result of {@link Sink.deliver}: every output the message was routed to
 * confirmed it (`delivered`), or a middleware filtered it out (`filtered`).
 * Failures reject with a `DeliveryError` instead.
 *
 * @example
 * ```ts
 * const { status } = await sink.deliver(message); // 'delivered' | 'filtered'
 * ```
 */
export interface DeliveryOutcome {
	readonly status: 'delivered' | 'filtered';
	readonly id: string;
}

/**
 * One message of a batch that did not reach every output it was routed to.
 *
 * @example
 * ```ts
 * const { failed } = await sink.deliverBatch(messages);
 * const retry = failed.map((f) => messages[f.index]);
 * ```
 */
export interface DeliveryFailure {
	readonly index: number;
	readonly id: string;
	readonly reason: DropReason | 'dead-lettered';
	/** The output where delivery failed, when the failure belongs to one. */
	readonly output?: string;
	readonly error?: Error;
}

/**
 * The result of {@link Sink.deliverBatch}. Every message of the batch is in
 * exactly one of `delivered`, `filtered` or `failed`.
 *
 * @example
 * ```ts
 * const result = await sink.deliverBatch(messages);
 * if (result.failed.length === 0) await consumer.commit();
 * ```
 */
export interface DeliveryBatchOutcome {
	readonly delivered: number;
	readonly filtered: number;
	readonly failed: readonly DeliveryFailure[];
}

/**
 * Options of `sendBatch` / `deliverBatch`.
 *
 * @example
 * ```ts
 * // Give up (and answer 503) if the buffer stays full for 2 s:
 * const outcome = await sink.sendBatch(messages, { signal: AbortSignal.timeout(2_000) });
 * ```
 */
export interface BatchOptions {
	/**
	 * Stops waiting for buffer space (overflow policy `block`) when it
	 * aborts: the messages of the call not admitted by then are dropped with
	 * reason `overflow` and reported in the outcome, so the caller knows
	 * exactly which to retry. Messages already admitted stay admitted.
	 */
	readonly signal?: AbortSignalLike;
}

/**
 * What polku needs of an abort signal: an `AbortSignal` fits, and so does a
 * lighter object of your own (creating an `AbortController` per request
 * costs microseconds on a hot path).
 *
 * @example
 * ```ts
 * const signal: AbortSignalLike = AbortSignal.timeout(1_000);
 * ```
 */
export interface AbortSignalLike {
	readonly aborted: boolean;
	readonly reason?: unknown;
	addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
	removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * How an {@link Input} hands messages to the hub. Every method takes a
 * message or a {@link MessageInit} (a message is created from it).
 *
 * `send*` resolve once the hub has decided (accepted into the buffer, filtered,
 * or dropped); under the `block` overflow policy they wait for buffer space.
 * `deliver*` resolve only when every output the message routes to has
 * confirmed it, which is what a broker input needs to ack after delivery.
 *
 * All four reject only on misuse: a value that is not a message (a
 * `MessageValidationError` naming the field, for batches prefixed with the
 * index, and nothing of that batch is sent).
 *
 * @example
 * ```ts
 * import type { Input } from 'polku';
 *
 * const ticker: Input = {
 *   name: 'ticker',
 *   async run(sink, signal) {
 *     while (!signal.aborted) {
 *       await sink.send({ source: 'ticker', messageType: 'tick', payload: String(Date.now()) });
 *       await new Promise((r) => setTimeout(r, 1000));
 *     }
 *   },
 * };
 * ```
 */
export interface Sink {
	/** Sends one message; resolves when the hub has accepted, filtered or dropped it. */
	send(message: MessageLike): Promise<SendOutcome>;
	/** Sends many messages for the cost of one call; order is kept. */
	sendBatch(messages: readonly MessageLike[], options?: BatchOptions): Promise<BatchOutcome>;
	/** Resolves when every routed output confirmed the message; rejects with `DeliveryError` otherwise. */
	deliver(message: MessageLike): Promise<DeliveryOutcome>;
	/** Batch form of `deliver`; resolves (never rejects for delivery failures) with per-message failures. */
	deliverBatch(messages: readonly MessageLike[], options?: BatchOptions): Promise<DeliveryBatchOutcome>;
	/**
	 * Records a poison message: something the input received but cannot turn
	 * into a message (undecodable bytes, a malformed envelope) and gives up on
	 * (after acking, terminating or dead-lettering it at its source, so it is
	 * not redelivered forever). Pass the raw bytes as the payload. The hub
	 * counts it as received and dropped with reason `invalid` (also in this
	 * input's `stats().inputs[name].invalid`), emits a `drop` event carrying it,
	 * and logs it. It never enters the buffer.
	 *
	 * @example
	 * ```ts
	 * try {
	 *   message = decode(raw);
	 * } catch (error) {
	 *   await source.terminate(raw);
	 *   sink.dropInvalid({ source: 'orders-queue', messageType: 'polku.invalid', payload: raw.body }, error as Error);
	 * }
	 * ```
	 */
	dropInvalid(message: MessageLike, error: Error): void;
	/** Messages in the buffer now. */
	readonly bufferSize: number;
	/** The buffer's capacity. */
	readonly bufferCapacity: number;
}

/**
 * A source of messages: a server, a consumer, a timer. The hub calls `run`
 * once at `start()`; `run` sends into `sink` until `signal` aborts (on
 * `stop()`), then returns. A rejected `run` raises the hub's `error` event and
 * does not affect other inputs.
 *
 * @example
 * ```ts
 * import { Hub, type Input } from 'polku';
 * import { MemoryOutput } from 'polku/testing';
 *
 * const once: Input = {
 *   name: 'once',
 *   async run(sink) {
 *     await sink.send({ source: 'once', messageType: 'hello', payload: 'world' });
 *   },
 * };
 * const hub = Hub.builder().input(once).output(new MemoryOutput()).build();
 * ```
 */
export interface Input {
	/** Unique among the hub's inputs. */
	readonly name: string;
	run(sink: Sink, signal: AbortSignal): Promise<void>;
}

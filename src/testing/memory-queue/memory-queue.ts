import { EventEmitter } from 'eventemitter3';
import { toEnvelopeHeaders, type EnvelopeHeader } from '../../envelope/headers.js';
import { ConfigError, MessageValidationError, PolkuError } from '../../errors.js';
import { checkInteger, checkNumber } from '../../hub/options.js';
import { toMessage, toPayload, type MessageLike } from '../../message/message.js';
import { QueueEngine } from './engine.js';
import type { DeadLetter, MemoryQueueConsumer, MemoryQueueEvents, MemoryQueueOptions, MemoryQueueStats } from './types.js';

/** Copies and checks headers: name/value pairs of strings. */
function copyHeaders(headers: Iterable<EnvelopeHeader>): readonly EnvelopeHeader[] {
	if (headers === null || typeof headers !== 'object' || typeof (headers as Iterable<unknown>)[Symbol.iterator] !== 'function') {
		throw new MessageValidationError('headers', 'must be an iterable of [name, value] pairs');
	}
	const out: EnvelopeHeader[] = [];
	let i = 0;
	for (const header of headers) {
		if (!Array.isArray(header) || header.length !== 2 || typeof header[0] !== 'string' || typeof header[1] !== 'string') {
			throw new MessageValidationError(`headers[${i}]`, 'must be a [name, value] pair of strings');
		}
		out.push(Object.freeze([header[0], header[1]]) as EnvelopeHeader);
		i++;
	}
	return Object.freeze(out);
}

/**
 * An in-memory message queue with at-least-once semantics, a stand-in for a
 * broker in unit tests (and the reference source of the input conformance
 * suite). Messages travel as headers and payload bytes, like on a broker:
 * {@link MemoryQueue.publishMessages} writes the envelope with
 * `toEnvelopeHeaders`, so a consumer decodes it (and can meet undecodable
 * messages).
 *
 * - Competing consumers (`consumer()`), each holding at most `prefetch`
 *   unsettled deliveries: `fetch` waits while it holds that many.
 * - A delivery is settled with `ack()`, `nack(delayMs)` (delivered again after
 *   the delay) or `term()` (dead-lettered, never again). One not settled
 *   within `ackWaitMs`, or held by a consumer that closes, is delivered again.
 * - A message delivered `maxDeliveries` times is dead-lettered instead of
 *   delivered again; dead letters are kept in `deadLetters` and announced by
 *   the `dead-letter` event.
 * - Redeliveries go first (in sequence order), then new messages in publish
 *   order; with one consumer and no redelivery, order is kept.
 *
 * Timers are unref'd: a forgotten queue does not keep the process alive.
 *
 * @example
 * ```ts
 * import { createMessage } from 'polku';
 * import { MemoryQueue } from 'polku/testing';
 *
 * const queue = new MemoryQueue({ name: 'orders', ackWaitMs: 1_000, maxDeliveries: 3 });
 * queue.publishMessages([createMessage({ source: 'shop', messageType: 'order.created', payload: '{"id":1}' })]);
 * queue.publish('not polku', [['content-type', 'text/plain']]); // a plain producer's message
 *
 * const consumer = queue.consumer({ prefetch: 10 });
 * const [first, second] = await consumer.fetch(10);
 * first!.ack();
 * second!.nack(100); // delivered again in 100 ms
 * queue.on('dead-letter', (letter) => console.warn('gave up on', letter.seq, letter.reason));
 * ```
 */
export class MemoryQueue extends EventEmitter<MemoryQueueEvents> {
	readonly name: string;
	readonly #engine: QueueEngine;

	/** How long a delivery may stay unsettled before the queue takes it back (see {@link MemoryQueueOptions.ackWaitMs}). */
	get ackWaitMs(): number {
		return this.#engine.settings.ackWaitMs;
	}

	constructor(options: MemoryQueueOptions = {}) {
		super();
		if (options === null || typeof options !== 'object') throw new ConfigError('options', 'must be an object');
		const name = options.name ?? 'memory-queue';
		if (typeof name !== 'string' || name === '') throw new ConfigError('name', 'must be a non-empty string');
		this.name = name;
		const maxDeliveries = options.maxDeliveries ?? Infinity;
		if (maxDeliveries !== Infinity) checkInteger('maxDeliveries', maxDeliveries, 1);
		this.#engine = new QueueEngine(
			{
				name,
				ackWaitMs: checkNumber('ackWaitMs', options.ackWaitMs ?? 30_000, 1, Infinity, true),
				redeliveryDelayMs: checkNumber('redeliveryDelayMs', options.redeliveryDelayMs ?? 0, 0),
				maxDeliveries,
			},
			(letter) => this.emit('dead-letter', letter),
		);
	}

	/**
	 * Publishes one raw message: its payload (a string is UTF-8 encoded) and
	 * headers (copied). Returns its sequence number. Throws
	 * `MessageValidationError` for a payload or header of the wrong type, and
	 * `PolkuError` (`ERR_POLKU_QUEUE_CLOSED`) after `close()`.
	 */
	publish(payload: Uint8Array | string, headers: Iterable<EnvelopeHeader> = []): number {
		this.#open();
		return this.#engine.publish(copyHeaders(headers), toPayload(payload));
	}

	/** Publishes messages as a polku output would: envelope as headers (`toEnvelopeHeaders`), payload as the body, in order. */
	publishMessages(messages: readonly MessageLike[]): void {
		this.#open();
		if (!Array.isArray(messages)) throw new MessageValidationError('messages', 'must be an array');
		const converted = messages.map((m, i) => {
			try {
				return toMessage(m);
			} catch (error) {
				if (error instanceof MessageValidationError) throw new MessageValidationError(`[${i}].${error.field}`, error.detail);
				throw error;
			}
		});
		for (const message of converted) this.#engine.publish(Object.freeze(toEnvelopeHeaders(message)), message.payload);
	}

	/** A new competing consumer holding at most `prefetch` unsettled deliveries (default 100). */
	consumer(options: { readonly prefetch?: number } = {}): MemoryQueueConsumer {
		return this.#engine.consumer(checkInteger('prefetch', options.prefetch ?? 100, 1));
	}

	/** Messages the queue gave up on, oldest first. */
	get deadLetters(): readonly DeadLetter[] {
		return this.#engine.deadLetters;
	}

	/** Messages not yet acked or dead-lettered: ready, delayed and unacked. */
	get size(): number {
		const e = this.#engine;
		return e.ready + e.delayed + e.unacked;
	}

	/** A snapshot of the counters. */
	stats(): MemoryQueueStats {
		const e = this.#engine;
		return {
			published: e.published,
			ready: e.ready,
			delayed: e.delayed,
			unacked: e.unacked,
			acked: e.acked,
			nacked: e.nacked,
			expired: e.expired,
			redelivered: e.redelivered,
			deadLettered: e.deadLetters.length,
			consumers: e.consumers,
		};
	}

	/**
	 * Closes every consumer (their unsettled deliveries return to the queue)
	 * and stops the timers; publishing afterwards throws. What is queued stays
	 * readable through `stats()`. Calling it again does nothing.
	 */
	close(): void {
		this.#engine.close();
	}

	#open(): void {
		if (this.#engine.closed) throw new PolkuError('ERR_POLKU_QUEUE_CLOSED', `queue "${this.name}" is closed`);
	}
}

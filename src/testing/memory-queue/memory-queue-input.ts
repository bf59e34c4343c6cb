import { fromEnvelopeHeaders } from '../../envelope/headers.js';
import { ConfigError, toError } from '../../errors.js';
import { checkInteger, checkNumber } from '../../hub/options.js';
import type { Input, Sink } from '../../input/input.js';
import { silentLogger, type Logger } from '../../logger.js';
import type { Message } from '../../message/message.js';
import type { MemoryQueue } from './memory-queue.js';
import type { QueueDelivery } from './types.js';

/**
 * Options of {@link MemoryQueueInput}.
 *
 * @example
 * ```ts
 * new MemoryQueueInput({ queue, name: 'orders', prefetch: 200, batchSize: 50, nackDelayMs: 500 });
 * ```
 */
export interface MemoryQueueInputOptions {
	/** The queue to consume. */
	readonly queue: MemoryQueue;
	/** @default the queue's name */
	readonly name?: string;
	/** Most deliveries held unsettled: fetched and not yet confirmed by the hub. The input's in-flight bound under backpressure. @default 100 */
	readonly prefetch?: number;
	/** Most messages per `deliverBatch` call. @default 100 */
	readonly batchSize?: number;
	/** Delay of the redelivery of a message whose delivery failed. @default the queue's `redeliveryDelayMs` */
	readonly nackDelayMs?: number;
	/** Source of messages without a polku envelope (a plain producer's). @default the queue's name */
	readonly source?: string;
	/** Type of messages without a polku envelope. @default the queue's name */
	readonly messageType?: string;
	/** Where poison messages and failed deliveries are logged. @default silent */
	readonly logger?: Logger;
}

/**
 * Counters of a {@link MemoryQueueInput}.
 *
 * @example
 * ```ts
 * const { acked, nacked, invalid } = input.stats();
 * ```
 */
export interface MemoryQueueInputStats {
	/** Deliveries acked after the hub confirmed them. */
	readonly acked: number;
	/** Deliveries nacked because the hub could not deliver them (redelivered by the queue). */
	readonly nacked: number;
	/** Poison messages terminated and reported with `sink.dropInvalid`. */
	readonly invalid: number;
}

/**
 * An input consuming a {@link MemoryQueue} at least once, the way a broker
 * input should:
 *
 * - It fetches batches while it holds fewer than `prefetch` unsettled
 *   deliveries, and hands each batch to the hub with `sink.deliverBatch`.
 * - It acks a message only after the hub confirmed it (every routed output
 *   took it); a message that failed (output failure, dead-lettered, dropped at
 *   shutdown) is nacked and delivered again after `nackDelayMs`. So a message
 *   is lost only by the queue's `maxDeliveries`; duplicates happen when a
 *   message is redelivered after an output already had it (a failed batch
 *   that reached one of two outputs, an ack lost with a closed consumer).
 * - Under backpressure (the hub's buffer full, `block` policy) its
 *   `deliverBatch` calls wait, its deliveries stay unsettled, and it stops
 *   fetching at `prefetch`: the queue holds the rest.
 * - A message it cannot decode (a malformed polku envelope, see
 *   `fromEnvelopeHeaders`) is terminated at the queue (dead-lettered, never
 *   redelivered) and recorded with `sink.dropInvalid` (drop reason `invalid`).
 * - Messages without a polku envelope get the id `<queue name>/<seq>` (stable
 *   across redeliveries), the timestamp of their decoding, `source` and
 *   `messageType` from the options, and their headers as metadata.
 * - While the hub holds a delivery (a blocked buffer, a slow output) it calls
 *   `working()` on it every third of the queue's `ackWaitMs`, so the queue
 *   does not take it back and deliver it again.
 * - On stop it fetches no more, waits for its in-flight deliveries to settle
 *   (the hub settles them by its stop deadline), acks or nacks them, then
 *   closes its consumer, which returns anything still unsettled to the queue.
 *
 * @example
 * ```ts
 * import { createMessage, Hub } from 'polku';
 * import { MemoryOutput, MemoryQueue, MemoryQueueInput } from 'polku/testing';
 *
 * const queue = new MemoryQueue({ name: 'orders', redeliveryDelayMs: 100 });
 * const out = new MemoryOutput().failNext(1); // the first send fails…
 * const hub = Hub.builder().input(new MemoryQueueInput({ queue })).output(out, { retry: false }).build();
 * await hub.start();
 * queue.publishMessages([createMessage({ source: 'shop', messageType: 'order.created' })]);
 * await out.waitFor(1); // …and the queue delivered the message again
 * await hub.stop();
 * queue.stats().acked; // 1
 * ```
 */
export class MemoryQueueInput implements Input {
	readonly name: string;
	readonly #queue: MemoryQueue;
	readonly #prefetch: number;
	readonly #batchSize: number;
	readonly #nackDelayMs: number | undefined;
	readonly #source: string;
	readonly #messageType: string;
	readonly #logger: Logger;
	#acked = 0;
	#nacked = 0;
	#invalid = 0;

	constructor(options: MemoryQueueInputOptions) {
		if (options === null || typeof options !== 'object') throw new ConfigError('options', 'must be an object');
		const queue = options.queue;
		if (queue === null || typeof queue !== 'object' || typeof queue.consumer !== 'function') throw new ConfigError('queue', 'must be a MemoryQueue');
		this.#queue = queue;
		this.name = options.name ?? queue.name;
		if (typeof this.name !== 'string' || this.name === '') throw new ConfigError('name', 'must be a non-empty string');
		this.#prefetch = checkInteger('prefetch', options.prefetch ?? 100, 1);
		this.#batchSize = checkInteger('batchSize', options.batchSize ?? 100, 1);
		this.#nackDelayMs = options.nackDelayMs === undefined ? undefined : checkNumber('nackDelayMs', options.nackDelayMs, 0);
		this.#source = options.source ?? queue.name;
		this.#messageType = options.messageType ?? queue.name;
		this.#logger = options.logger ?? silentLogger;
	}

	/** A snapshot of the counters. */
	stats(): MemoryQueueInputStats {
		return { acked: this.#acked, nacked: this.#nacked, invalid: this.#invalid };
	}

	/** @internal Called by the hub. */
	async run(sink: Sink, signal: AbortSignal): Promise<void> {
		const consumer = this.#queue.consumer({ prefetch: this.#prefetch });
		const inFlight = new Set<Promise<void>>();
		const held = new Set<QueueDelivery>();
		// A delivery waiting in a blocked or slow hub must not be taken back by the queue's ack wait:
		// tell the queue we are still working on it (an in-progress heartbeat), for all of them with one timer.
		const ackWaitMs = this.#queue.ackWaitMs;
		const heartbeat = Number.isFinite(ackWaitMs)
			? setInterval(() => {
					for (const d of held) d.working();
				}, Math.max(1, Math.floor(ackWaitMs / 3)))
			: undefined;
		heartbeat?.unref();
		try {
			while (!signal.aborted) {
				const batch = await consumer.fetch(this.#batchSize, { signal });
				if (batch.length === 0) {
					if (consumer.closed) break; // the queue was closed
					continue;
				}
				for (const d of batch) held.add(d);
				const handling = this.#handle(batch, sink).finally(() => {
					for (const d of batch) held.delete(d);
				});
				inFlight.add(handling);
				void handling.then(() => inFlight.delete(handling));
			}
			await Promise.all(inFlight);
		} finally {
			clearInterval(heartbeat);
			consumer.close();
		}
	}

	/** Decodes a batch, terminates poison, delivers the rest, then acks or nacks each. Never rejects. */
	async #handle(batch: readonly QueueDelivery[], sink: Sink): Promise<void> {
		const messages: Message[] = [];
		const deliveries: QueueDelivery[] = [];
		for (const d of batch) {
			let message: Message;
			try {
				message = fromEnvelopeHeaders(d.headers, d.payload, { id: `${this.#queue.name}/${d.seq}`, source: this.#source, messageType: this.#messageType });
			} catch (error) {
				this.#poison(d, toError(error), sink);
				continue;
			}
			messages.push(message);
			deliveries.push(d);
		}
		if (messages.length === 0) return;
		let failed: ReadonlySet<number>;
		try {
			const outcome = await sink.deliverBatch(messages);
			failed = new Set(outcome.failed.map((f) => f.index));
			if (outcome.failed.length > 0) {
				const first = outcome.failed[0]!;
				this.#logger.warn(
					{ input: this.name, count: outcome.failed.length, reason: first.reason, output: first.output, err: first.error },
					'polku memory queue input: delivery failed; nacking for redelivery',
				);
			}
		} catch (error) {
			// Only misuse rejects (see Sink); give every message back rather than lose it.
			this.#logger.error({ input: this.name, count: messages.length, err: error }, 'polku memory queue input: deliverBatch rejected; nacking');
			failed = new Set(messages.keys());
		}
		deliveries.forEach((d, i) => {
			if (failed.has(i)) {
				if (d.nack(this.#nackDelayMs)) this.#nacked++;
			} else if (d.ack()) this.#acked++;
		});
	}

	#poison(d: QueueDelivery, error: Error, sink: Sink): void {
		d.term(error);
		this.#invalid++;
		this.#logger.warn({ input: this.name, seq: d.seq, err: error }, 'polku memory queue input: undecodable message terminated');
		sink.dropInvalid({ source: this.#source, messageType: 'polku.invalid', metadata: { 'queue-seq': String(d.seq) }, payload: d.payload }, error);
	}
}

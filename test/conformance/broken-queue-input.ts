// A MemoryQueue input for testing the input conformance suite itself: correct unless broken by a flag.
import { fromEnvelopeHeaders, type Input, type Message, type Sink } from '../../src/index.js';
import type { MemoryQueue, QueueDelivery } from '../../src/testing/index.js';

/** Ways to break {@link QueueInput}. */
export interface InputBreakage {
	/** Acks what it fetched before delivering it. */
	readonly ackBeforeDeliver?: boolean;
	/** Fetches without a bound (prefetch of a million). */
	readonly ignoreBackpressure?: boolean;
	/** Nacks a poison message (and reports it each time): redelivered forever. */
	readonly redeliverPoison?: boolean;
	/** Acks a poison message without reporting it. */
	readonly silentPoison?: boolean;
	/** On stop, closes its consumer at once instead of waiting for its in-flight deliveries. */
	readonly abandonOnStop?: boolean;
	/** Keeps consuming after the hub's signal aborted (until the queue closes). */
	readonly ignoreStop?: boolean;
	/** Ignores the headers (takes every message as a plain producer's). */
	readonly ignoreHeaders?: boolean;
	/** Sends (fire and forget) instead of delivering, and acks when the hub accepted. */
	readonly ackOnAccept?: boolean;
}

export const PREFETCH = 50;

export class QueueInput implements Input {
	readonly name: string;
	readonly #queue: MemoryQueue;
	readonly #b: InputBreakage;

	constructor(queue: MemoryQueue, name: string, breakage: InputBreakage) {
		this.#queue = queue;
		this.name = name;
		this.#b = breakage;
	}

	async run(sink: Sink, signal: AbortSignal): Promise<void> {
		const b = this.#b;
		const consumer = this.#queue.consumer({ prefetch: b.ignoreBackpressure ? 1_000_000 : PREFETCH });
		const inFlight = new Set<Promise<void>>();
		const held = new Set<QueueDelivery>();
		const heartbeat = setInterval(() => held.forEach((d) => d.working()), this.#queue.ackWaitMs / 3);
		const stopped = (): boolean => signal.aborted && !b.ignoreStop;
		try {
			while (!stopped()) {
				const batch = await consumer.fetch(20, b.ignoreStop ? { expiresMs: 50 } : { signal });
				if (consumer.closed) break;
				if (batch.length === 0) continue;
				batch.forEach((d) => held.add(d));
				const handling = this.#handle(batch, sink).finally(() => batch.forEach((d) => held.delete(d)));
				inFlight.add(handling);
				void handling.then(() => inFlight.delete(handling));
			}
			if (!b.abandonOnStop) await Promise.all(inFlight);
		} finally {
			clearInterval(heartbeat);
			consumer.close();
		}
	}

	async #handle(batch: readonly QueueDelivery[], sink: Sink): Promise<void> {
		const b = this.#b;
		if (b.ackBeforeDeliver) batch.forEach((d) => d.ack());
		const messages: Message[] = [];
		const deliveries: QueueDelivery[] = [];
		for (const d of batch) {
			try {
				messages.push(fromEnvelopeHeaders(b.ignoreHeaders ? [] : d.headers, d.payload, { id: `q/${d.seq}`, source: 'queue', messageType: 'queue' }));
				deliveries.push(d);
			} catch (error) {
				if (b.silentPoison) {
					d.ack();
					continue;
				}
				if (b.redeliverPoison) d.nack(0);
				else d.term(error as Error);
				sink.dropInvalid({ source: 'queue', messageType: 'polku.invalid', payload: d.payload }, error as Error);
			}
		}
		if (messages.length === 0) return;
		if (b.ackOnAccept) {
			await sink.sendBatch(messages);
			deliveries.forEach((d) => d.ack());
			return;
		}
		const outcome = await sink.deliverBatch(messages);
		const failed = new Set(outcome.failed.map((f) => f.index));
		deliveries.forEach((d, i) => (failed.has(i) ? d.nack(50) : d.ack()));
	}
}

import { EventEmitter } from 'eventemitter3';
import { toError, type DeliveryBatchOutcome, type DropReason, type Input, type Message, type Sink } from '../../index.js';
import type { JetStreamConsumerLike, JetStreamMessagesLike, JsMsgLike } from './client.js';
import { fromNatsMsg } from './headers.js';
import { resolveJetStreamInputOptions, type JetStreamInputOptions, type ResolvedJetStreamInputOptions } from './jetstream-input-options.js';

/** Delivery failures that a redelivery cannot change: the message is acked (handled). */
const FINAL: ReadonlySet<DropReason | 'dead-lettered'> = new Set(['rejected', 'unroutable', 'dead-lettered']);
const MAX_NAK_DELAY_MS = 60_000;
const NS_PER_MS = 1_000_000;

/**
 * Counters of a {@link JetStreamInput}, over its whole life.
 *
 * @example
 * ```ts
 * const { acked, nakked, terminated } = input.stats();
 * ```
 */
export interface JetStreamInputStats {
	/** Messages pulled and handed to the hub. */
	readonly received: number;
	/** Messages acked after their delivery settled as done. */
	readonly acked: number;
	/** Messages nakked (with delay) after a failed delivery. */
	readonly nakked: number;
	/** Poison messages terminated (`term`), also counted by the hub as dropped `invalid`. */
	readonly terminated: number;
	/** In-progress acks sent for slow deliveries. */
	readonly working: number;
	/** Messages handed to the hub and not yet acked or nakked. */
	readonly inFlight: number;
}

/**
 * Events of a {@link JetStreamInput}.
 *
 * @example
 * ```ts
 * input.on('nak', ({ seq, deliveryCount, delayMs }) => console.warn(`#${seq} failed (delivery ${deliveryCount}); again in ${delayMs} ms`));
 * ```
 */
export interface JetStreamInputEvents {
	/** A message failed delivery and was nakked with a delay. */
	nak: [event: { seq: number; deliveryCount: number; delayMs: number; reason: string }];
	/** A poison message was terminated. */
	term: [event: { seq: number; error: Error }];
}

interface OpenBatch {
	readonly msgs: readonly JsMsgLike[];
	started: number;
}

/**
 * An input consuming a JetStream durable pull consumer with explicit acks:
 * each pulled batch goes in with `deliverBatch`, and every message is acked
 * only after its delivery settled (every routed output confirmed, or a
 * middleware filtered it). A failed message is nakked with a delay
 * (`nakDelayMs`, doubling per delivery of it); a poison message (a malformed
 * polku envelope) is terminated and recorded with `sink.dropInvalid`.
 * Messages still being delivered get in-progress acks (`working()`) so the
 * server does not redeliver them while the hub is slow. At most `maxInFlight`
 * messages are open; at the bound the input stops pulling (the stream holds
 * the rest). Several inputs (processes) on one durable consumer share its
 * messages.
 *
 * Delivery: at-least-once. Duplicates happen when a process dies (or stops
 * past `stopTimeoutMs`) after the outputs had a message but before its ack
 * reached the server, or when an ack is lost: the server redelivers after the
 * ack wait.
 *
 * A message published by polku gets its envelope back exactly. Any other gets
 * id = its `Nats-Msg-Id` header or `<stream>/<sequence>`, the stream's
 * timestamp, source `nats`, type = the subject, and its headers (other than
 * `Nats-*`) as metadata.
 *
 * @example
 * ```ts
 * import { connect } from '@nats-io/transport-node';
 * import { jetstream } from '@nats-io/jetstream';
 * import { Hub } from 'polku';
 * import { JetStreamInput } from 'polku/nats';
 *
 * const nc = await connect({ servers: '127.0.0.1:4222' });
 * const input = new JetStreamInput({ js: jetstream(nc), stream: 'ORDERS', consumer: 'polku' });
 * const hub = Hub.builder().input(input).output(warehouse).build();
 * await hub.start();
 * ```
 */
export class JetStreamInput extends EventEmitter<JetStreamInputEvents> implements Input {
	readonly name: string;
	readonly #o: ResolvedJetStreamInputOptions;
	readonly #open = new Set<OpenBatch>();
	readonly #settling = new Set<Promise<void>>();
	#slot: (() => void) | undefined;
	#received = 0;
	#acked = 0;
	#nakked = 0;
	#terminated = 0;
	#working = 0;
	#inFlight = 0;

	/** @param options - See {@link JetStreamInputOptions}; throws `ConfigError` naming a bad option. */
	constructor(options: JetStreamInputOptions) {
		super();
		this.#o = resolveJetStreamInputOptions(options);
		this.name = this.#o.name;
	}

	/** A snapshot of the counters. */
	stats(): JetStreamInputStats {
		return { received: this.#received, acked: this.#acked, nakked: this.#nakked, terminated: this.#terminated, working: this.#working, inFlight: this.#inFlight };
	}

	/** @internal Called by the hub: pulls until `signal` aborts, then lets open deliveries settle. */
	async run(sink: Sink, signal: AbortSignal): Promise<void> {
		if (signal.aborted) return;
		const o = this.#o;
		const consumer = await this.#bind();
		const info = await consumer.info(true).catch(() => undefined);
		const ackWaitMs = info?.config.ack_wait === undefined ? o.ackWaitMs : Math.max(1, Math.round(info.config.ack_wait / NS_PER_MS));
		const workingEvery = o.workingIntervalMs ?? Math.max(100, Math.floor(ackWaitMs / 3));
		const messages = await consumer.consume({ max_messages: o.pullBatch });
		const stop = (): void => {
			messages.stop();
			this.#slot?.();
		};
		signal.addEventListener('abort', stop, { once: true });
		const heartbeat = setInterval(() => this.#heartbeat(workingEvery), workingEvery);
		try {
			await this.#pull(messages, sink, signal);
		} finally {
			signal.removeEventListener('abort', stop);
			messages.stop();
			const deadline = Date.now() + o.stopTimeoutMs;
			while (this.#settling.size > 0 && Date.now() < deadline) await settleWithin(Promise.allSettled([...this.#settling]), deadline - Date.now());
			clearInterval(heartbeat);
			if (this.#settling.size > 0) o.logger.warn({ input: this.name, open: this.#inFlight }, 'polku jetstream input: stopped before every delivery settled; the server redelivers them after the ack wait');
		}
	}

	async #pull(messages: JetStreamMessagesLike, sink: Sink, signal: AbortSignal): Promise<void> {
		const max = this.#o.pullBatch;
		const maxInFlight = this.#o.maxInFlight;
		let batch: JsMsgLike[] = [];
		let scheduled = false;
		// What arrived together goes in together: the batch is handed over once the iterator has
		// yielded what it holds (a macrotask later), or when it is full.
		const flush = (): void => {
			scheduled = false;
			if (batch.length === 0 || signal.aborted) return;
			const full = batch;
			batch = [];
			this.#deliver(full, sink);
		};
		for await (const msg of messages) {
			if (signal.aborted) {
				msg.nak();
				continue;
			}
			batch.push(msg);
			if (batch.length >= max) flush();
			else if (!scheduled) {
				scheduled = true;
				setImmediate(flush);
			}
			while (this.#inFlight + batch.length >= maxInFlight && !signal.aborted) {
				flush();
				if (this.#inFlight < maxInFlight) break;
				await new Promise<void>((resolve) => (this.#slot = resolve));
			}
		}
		for (const msg of batch) msg.nak();
		batch = [];
	}

	/** The durable consumer: bound, or created with explicit ack when missing. */
	async #bind(): Promise<JetStreamConsumerLike> {
		const o = this.#o;
		if (o.create) {
			const jsm = await o.js.jetstreamManager();
			try {
				await jsm.consumers.info(o.stream, o.consumer);
			} catch (error) {
				if (!isNotFound(error)) throw error;
				try {
					await jsm.consumers.add(o.stream, {
						durable_name: o.consumer,
						ack_policy: 'explicit',
						ack_wait: o.ackWaitMs * NS_PER_MS,
						deliver_policy: o.deliverPolicy,
						...(o.filterSubject === undefined ? {} : { filter_subject: o.filterSubject }),
						...(o.maxDeliver === undefined ? {} : { max_deliver: o.maxDeliver }),
					});
					o.logger.info({ input: this.name, stream: o.stream, consumer: o.consumer }, 'polku jetstream input: created the durable consumer');
				} catch (addError) {
					// Another process may have created it first; binding below tells.
					o.logger.debug({ input: this.name, err: addError }, 'polku jetstream input: creating the consumer failed; binding');
				}
			}
		}
		return o.js.consumers.get(o.stream, o.consumer);
	}

	#deliver(msgs: JsMsgLike[], sink: Sink): void {
		const o = this.#o;
		const messages: Message[] = [];
		let kept: JsMsgLike[] = msgs;
		for (let i = 0; i < msgs.length; i++) {
			const msg = msgs[i]!;
			let message: Message;
			try {
				message = fromNatsMsg(msg, {
					id: msg.headers?.get('Nats-Msg-Id') || `${msg.info.stream}/${msg.seq}`,
					source: 'nats',
					messageType: msg.subject,
					...(typeof msg.timestampNanos === 'bigint' ? { timestamp: msg.timestampNanos } : {}),
				});
			} catch (error) {
				if (kept === msgs) kept = msgs.slice(0, i);
				this.#terminate(msg, toError(error), sink);
				continue;
			}
			if (kept !== msgs) kept.push(msg);
			messages.push(message);
		}
		if (kept.length === 0) return;
		this.#received += kept.length;
		this.#inFlight += kept.length;
		const open: OpenBatch = { msgs: kept, started: Date.now() };
		this.#open.add(open);
		const settled = sink.deliverBatch(messages).then(
			(outcome) => this.#settle(open, outcome),
			(error: unknown) => {
				o.logger.error({ input: this.name, err: error }, 'polku jetstream input: deliverBatch rejected; nakking the batch');
				this.#settle(open, undefined);
			},
		);
		this.#settling.add(settled);
		void settled.finally(() => this.#settling.delete(settled));
	}

	#settle(open: OpenBatch, outcome: DeliveryBatchOutcome | undefined): void {
		this.#open.delete(open);
		const msgs = open.msgs;
		this.#inFlight -= msgs.length;
		let failed: Map<number, string> | undefined;
		if (outcome === undefined) {
			failed = new Map(msgs.map((_, i) => [i, 'deliverBatch rejected']));
		} else {
			for (const f of outcome.failed) if (!FINAL.has(f.reason)) (failed ??= new Map()).set(f.index, f.reason);
		}
		for (let i = 0; i < msgs.length; i++) {
			const msg = msgs[i]!;
			const reason = failed?.get(i);
			if (reason === undefined) {
				msg.ack();
				this.#acked++;
				continue;
			}
			const deliveryCount = msg.info.deliveryCount;
			const delayMs = Math.min(this.#o.nakDelayMs * 2 ** Math.min(Math.max(deliveryCount - 1, 0), 20), MAX_NAK_DELAY_MS);
			msg.nak(delayMs);
			this.#nakked++;
			this.emit('nak', { seq: msg.seq, deliveryCount, delayMs, reason });
		}
		if (failed !== undefined) this.#o.logger.warn({ input: this.name, failed: failed.size, of: msgs.length }, 'polku jetstream input: delivery failed; nakked with delay');
		const slot = this.#slot;
		if (slot !== undefined && this.#inFlight < this.#o.maxInFlight) {
			this.#slot = undefined;
			slot();
		}
	}

	#terminate(msg: JsMsgLike, error: Error, sink: Sink): void {
		// No reason: servers before 2.10 do not parse `+TERM <reason>` (and redeliver).
		msg.term();
		this.#terminated++;
		this.#o.logger.warn({ input: this.name, seq: msg.seq, subject: msg.subject, err: error }, 'polku jetstream input: poison message terminated');
		sink.dropInvalid({ source: 'nats', messageType: msg.subject, payload: msg.data, metadata: { 'nats.stream': msg.info.stream, 'nats.seq': String(msg.seq) } }, error);
		this.emit('term', { seq: msg.seq, error });
	}

	/** In-progress acks for messages open longer than `every`. */
	#heartbeat(every: number): void {
		const now = Date.now();
		for (const open of this.#open) {
			if (now - open.started < every) continue;
			for (const msg of open.msgs) msg.working();
			this.#working += open.msgs.length;
			open.started = now;
		}
	}
}

function isNotFound(error: unknown): boolean {
	const e = error as { code?: unknown; name?: unknown; message?: unknown };
	return e?.code === 10014 || e?.name === 'ConsumerNotFoundError' || /consumer not found/i.test(String(e?.message));
}

function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
	return new Promise((resolve) => {
		const timer = setTimeout(resolve, Math.max(0, ms));
		void promise.finally(() => {
			clearTimeout(timer);
			resolve();
		});
	});
}

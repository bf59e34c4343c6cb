import { freezeMetadata, fromEnvelopeHeaders, newMetadata, toError, type DeliveryBatchOutcome, type Message, type Sink } from '../../index.js';
import type { AckHook, MqttPublishPacket, MqttStreamLike, MqttSubscriberClient, MqttUserProperties } from './client.js';
import { userPropertyHeaders } from './envelope.js';
import type { ResolvedMqttInputOptions } from './mqtt-input-options.js';
import type { MqttInputCounters } from './mqtt-input-stats.js';
import { encodePubacks } from './puback.js';
import { TopicCache, TopicMatcher } from './topics.js';

/**
 * Passed to MQTT.js's `handleMessage` callback for a QoS 1 message: MQTT.js
 * then skips its own PUBACK (and goes on reading), and the receiver sends the
 * PUBACK itself once the hub delivered the message. One shared instance: no
 * stack trace is captured per message.
 */
const SKIP_PUBACK = new Error('polku MqttInput acknowledges this message after delivery');

/** The packet ids of one delivered batch, acknowledged together, in arrival order. */
interface PendingAcks {
	/** Packet ids in arrival order. */
	readonly ids: readonly number[];
	/** For each id, its message's index in the delivered batch; -1 for a poison message (acknowledged, not delivered). */
	readonly index: readonly number[];
	/** The connection the messages came on: a PUBACK is only valid there. */
	readonly stream: MqttStreamLike;
	failed: ReadonlySet<number> | undefined;
	done: boolean;
}

interface Derived {
	readonly source: string;
	readonly messageType: string;
}

/**
 * The MqttInput's hold on a client: takes over acknowledgements of the
 * messages on the input's filters, batches them into the hub, and sends each
 * PUBACK (QoS 1) / PUBREC (QoS 2) only after the hub delivered the message.
 *
 * - QoS 1: MQTT.js's `handleMessage` hook gets every message; the receiver
 *   lets MQTT.js read on at once (skipping its PUBACK), collects what one read
 *   brings into a batch for `sink.deliverBatch`, and writes the PUBACKs of a
 *   batch in one write once it is delivered, in arrival order, on the
 *   connection the messages came on.
 * - QoS 2: MQTT.js's ack hook (`options.customHandleAcks`) decides when the
 *   PUBREC goes; MQTT.js waits for it before reading the next packet, so QoS 2
 *   messages are delivered one at a time.
 * - QoS 0: batched into `sink.sendBatch` (nothing to acknowledge).
 *
 * A message the hub fails to deliver stays unacknowledged; once nothing is in
 * flight the receiver closes the connection, MQTT.js reconnects, and the
 * broker (persistent session) redelivers every unacknowledged message.
 */
export class MqttReceiver {
	readonly #o: ResolvedMqttInputOptions;
	readonly #client: MqttSubscriberClient;
	readonly #counters: MqttInputCounters;
	readonly #matcher: TopicMatcher;
	readonly #derive: TopicCache<Derived>;
	#sink: Sink | undefined;
	#q0: Message[] = [];
	#q1: Message[] = [];
	#ids: number[] = [];
	#index: number[] = [];
	#scheduled = false;
	readonly #fifo: PendingAcks[] = [];
	#inFlight = 0;
	#held: (() => void) | undefined;
	/** The connection being closed for a redelivery (messages arriving on it are left unacknowledged). */
	#recover: MqttStreamLike | undefined;
	#idle: (() => void) | undefined;
	/** `idle` until the first start: a message that arrives then is held (MQTT.js waits) until the hub takes it. */
	#state: 'idle' | 'running' | 'stopped' = 'idle';
	/** The message held while idle, replayed at start. */
	#waiting: (() => void) | undefined;

	constructor(o: ResolvedMqttInputOptions, counters: MqttInputCounters) {
		this.#o = o;
		this.#client = o.client;
		this.#counters = counters;
		this.#matcher = new TopicMatcher(o.filters);
		this.#derive = new TopicCache((topic) => ({ source: o.source(topic), messageType: o.messageType(topic) }));
	}

	get inFlight(): number {
		return this.#inFlight;
	}

	/** Starts handing messages to `sink` (and the message held since the hooks were installed, if any). */
	start(sink: Sink): void {
		this.#sink = sink;
		this.#state = 'running';
		this.#recover = undefined;
		const waiting = this.#waiting;
		this.#waiting = undefined;
		waiting?.();
	}

	/**
	 * Stops taking messages (later ones stay unacknowledged for the next
	 * session), then waits up to `graceMs` for the deliveries in flight and
	 * acknowledges them. The hooks stay installed: the client must not
	 * acknowledge messages on these filters that nobody delivered.
	 */
	async stop(graceMs: number): Promise<void> {
		this.#sink = undefined;
		this.#state = 'stopped';
		this.#flush();
		this.#release(true);
		if (this.#fifo.length === 0 && this.#inFlight === 0) return;
		let timer: NodeJS.Timeout | undefined;
		await Promise.race([
			new Promise<void>((resolve) => (this.#idle = resolve)),
			new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
		]);
		clearTimeout(timer);
		this.#idle = undefined;
	}

	/**
	 * Takes over the client's acknowledgements on the input's filters. Until
	 * the first start, the first message that arrives is held (and MQTT.js
	 * reads nothing more), so that what the session redelivers at connect is
	 * not acknowledged before the hub has it.
	 */
	install(): void {
		const client = this.#client;
		const handleMessage = client.handleMessage;
		const options = client.options as { customHandleAcks?: AckHook };
		const previousAck = options.customHandleAcks;
		client.handleMessage = (packet, callback) => {
			if (!this.#matcher.matches(packet.topic)) return handleMessage.call(client, packet, callback);
			this.#onPublish(packet, callback);
		};
		options.customHandleAcks = (topic, message, packet, done) => {
			if (packet.qos !== 2 || !this.#matcher.matches(topic)) {
				if (previousAck !== undefined) return previousAck(topic, message, packet, done);
				return done(null, 0);
			}
			this.#onQos2(topic, packet, done);
		};
	}

	/** `handleMessage`: QoS 0 and 1 when they arrive, QoS 2 at PUBREL (already delivered). */
	#onPublish(packet: MqttPublishPacket, callback: (error?: Error) => void): void {
		const qos = packet.qos;
		if (qos === 2) return callback(); // delivered before its PUBREC; MQTT.js now sends PUBCOMP
		if (this.#state === 'idle') {
			this.#waiting = () => this.#onPublish(packet, callback);
			return;
		}
		const sink = this.#sink;
		if (sink === undefined || this.#recovering()) {
			if (qos === 1) {
				this.#counters.deferred++;
				return callback(SKIP_PUBACK);
			}
			this.#counters.discarded++;
			return callback();
		}
		this.#counters.received++;
		const message = this.#decode(packet.topic, packet.payload, packet.properties?.userProperties, sink);
		if (qos === 1) {
			this.#ids.push(packet.messageId!);
			if (message === undefined) this.#index.push(-1);
			else {
				this.#index.push(this.#q1.length);
				this.#q1.push(message);
				this.#inFlight++;
			}
		} else if (message !== undefined) {
			this.#q0.push(message);
			this.#inFlight++;
		}
		if (!this.#scheduled) {
			this.#scheduled = true;
			// MQTT.js hands over the packets of one read in a chain of nextTicks; a microtask runs after all of them.
			queueMicrotask(this.#flush);
		}
		if (this.#inFlight >= this.#o.maxInFlight) {
			this.#counters.pauses++;
			this.#held = qos === 1 ? () => callback(SKIP_PUBACK) : () => callback();
		} else {
			callback(qos === 1 ? SKIP_PUBACK : undefined);
		}
	}

	/** The ack hook for a QoS 2 message on our filters: deliver, then let MQTT.js send PUBREC. */
	#onQos2(topic: string, packet: MqttPublishPacket, done: (error: Error | number | null, code?: number) => void): void {
		if (this.#state === 'idle') {
			this.#waiting = () => this.#onQos2(topic, packet, done);
			return;
		}
		const sink = this.#sink;
		if (sink === undefined || this.#recovering()) {
			// No PUBREC: MQTT.js reads nothing more on this connection until it closes, and the broker redelivers.
			this.#counters.deferred++;
			return;
		}
		this.#counters.received++;
		const message = this.#decode(topic, packet.payload, packet.properties?.userProperties, sink);
		if (message === undefined) {
			this.#counters.acked++;
			return done(null, 0);
		}
		this.#inFlight++;
		const stream = this.#client.stream;
		const settle = (ok: boolean, error?: Error): void => {
			this.#inFlight--;
			if (!ok) {
				this.#counters.failed++;
				this.#startRecovery(stream, 1, error);
			} else if (stream === this.#client.stream && stream.destroyed !== true) {
				this.#counters.acked++;
				done(null, 0);
			} else {
				this.#counters.deferred++;
			}
			this.#release(false);
			this.#checkIdle();
		};
		sink.deliverBatch([message]).then(
			(outcome) => settle(outcome.failed.length === 0, outcome.failed[0]?.error),
			(error: unknown) => settle(false, toError(error)),
		);
	}

	/** Hands what arrived since the last flush to the hub. */
	#flush = (): void => {
		this.#scheduled = false;
		const sink = this.#sink;
		const q0 = this.#q0;
		const q1 = this.#q1;
		const ids = this.#ids;
		const index = this.#index;
		if (q0.length > 0) this.#q0 = [];
		if (ids.length > 0) {
			this.#q1 = [];
			this.#ids = [];
			this.#index = [];
		}
		if (sink === undefined) {
			// Stopped before the batch left: QoS 1 stays unacknowledged (redelivered), QoS 0 is lost.
			this.#inFlight -= q0.length + q1.length;
			this.#counters.discarded += q0.length;
			this.#counters.deferred += ids.length;
			return;
		}
		if (q0.length > 0) {
			const settle = (): void => {
				this.#inFlight -= q0.length;
				this.#release(false);
				this.#checkIdle();
			};
			sink.sendBatch(q0).then(settle, (error: unknown) => {
				this.#o.logger.error({ input: this.#o.name, err: toError(error) }, 'polku mqtt input: the hub refused a batch');
				settle();
			});
		}
		if (ids.length === 0) return;
		const pending: PendingAcks = { ids, index, stream: this.#client.stream, failed: undefined, done: false };
		this.#fifo.push(pending);
		if (q1.length === 0) {
			pending.done = true;
			this.#writeAcks();
			return;
		}
		sink.deliverBatch(q1).then(
			(outcome) => this.#delivered(pending, q1.length, outcome, undefined),
			(error: unknown) => this.#delivered(pending, q1.length, undefined, toError(error)),
		);
	};

	#delivered(pending: PendingAcks, count: number, outcome: DeliveryBatchOutcome | undefined, error: Error | undefined): void {
		this.#inFlight -= count;
		let failed: Set<number> | undefined;
		if (outcome === undefined) {
			this.#o.logger.error({ input: this.#o.name, err: error }, 'polku mqtt input: the hub refused a batch');
			failed = new Set(Array.from({ length: count }, (_, i) => i));
		} else if (outcome.failed.length > 0) {
			failed = new Set(outcome.failed.map((f) => f.index));
			error = outcome.failed[0]!.error;
		}
		if (failed !== undefined) {
			this.#counters.failed += failed.size;
			this.#startRecovery(pending.stream, failed.size, error);
		}
		pending.failed = failed;
		pending.done = true;
		this.#writeAcks();
		this.#release(false);
	}

	/** Writes the PUBACKs of the delivered batches at the head of the queue (acks leave in arrival order). */
	#writeAcks(): void {
		const fifo = this.#fifo;
		while (fifo.length > 0 && fifo[0]!.done) {
			const p = fifo.shift()!;
			const failed = p.failed;
			const ids = failed === undefined ? p.ids : p.ids.filter((_, i) => p.index[i] === -1 || !failed.has(p.index[i]!));
			if (ids.length === 0) continue;
			if (p.stream === this.#client.stream && p.stream.destroyed !== true) {
				p.stream.write(encodePubacks(ids));
				this.#counters.acked += ids.length;
			} else {
				// The connection closed before the ack: the broker redelivers these (duplicates downstream).
				this.#counters.deferred += ids.length;
			}
		}
		this.#checkIdle();
	}

	/** After a failed delivery: take nothing more from this connection, and close it once nothing is in flight. */
	#startRecovery(stream: MqttStreamLike, count: number, error: Error | undefined): void {
		// Stopped: the hub dropped what was in flight; the next session gets it back without a reconnect.
		if (this.#state !== 'running') return;
		if (stream !== this.#client.stream || stream.destroyed === true || this.#recover === stream) return;
		this.#recover = stream;
		this.#o.logger.warn(
			{ input: this.#o.name, failed: count, err: error },
			'polku mqtt input: delivery failed; reconnecting once in-flight deliveries settle, so the broker redelivers',
		);
	}

	#recovering(): boolean {
		if (this.#recover === undefined) return false;
		if (this.#recover === this.#client.stream) return true;
		this.#recover = undefined; // a new connection: the broker has redelivered
		return false;
	}

	#checkIdle(): void {
		if (this.#fifo.length > 0 || this.#inFlight > 0) return;
		const stream = this.#recover;
		if (stream !== undefined && stream === this.#client.stream && stream.destroyed !== true) {
			this.#counters.redeliveries++;
			stream.destroy();
		}
		const idle = this.#idle;
		this.#idle = undefined;
		idle?.();
	}

	/** Lets MQTT.js read on once fewer than `maxInFlight` messages wait (or at once, on stop). */
	#release(force: boolean): void {
		const held = this.#held;
		if (held === undefined || (!force && this.#inFlight >= this.#o.maxInFlight)) return;
		this.#held = undefined;
		held();
	}

	/** A message from a PUBLISH, or `undefined` for a poison message (recorded with `dropInvalid`). */
	#decode(topic: string, payload: Uint8Array | string, props: MqttUserProperties | undefined, sink: Sink): Message | undefined {
		const key = this.#o.topicKey;
		let derived: Derived = { source: this.#o.name, messageType: topic };
		try {
			derived = this.#derive.get(topic);
			return fromEnvelopeHeaders(userPropertyHeaders(props, key === undefined ? undefined : [key, topic]), payload, derived);
		} catch (error) {
			const failure = toError(error);
			this.#counters.invalid++;
			const metadata = newMetadata();
			if (key !== undefined) metadata[key] = topic;
			freezeMetadata(metadata);
			this.#o.logger.warn({ input: this.#o.name, topic, err: failure }, 'polku mqtt input: poison message acknowledged and dropped');
			sink.dropInvalid({ source: derived.source, messageType: derived.messageType, payload, metadata }, failure);
			return undefined;
		}
	}
}

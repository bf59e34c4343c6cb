import { checkInteger, ConfigError, OutputError, type Message, type Output } from '../../index.js';
import type { MqttPublisherClient, MqttPublishOptions, MqttQos } from './client.js';
import { toUserProperties } from './envelope.js';
import { compileTopic, topicNameProblem, type MqttTopic } from './topic-template.js';

/**
 * Options of {@link MqttOutput}.
 *
 * @example
 * ```ts
 * import { MqttOutput } from 'polku/mqtt';
 *
 * new MqttOutput({ client, topic: 'events/{source}/{messageType}', qos: 1, retain: false, timeoutMs: 5_000 });
 * ```
 */
export interface MqttOutputOptions {
	/** Your MQTT.js client (MQTT 5 to carry the envelope). */
	readonly client: MqttPublisherClient;
	/** Where each message goes: a topic, a template, or a function (see {@link MqttTopic}). */
	readonly topic: MqttTopic;
	/** The output's name in the hub. @default 'mqtt' */
	readonly name?: string;
	/** QoS of every publish: 0 (at most once), 1 (at least once) or 2. @default 1 */
	readonly qos?: MqttQos;
	/** The retain flag, fixed or per message. @default false */
	readonly retain?: boolean | ((message: Message) => boolean);
	/**
	 * Send the envelope (id, timestamp, source, type, route, metadata) as MQTT 5
	 * user properties. `false` publishes the payload alone (any protocol version).
	 * @default true
	 */
	readonly envelope?: boolean;
	/** How long a batch may wait for its acknowledgements before the send fails. @default 10000 */
	readonly timeoutMs?: number;
}

/**
 * An output publishing each message to MQTT through your own MQTT.js client:
 * the payload is the message payload, the envelope travels as MQTT 5 user
 * properties in polku's shared mapping (`toEnvelopeHeaders`), so an
 * {@link MqttInput} (or any polku broker input) restores it exactly.
 *
 * A batch resolves when the broker acknowledged every message: PUBACK for
 * QoS 1, PUBCOMP for QoS 2 (MQTT.js's publish callbacks). With QoS 0 it
 * resolves once the messages were written to the socket: at most once, and
 * a broker or network failure can lose them unseen. A publish the broker
 * refuses (an MQTT 5 reason code ≥ 0x80) fails the batch, as does a batch not
 * acknowledged within `timeoutMs`; the hub then retries it. MQTT.js keeps
 * QoS 1 / 2 publishes made while disconnected and sends them after it
 * reconnects, so a retried batch may reach subscribers twice (at least once).
 * Messages of a batch are published in order; MQTT keeps that order per
 * topic.
 *
 * @example
 * ```ts
 * import mqtt from 'mqtt';
 * import { Hub } from 'polku';
 * import { MqttOutput } from 'polku/mqtt';
 *
 * const client = mqtt.connect('mqtt://127.0.0.1:1883', { protocolVersion: 5 });
 * const hub = Hub.builder()
 *   .input(myInput)
 *   .output(new MqttOutput({ client, topic: 'events/{messageType}' }), { retry: { attempts: 5 } })
 *   .build();
 * ```
 */
export class MqttOutput implements Output {
	readonly name: string;
	readonly #client: MqttPublisherClient;
	readonly #topic: (message: Message) => string;
	readonly #qos: MqttQos;
	readonly #retain: boolean | ((message: Message) => boolean);
	readonly #envelope: boolean;
	readonly #timeoutMs: number;

	/** @param options - See {@link MqttOutputOptions}; throws `ConfigError` naming a bad option. */
	constructor(options: MqttOutputOptions) {
		if (options === null || typeof options !== 'object') throw new ConfigError('MqttOutput options', 'must be an object with a client and a topic');
		const name = options.name ?? 'mqtt';
		if (typeof name !== 'string' || name.length === 0) throw new ConfigError('MqttOutput.name', 'must be a non-empty string');
		const field = (key: string): string => `MqttOutput "${name}".${key}`;
		const client = options.client;
		if (client === null || typeof client !== 'object' || typeof client.publish !== 'function') throw new ConfigError(field('client'), 'must be an MQTT.js client (mqtt.connect(…))');
		const qos = options.qos ?? 1;
		if (qos !== 0 && qos !== 1 && qos !== 2) throw new ConfigError(field('qos'), `must be 0, 1 or 2, got ${String(qos)}`);
		const retain = options.retain ?? false;
		if (typeof retain !== 'boolean' && typeof retain !== 'function') throw new ConfigError(field('retain'), 'must be a boolean or a function (message) => boolean');
		const envelope = options.envelope ?? true;
		if (typeof envelope !== 'boolean') throw new ConfigError(field('envelope'), 'must be a boolean');
		if (envelope && client.options?.protocolVersion !== 5) {
			throw new ConfigError(field('client'), 'must speak MQTT 5 (protocolVersion: 5) to carry the envelope as user properties; or set envelope: false to publish payloads only');
		}
		this.name = name;
		this.#client = client;
		this.#topic = compileTopic(options.topic, field('topic'));
		this.#qos = qos;
		this.#retain = retain;
		this.#envelope = envelope;
		this.#timeoutMs = checkInteger(field('timeoutMs'), options.timeoutMs ?? 10_000, 1, 2 ** 31 - 1);
	}

	/**
	 * Publishes the batch in order; resolves when every message is acknowledged
	 * (written, for QoS 0). Rejects with an `OutputError` for an invalid topic
	 * (before publishing anything), a refused publish, the timeout, or `signal`.
	 */
	send(batch: readonly Message[], signal?: AbortSignal): Promise<void> {
		const topics = new Array<string>(batch.length);
		for (let i = 0; i < batch.length; i++) {
			const m = batch[i]!;
			let topic: string;
			try {
				topic = this.#topic(m);
			} catch (error) {
				return Promise.reject(new OutputError(this.name, `the topic of message ${m.id} could not be computed: ${(error as Error).message}`, { cause: error }));
			}
			const problem = topicNameProblem(topic);
			if (problem !== undefined) return Promise.reject(new OutputError(this.name, `the topic of message ${m.id} ${problem}, got ${JSON.stringify(topic)}`));
			topics[i] = topic;
		}
		if (batch.length === 0) return Promise.resolve();
		if (signal?.aborted === true) return Promise.reject(new OutputError(this.name, 'abandoned by the hub before publishing'));
		return new Promise<void>((resolve, reject) => {
			let pending = batch.length;
			let failed = 0;
			let first: Error | undefined;
			let settled = false;
			const finish = (error: OutputError | undefined): void => {
				if (settled) return;
				settled = true;
				clearTimeout(timer);
				signal?.removeEventListener('abort', onAbort);
				if (error === undefined) resolve();
				else reject(error);
			};
			const onAbort = (): void => finish(new OutputError(this.name, `abandoned by the hub with ${pending} of ${batch.length} publishes unacknowledged`));
			const timer = setTimeout(
				() => finish(new OutputError(this.name, `${pending} of ${batch.length} publishes were not acknowledged within ${this.#timeoutMs} ms${this.#client.connected ? '' : ' (disconnected)'}`)),
				this.#timeoutMs,
			);
			signal?.addEventListener('abort', onAbort, { once: true });
			const done = (error?: Error): void => {
				if (error !== undefined && error !== null) {
					failed++;
					first ??= error;
				}
				if (--pending > 0) return;
				if (failed === 0) finish(undefined);
				else finish(new OutputError(this.name, `the broker did not accept ${failed} of ${batch.length} publishes; first: ${first!.message}`, { cause: first }));
			};
			const qos = this.#qos;
			const retain = this.#retain;
			for (let i = 0; i < batch.length && !settled; i++) {
				const m = batch[i]!;
				const options: MqttPublishOptions = { qos, retain: typeof retain === 'boolean' ? retain : retain(m) === true };
				if (this.#envelope) options.properties = { userProperties: toUserProperties(m) };
				const p = m.payload;
				try {
					this.#client.publish(topics[i]!, Buffer.from(p.buffer, p.byteOffset, p.byteLength), options, done);
				} catch (error) {
					done(error as Error);
				}
			}
		});
	}

	/** True while the client is connected. */
	health(): boolean {
		return this.#client.connected;
	}
}

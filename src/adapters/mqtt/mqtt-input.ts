import { ConfigError, PolkuError, type Input, type Logger, type Sink } from '../../index.js';
import type { MqttQos, MqttSubscriberClient } from './client.js';
import { resolveMqttInputOptions, type MqttInputOptions, type ResolvedMqttInputOptions } from './mqtt-input-options.js';
import { MqttInputCounters, type MqttInputStats } from './mqtt-input-stats.js';
import { MqttReceiver } from './receiver.js';

/**
 * An input subscribed to MQTT topic filters through your own MQTT.js client,
 * delivering at least once: a QoS 1 message's PUBACK (QoS 2: its PUBREC) is
 * sent only after `sink.deliverBatch` resolved, i.e. after every output the
 * message routes to confirmed it. A message whose delivery fails is left
 * unacknowledged; once nothing else is in flight the input closes the
 * connection, MQTT.js reconnects, and the broker redelivers it from the
 * persistent session (`clean: false`).
 *
 * Messages: the payload is the MQTT payload (not copied). MQTT 5 user
 * properties are the headers of polku's shared envelope mapping
 * (`toEnvelopeHeaders`): a message written by polku (`polku-id` …) gets its
 * envelope back exactly; any other message gets a fresh id and timestamp, its
 * user properties as metadata, and `source` / `messageType` from its topic
 * (options `source`, default the input's name, and `messageType`, default the
 * topic). Every message gets its topic in metadata `mqtt.topic`. A message
 * whose user properties hold a malformed polku envelope is acknowledged and
 * recorded with `sink.dropInvalid` (drop reason `invalid`).
 *
 * Backpressure: at most `maxInFlight` messages wait for the hub; beyond that
 * the input stops reading the connection. Set the client's
 * `properties.receiveMaximum` to at most `maxInFlight`, so that the broker
 * itself stops sending QoS 1 / 2 messages while the hub is busy.
 *
 * The input takes over acknowledgements on its filters through MQTT.js's
 * `handleMessage` and `customHandleAcks` hooks from its construction on:
 * create it right after `mqtt.connect()` (the client is still connecting),
 * so that what a resumed session redelivers at connect waits for the hub
 * (MQTT.js reads nothing more until `hub.start()`) instead of being
 * acknowledged by MQTT.js. The input keeps the hooks after the hub stops
 * (messages arriving then stay unacknowledged, for the next session): end
 * the client after `hub.stop()`.
 *
 * @example
 * ```ts
 * import mqtt from 'mqtt';
 * import { Hub } from 'polku';
 * import { MqttInput } from 'polku/mqtt';
 *
 * const client = mqtt.connect('mqtt://127.0.0.1:1883', {
 *   protocolVersion: 5,
 *   clientId: 'polku-ingest-1', // stable: the broker keeps this client's session
 *   clean: false,
 *   properties: { sessionExpiryInterval: 3600, receiveMaximum: 1000 },
 * });
 * const hub = Hub.builder().input(new MqttInput({ client, topics: 'sensors/#' })).output(myOutput).build();
 * await hub.start();
 * // …
 * await hub.stop();
 * await client.endAsync();
 * ```
 */
export class MqttInput implements Input {
	readonly name: string;
	readonly #o: ResolvedMqttInputOptions;
	readonly #counters = new MqttInputCounters();
	readonly #receiver: MqttReceiver;
	#advised = false;
	readonly #connectedAtCreation: boolean;
	#ready!: Promise<void>;
	#resolveReady!: () => void;
	#rejectReady!: (error: Error) => void;

	/** @param options - See {@link MqttInputOptions}; throws `ConfigError` naming a bad option. */
	constructor(options: MqttInputOptions) {
		this.#o = resolveMqttInputOptions(options);
		this.name = this.#o.name;
		const aliases = this.#o.client.options.properties?.topicAliasMaximum;
		if (typeof aliases === 'number' && aliases > 0) {
			throw new ConfigError(`MqttInput "${this.name}".client`, 'must not set properties.topicAliasMaximum: MQTT.js does not pass aliased topics to the hook the input uses');
		}
		this.#connectedAtCreation = this.#o.client.connected;
		this.#receiver = new MqttReceiver(this.#o, this.#counters);
		this.#receiver.install();
		this.#newReady();
	}

	/**
	 * Resolves once the broker granted the subscriptions (after `hub.start()`;
	 * again after a restart of the input); rejects if it refused one. Publish
	 * after it when the session is new: a broker keeps nothing for a
	 * subscription it does not have yet.
	 */
	get ready(): Promise<void> {
		return this.#ready;
	}

	#newReady(): void {
		this.#ready = new Promise<void>((resolve, reject) => {
			this.#resolveReady = resolve;
			this.#rejectReady = reject;
		});
		this.#ready.catch(() => {}); // a refusal also rejects run(); never an unhandled rejection
	}

	/** A snapshot of the input's counters. */
	stats(): MqttInputStats {
		return this.#counters.snapshot(this.#receiver.inFlight);
	}

	/** @internal Called by the hub: subscribes, delivers until `signal` aborts, then settles what is in flight. */
	async run(sink: Sink, signal: AbortSignal): Promise<void> {
		if (signal.aborted) return;
		this.#advise();
		this.#receiver.start(sink);
		try {
			try {
				await subscribe(this.#o.client, this.#o.filters, this.#o.qos, signal, this.#o.logger, this.name);
			} catch (error) {
				this.#rejectReady(error as Error);
				this.#newReady();
				throw error;
			}
			if (!signal.aborted) {
				this.#o.logger.info({ input: this.name, topics: this.#o.filters, qos: this.#o.qos }, 'polku mqtt input subscribed');
				this.#resolveReady();
				await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
			}
		} finally {
			await this.#receiver.stop(this.#o.shutdownGraceMs);
			this.#newReady();
		}
	}

	/** Warns once about a client whose session cannot give back what was not acknowledged. */
	#advise(): void {
		if (this.#advised) return;
		this.#advised = true;
		const { clean, protocolVersion, properties, reconnectPeriod } = this.#o.client.options;
		const log = this.#o.logger;
		const fields = { input: this.name };
		if (this.#o.qos === 0) return;
		if (this.#connectedAtCreation) {
			log.warn(
				fields,
				'polku mqtt input: the client was already connected when the input was created, so MQTT.js itself acknowledged what the session redelivered at connect; create the input right after mqtt.connect() (or use manualConnect)',
			);
		}
		if (clean !== false) log.warn(fields, 'polku mqtt input: the client has clean: true, so the broker forgets unacknowledged messages when it disconnects; use clean: false');
		else if (protocolVersion === 5 && !((properties?.sessionExpiryInterval ?? 0) > 0)) {
			log.warn(fields, 'polku mqtt input: MQTT 5 ends the session at disconnect unless properties.sessionExpiryInterval > 0; unacknowledged messages are then lost');
		}
		if (reconnectPeriod === 0) log.warn(fields, 'polku mqtt input: reconnectPeriod is 0, so failed deliveries come back only when you reconnect the client');
	}
}

/** Pause before a SUBSCRIBE is sent again after the connection dropped under it. */
const RESUBSCRIBE_MS = 100;

/**
 * SUBSCRIBE and wait for the SUBACK (or the abort). A refused filter fails
 * `run()`; a connection lost before the SUBACK (MQTT.js reconnects) sends the
 * SUBSCRIBE again.
 */
async function subscribe(client: MqttSubscriberClient, filters: readonly string[], qos: MqttQos, signal: AbortSignal, logger: Logger, input: string): Promise<void> {
	while (!signal.aborted) {
		const outcome = await subscribeOnce(client, filters, qos, signal);
		if (outcome === undefined) return;
		if (outcome instanceof PolkuError) throw outcome;
		logger.debug({ input, err: outcome }, 'polku mqtt input: SUBSCRIBE failed; sending it again');
		await new Promise<void>((resolve) => {
			const timer = setTimeout(resolve, RESUBSCRIBE_MS);
			signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
		});
	}
}

/** One SUBSCRIBE: `undefined` when granted (or aborted), a `PolkuError` when refused, the client's error otherwise. */
function subscribeOnce(client: MqttSubscriberClient, filters: readonly string[], qos: MqttQos, signal: AbortSignal): Promise<Error | undefined> {
	const request: { [filter: string]: { qos: MqttQos } } = {};
	for (const f of filters) request[f] = { qos };
	return new Promise<Error | undefined>((resolve) => {
		const onAbort = (): void => resolve(undefined);
		signal.addEventListener('abort', onAbort, { once: true });
		client.subscribe(request, {}, (error, granted) => {
			signal.removeEventListener('abort', onAbort);
			if (error !== null && error !== undefined) return resolve(error);
			const refused = (granted ?? []).filter((g) => g.qos >= 0x80);
			if (refused.length > 0) {
				const list = refused.map((g) => `${g.topic} (reason 0x${g.qos.toString(16)})`).join(', ');
				return resolve(new PolkuError('ERR_POLKU_MQTT_SUBSCRIBE', `the broker refused the subscription to ${list}`));
			}
			resolve(undefined);
		});
	});
}

import { checkInteger, ConfigError, silentLogger, type Logger } from '../../index.js';
import type { MqttQos, MqttSubscriberClient } from './client.js';
import { checkTopicFilter, compileTopicRule, type TopicRule } from './topics.js';

/**
 * Options of {@link MqttInput}.
 *
 * @example
 * ```ts
 * import mqtt from 'mqtt';
 * import { MqttInput } from 'polku/mqtt';
 *
 * const client = mqtt.connect('mqtt://127.0.0.1:1883', {
 *   protocolVersion: 5,
 *   clientId: 'polku-ingest-1',
 *   clean: false,
 *   properties: { sessionExpiryInterval: 3600, receiveMaximum: 1000 },
 * });
 * new MqttInput({ client, topics: ['sensors/+/temp', 'devices/#'], qos: 1, source: '{2}', messageType: 'sensor.{-1}' });
 * ```
 */
export interface MqttInputOptions {
	/**
	 * Your MQTT.js client. For redelivery of what was not acknowledged, connect
	 * it with `clean: false`, a stable `clientId`, and (MQTT 5) a
	 * `sessionExpiryInterval` above 0; a `receiveMaximum` of at most
	 * `maxInFlight` makes the broker stop sending while the hub is busy.
	 */
	readonly client: MqttSubscriberClient;
	/** Topic filters to subscribe to (`+` and `#` wildcards, `$share/<group>/<filter>`). */
	readonly topics: string | readonly string[];
	/** The subscription QoS. @default 1 */
	readonly qos?: MqttQos;
	/** The input's name in the hub. @default 'mqtt' */
	readonly name?: string;
	/** `source` of a message without a polku envelope, from its topic (see {@link TopicRule}). @default the input's name */
	readonly source?: TopicRule;
	/** `messageType` of a message without a polku envelope, from its topic (see {@link TopicRule}). @default '{topic}' */
	readonly messageType?: TopicRule;
	/** Metadata key that receives the topic of every message; `false` for none. @default 'mqtt.topic' */
	readonly topicMetadataKey?: string | false;
	/**
	 * Most messages the input holds that the hub has not yet delivered (QoS 1
	 * and 2) or admitted (QoS 0). At the bound it stops reading the connection
	 * until deliveries complete.
	 * @default the client's `properties.receiveMaximum`, else 1000
	 */
	readonly maxInFlight?: number;
	/** On stop, how long deliveries in flight may take to complete (and be acknowledged). @default 5000 */
	readonly shutdownGraceMs?: number;
	/** Where the input logs poison messages (warn), redeliveries (warn) and session advice (warn). @default silent */
	readonly logger?: Logger;
}

/** Options after validation and defaults. */
export interface ResolvedMqttInputOptions {
	readonly client: MqttSubscriberClient;
	readonly name: string;
	readonly filters: readonly string[];
	readonly qos: MqttQos;
	readonly source: (topic: string) => string;
	readonly messageType: (topic: string) => string;
	readonly topicKey: string | undefined;
	readonly maxInFlight: number;
	readonly shutdownGraceMs: number;
	readonly logger: Logger;
}

/** Validates {@link MqttInputOptions}; throws `ConfigError` naming the first bad option. */
export function resolveMqttInputOptions(options: MqttInputOptions): ResolvedMqttInputOptions {
	if (options === null || typeof options !== 'object') throw new ConfigError('MqttInput options', 'must be an object with a client and topics');
	const name = options.name ?? 'mqtt';
	if (typeof name !== 'string' || name.length === 0) throw new ConfigError('MqttInput.name', 'must be a non-empty string');
	const field = (key: string): string => `MqttInput "${name}".${key}`;
	const client = options.client;
	if (client === null || typeof client !== 'object' || typeof client.handleMessage !== 'function' || typeof client.subscribe !== 'function') {
		throw new ConfigError(field('client'), 'must be an MQTT.js client (mqtt.connect(…))');
	}
	if (client.options === null || typeof client.options !== 'object') throw new ConfigError(field('client'), 'has no options object (is it an MQTT.js v5 client?)');
	const topics = typeof options.topics === 'string' ? [options.topics] : options.topics;
	if (!Array.isArray(topics) || topics.length === 0) throw new ConfigError(field('topics'), 'must be a topic filter or a non-empty array of them');
	const filters = topics.map((t: unknown, i) => checkTopicFilter(t, `${field('topics')}[${i}]`));
	const qos = options.qos ?? 1;
	if (qos !== 0 && qos !== 1 && qos !== 2) throw new ConfigError(field('qos'), `must be 0, 1 or 2, got ${String(qos)}`);
	const topicKey = options.topicMetadataKey ?? 'mqtt.topic';
	if (topicKey !== false && (typeof topicKey !== 'string' || topicKey.length === 0 || topicKey.toLowerCase().startsWith('polku-'))) {
		throw new ConfigError(field('topicMetadataKey'), 'must be a non-empty string outside the reserved polku- names, or false');
	}
	const receiveMaximum = client.options.properties?.receiveMaximum;
	return {
		client,
		name,
		filters,
		qos,
		source: options.source === undefined ? () => name : compileTopicRule(options.source, field('source')),
		messageType: compileTopicRule(options.messageType ?? '{topic}', field('messageType')),
		topicKey: topicKey === false ? undefined : topicKey,
		maxInFlight: checkInteger(field('maxInFlight'), options.maxInFlight ?? (typeof receiveMaximum === 'number' && receiveMaximum > 0 ? receiveMaximum : 1000), 1, 1_000_000),
		shutdownGraceMs: checkInteger(field('shutdownGraceMs'), options.shutdownGraceMs ?? 5000, 0, 2 ** 31 - 1),
		logger: options.logger ?? silentLogger,
	};
}

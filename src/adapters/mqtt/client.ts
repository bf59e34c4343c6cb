// The few parts of an MQTT.js v5 `MqttClient` the adapters use, typed structurally so that polku never
// imports `mqtt` and a compatible client plugs in.

/**
 * MQTT QoS level.
 *
 * @example
 * ```ts
 * const qos: MqttQos = 1; // at least once
 * ```
 */
export type MqttQos = 0 | 1 | 2;

/**
 * MQTT 5 user properties as MQTT.js carries them: a name maps to one value,
 * or to several when the name repeats.
 *
 * @example
 * ```ts
 * const props: MqttUserProperties = { 'polku-id': '01J…', tenant: 'acme' };
 * ```
 */
export type MqttUserProperties = { [name: string]: string | string[] };

/**
 * A received PUBLISH packet, as MQTT.js passes it to `handleMessage` and to
 * its ack hook (only the fields polku reads).
 *
 * @example
 * ```ts
 * const packet: MqttPublishPacket = { topic: 'sensors/7/temp', payload: Buffer.from('21.5'), qos: 1, messageId: 42 };
 * ```
 */
export interface MqttPublishPacket {
	readonly topic: string;
	readonly payload: Uint8Array | string;
	readonly qos: MqttQos;
	/** Set for QoS 1 and 2. */
	readonly messageId?: number | undefined;
	readonly retain?: boolean;
	readonly dup?: boolean;
	readonly properties?: { readonly userProperties?: MqttUserProperties | undefined } | undefined;
}

/**
 * The client's connection stream (a socket). polku writes its own PUBACK
 * packets to it, and destroys it to make the broker redeliver what failed.
 *
 * @example
 * ```ts
 * const stream: MqttStreamLike = client.stream;
 * ```
 */
export interface MqttStreamLike {
	write(chunk: Uint8Array): boolean;
	destroy(): unknown;
	readonly destroyed?: boolean;
}

/**
 * The options of the client that the adapters read (MQTT.js keeps them in
 * `client.options`).
 *
 * @example
 * ```ts
 * const options: MqttClientOptionsLike = { protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 3600, receiveMaximum: 1000 } };
 * ```
 */
export interface MqttClientOptionsLike {
	/** 5 for MQTT 5 (user properties); 4 is MQTT 3.1.1. */
	readonly protocolVersion?: number | undefined;
	/** `false` keeps the session (and what was not acked) across reconnects. */
	readonly clean?: boolean | undefined;
	readonly clientId?: string | undefined;
	/** MQTT.js reconnects after this many ms; 0 disables reconnecting. */
	readonly reconnectPeriod?: number | undefined;
	/** The CONNECT properties polku looks at. */
	readonly properties?: { readonly sessionExpiryInterval?: number | undefined; readonly receiveMaximum?: number | undefined; readonly topicAliasMaximum?: number | undefined } | undefined;
}

/**
 * What {@link MqttInput} needs of an MQTT.js client (`mqtt.connect(…)`):
 * `handleMessage` (MQTT.js's documented hook, which the input replaces to
 * take over QoS 1 acknowledgements), the options (where MQTT.js keeps its
 * `customHandleAcks` hook, which the input uses for QoS 2), the connection
 * stream, and `subscribe`.
 *
 * @example
 * ```ts
 * import mqtt from 'mqtt';
 * import type { MqttSubscriberClient } from 'polku/mqtt';
 *
 * const client: MqttSubscriberClient = mqtt.connect('mqtt://127.0.0.1:1883', { protocolVersion: 5, clean: false, clientId: 'polku-1' });
 * ```
 */
export interface MqttSubscriberClient {
	readonly connected: boolean;
	readonly options: MqttClientOptionsLike;
	readonly stream: MqttStreamLike;
	handleMessage(packet: MqttPublishPacket, callback: (error?: Error) => void): void;
	subscribe(
		filters: { [filter: string]: { qos: MqttQos } },
		options: object,
		callback: (error: Error | null, granted?: readonly { readonly topic: string; readonly qos: number }[]) => void,
	): unknown;
}

/**
 * The options MqttOutput passes to `publish`.
 *
 * @example
 * ```ts
 * const options: MqttPublishOptions = { qos: 1, retain: false, properties: { userProperties: { 'polku-id': '01J…' } } };
 * ```
 */
export interface MqttPublishOptions {
	qos: MqttQos;
	retain: boolean;
	properties?: { userProperties: MqttUserProperties };
}

/**
 * What {@link MqttOutput} needs of an MQTT.js client: `publish` with a
 * completion callback (MQTT.js calls it on PUBACK for QoS 1, PUBCOMP for
 * QoS 2, once written for QoS 0), `connected`, and the protocol version.
 * polku passes the payload as a `Buffer` view (no copy).
 *
 * @example
 * ```ts
 * import mqtt from 'mqtt';
 * import type { MqttPublisherClient } from 'polku/mqtt';
 *
 * const client: MqttPublisherClient = mqtt.connect('mqtt://127.0.0.1:1883', { protocolVersion: 5 });
 * ```
 */
export interface MqttPublisherClient {
	readonly connected: boolean;
	readonly options: MqttClientOptionsLike;
	publish(topic: string, payload: string | Uint8Array, options: MqttPublishOptions, callback: (error?: Error) => void): unknown;
}

/** The MQTT.js ack hook (`options.customHandleAcks`): call `done(null, 0)` to acknowledge. */
export type AckHook = (topic: string, message: Uint8Array, packet: MqttPublishPacket, done: (error: Error | number | null, code?: number) => void) => void;

/**
 * MQTT for polku, over your own MQTT.js v5 client (the optional peer
 * dependency `mqtt`, typed structurally: polku never imports it):
 * {@link MqttInput} subscribes and acknowledges each message only after the
 * hub delivered it; {@link MqttOutput} publishes batches and resolves when the
 * broker acknowledged them. The envelope travels as MQTT 5 user properties in
 * polku's shared envelope ↔ headers mapping.
 *
 * @module polku/mqtt
 * @packageDocumentation
 */
export type {
	MqttClientOptionsLike,
	MqttPublishOptions,
	MqttPublishPacket,
	MqttPublisherClient,
	MqttQos,
	MqttStreamLike,
	MqttSubscriberClient,
	MqttUserProperties,
} from './client.js';
export { MqttInput } from './mqtt-input.js';
export type { MqttInputOptions } from './mqtt-input-options.js';
export type { MqttInputStats } from './mqtt-input-stats.js';
export { MqttOutput, type MqttOutputOptions } from './mqtt-output.js';
export type { MqttTopic } from './topic-template.js';
export type { TopicRule } from './topics.js';

/**
 * NATS and JetStream inputs and outputs over your own connection
 * (`@nats-io/transport-node`, `@nats-io/jetstream` v3), typed structurally.
 * This subpath loads no NATS library when imported; the outputs import
 * `headers()` from `@nats-io/transport-node` on their first send (or take a
 * `headers` factory).
 *
 * @module polku/nats
 * @packageDocumentation
 */
export type {
	JetStreamClientLike,
	JetStreamConsumerConfig,
	JetStreamConsumerLike,
	JetStreamManagerLike,
	JetStreamMessagesLike,
	JsMsgLike,
	NatsConnectionLike,
	NatsHeadersLike,
	NatsMsgLike,
	NatsSubscriptionLike,
	PubAckLike,
} from './client.js';
export type { NatsHeadersFactory } from './headers.js';
export type { JetStreamInputOptions } from './jetstream-input-options.js';
export { JetStreamInput, type JetStreamInputEvents, type JetStreamInputStats } from './jetstream-input.js';
export { JetStreamOutput, type JetStreamOutputOptions, type JetStreamOutputStats } from './jetstream-output.js';
export { NatsInput, type NatsInputOptions } from './nats-input.js';
export { NatsOutput, type NatsOutputOptions } from './nats-output.js';

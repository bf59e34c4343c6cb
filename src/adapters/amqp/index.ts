/**
 * AMQP 0-9-1 (RabbitMQ) input and output with at-least-once delivery. Takes
 * your amqplib connection (typed structurally, so the optional peer
 * dependency `amqplib` is never loaded by polku itself).
 *
 * @module polku/amqp
 * @packageDocumentation
 */
export { AmqpInput, type AmqpInputEvents } from './amqp-input.js';
export { AmqpOutput } from './amqp-output.js';
export type {
	AmqpChannel,
	AmqpConfirmChannel,
	AmqpConnect,
	AmqpConnection,
	AmqpEmitter,
	AmqpEvent,
	AmqpHeaders,
	AmqpMessage,
	AmqpProperties,
	AmqpPublishOptions,
	AmqpReturnedMessage,
} from './client.js';
export { AmqpUnroutableError } from './errors.js';
export type { AmqpInputOptions, AmqpReconnectOptions, AmqpRetryVia } from './input-options.js';
export type { AmqpInputStats } from './input-stats.js';
export type { AmqpOutputOptions } from './output-options.js';

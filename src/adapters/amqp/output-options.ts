import type { Logger, Message } from '../../index.js';
import type { AmqpConnect, AmqpConnection } from './client.js';

/**
 * Options of {@link AmqpOutput}. Give `connection`, `connect`, or both
 * (`connection` first, `connect` after it closed).
 *
 * @example
 * ```ts
 * import amqp from 'amqplib';
 *
 * const options: AmqpOutputOptions = {
 *   connect: () => amqp.connect('amqp://guest:guest@127.0.0.1:5672'),
 *   exchange: 'orders',
 *   routingKey: (message) => message.messageType, // e.g. 'order.created'
 * };
 * ```
 */
export interface AmqpOutputOptions {
	/** Your open connection (amqplib's `amqp.connect()` result). The output makes its own confirm channel on it and never closes the connection. */
	readonly connection?: AmqpConnection;
	/**
	 * Opens a connection: used when there is no `connection`, and again after
	 * the connection closed (so the output survives a broker restart). A
	 * connection made here belongs to the output and `close()` closes it.
	 */
	readonly connect?: AmqpConnect;
	/** The exchange to publish to; `''` is the default exchange, where the routing key names a queue. */
	readonly exchange: string;
	/** The routing key, fixed or chosen per message. */
	readonly routingKey: string | ((message: Message) => string);
	/** @default 'amqp' */
	readonly name?: string;
	/**
	 * Publish as `mandatory`: a message the broker cannot route to any queue
	 * is returned, and the send fails with {@link AmqpUnroutableError}
	 * (instead of the broker silently discarding it).
	 * @default true
	 */
	readonly mandatory?: boolean;
	/** Publish as persistent (delivery mode 2), so durable queues keep it over a broker restart. @default true */
	readonly persistent?: boolean;
	/** The `contentType` property, fixed or per message. @default none */
	readonly contentType?: string | ((message: Message) => string | undefined);
	/**
	 * How long one send may wait for the broker (channel, flow control and
	 * confirms) before it fails. The hub's own send `timeoutMs`, when
	 * shorter, applies too.
	 * @default 30000
	 */
	readonly timeoutMs?: number;
	/** Where connection and channel events are logged. @default silent */
	readonly logger?: Logger;
}

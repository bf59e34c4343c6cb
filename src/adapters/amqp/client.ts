/**
 * The few parts of an AMQP 0-9-1 client polku uses, typed structurally:
 * amqplib's promise API (`import amqp from 'amqplib'`, 0.10.x and 1.x/2.x,
 * including 2.x's recovering connections) fits as is.
 */

/**
 * The table of AMQP message headers (`properties.headers`) as the client
 * decodes it: strings, numbers, booleans, byte buffers, nested tables and
 * arrays (such as RabbitMQ's `x-death`).
 *
 * @example
 * ```ts
 * const headers: AmqpHeaders = { 'polku-id': '01J…', 'x-delivery-count': 2 };
 * ```
 */
export type AmqpHeaders = Readonly<Record<string, unknown>>;

/**
 * The message properties polku reads and writes (a subset of AMQP's basic
 * properties).
 *
 * @example
 * ```ts
 * const properties: AmqpProperties = { messageId: '01J…', timestamp: 1764216000, contentType: 'application/json', headers: {} };
 * ```
 */
export interface AmqpProperties {
	readonly headers?: AmqpHeaders | undefined;
	/** polku writes the message id. */
	readonly messageId?: unknown;
	/** Unix seconds (AMQP's timestamp has no finer resolution; the exact ns travel in the `polku-timestamp` header). */
	readonly timestamp?: unknown;
	/** polku writes the message type. */
	readonly type?: unknown;
	/** polku writes the message source. */
	readonly appId?: unknown;
	readonly contentType?: unknown;
}

/**
 * A delivered (or returned) message, as amqplib hands it over.
 *
 * @example
 * ```ts
 * channel.consume('orders', (message: AmqpMessage | null) => {
 *   if (message !== null) console.log(message.fields.routingKey, message.content.length);
 * });
 * ```
 */
export interface AmqpMessage {
	readonly content: Uint8Array;
	readonly fields: {
		readonly deliveryTag: number;
		readonly redelivered: boolean;
		readonly exchange: string;
		readonly routingKey: string;
	};
	readonly properties: AmqpProperties;
}

/**
 * What a returned (unroutable, `mandatory`) message carries besides the
 * message: the broker's reply code and text.
 *
 * @example
 * ```ts
 * channel.on('return', (returned: AmqpReturnedMessage) => console.warn(returned.fields.replyText)); // 'NO_ROUTE'
 * ```
 */
export interface AmqpReturnedMessage {
	readonly content: Uint8Array;
	readonly fields: { readonly replyCode?: number; readonly replyText?: string; readonly exchange: string; readonly routingKey: string };
	readonly properties: AmqpProperties;
}

/**
 * Options of a publish, as polku sets them.
 *
 * @example
 * ```ts
 * const options: AmqpPublishOptions = { messageId: '01J…', persistent: true, mandatory: true, headers: { 'polku-id': '01J…' } };
 * ```
 */
export interface AmqpPublishOptions {
	readonly messageId?: string;
	readonly timestamp?: number;
	readonly type?: string;
	readonly appId?: string;
	readonly contentType?: string;
	readonly persistent?: boolean;
	readonly mandatory?: boolean;
	readonly headers?: Record<string, unknown>;
}

/**
 * The events polku listens to on channels and connections.
 *
 * @example
 * ```ts
 * const event: AmqpEvent = 'drain';
 * ```
 */
export type AmqpEvent = 'close' | 'error' | 'drain' | 'return';

/**
 * An event source (amqplib's channels and connections are Node event
 * emitters).
 *
 * @example
 * ```ts
 * const emitter: AmqpEmitter = channel;
 * ```
 */
export interface AmqpEmitter {
	on(event: AmqpEvent, listener: (...args: unknown[]) => void): unknown;
	removeListener(event: AmqpEvent, listener: (...args: unknown[]) => void): unknown;
}

/**
 * The channel {@link AmqpInput} consumes on (amqplib's `Channel` or
 * `ConfirmChannel`).
 *
 * @example
 * ```ts
 * const channel: AmqpChannel = await connection.createChannel();
 * ```
 */
export interface AmqpChannel extends AmqpEmitter {
	prefetch(count: number, global?: boolean): Promise<unknown>;
	consume(queue: string, onMessage: (message: AmqpMessage | null) => void, options?: { readonly noAck?: boolean }): Promise<{ readonly consumerTag: string }>;
	cancel(consumerTag: string): Promise<unknown>;
	ack(message: AmqpMessage, allUpTo?: boolean): void;
	nack(message: AmqpMessage, allUpTo?: boolean, requeue?: boolean): void;
	close(): Promise<void>;
}

/**
 * A channel in confirm mode (amqplib's `ConfirmChannel`): every publish is
 * confirmed by the broker through its callback.
 *
 * @example
 * ```ts
 * const channel: AmqpConfirmChannel = await connection.createConfirmChannel();
 * ```
 */
export interface AmqpConfirmChannel extends AmqpChannel {
	publish(exchange: string, routingKey: string, content: Uint8Array, options: AmqpPublishOptions, callback: (error: unknown) => void): boolean;
}

/**
 * A connection (amqplib's `ChannelModel`, what `amqp.connect(url)` resolves
 * to, or 2.x's recovering connection).
 *
 * @example
 * ```ts
 * import amqp from 'amqplib';
 *
 * const connection: AmqpConnection = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
 * ```
 */
export interface AmqpConnection extends AmqpEmitter {
	createChannel(): Promise<AmqpChannel>;
	createConfirmChannel(): Promise<AmqpConfirmChannel>;
	close(): Promise<void>;
}

/**
 * Makes a new connection: polku calls it for the first connection (when no
 * `connection` is given) and again after the connection closed, e.g.
 * `() => amqp.connect(url)`.
 *
 * @example
 * ```ts
 * import amqp from 'amqplib';
 *
 * const connect: AmqpConnect = () => amqp.connect('amqp://guest:guest@127.0.0.1:5672');
 * ```
 */
export type AmqpConnect = () => Promise<AmqpConnection>;

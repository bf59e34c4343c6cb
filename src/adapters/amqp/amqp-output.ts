import { checkNumber, ConfigError, OutputError, silentLogger, toError, type Logger, type Message, type Output } from '../../index.js';
import type { AmqpConfirmChannel, AmqpReturnedMessage } from './client.js';
import { bounded, SendDeadline } from '../shared/deadline.js';
import { AmqpUnroutableError } from './errors.js';
import { AmqpLink } from './link.js';
import type { AmqpOutputOptions } from './output-options.js';
import { publishOptions, type PublishDefaults } from './properties.js';

/** The confirms of one batch: one callback shared by every publish, one promise for the batch. */
class Confirms {
	remaining: number;
	error: Error | undefined;
	returned = 0;
	firstReturn: AmqpReturnedMessage | undefined;
	readonly promise: Promise<void>;
	#resolve!: () => void;
	#reject!: (error: Error) => void;

	constructor(count: number) {
		this.remaining = count;
		this.promise = new Promise<void>((resolve, reject) => {
			this.#resolve = resolve;
			this.#reject = reject;
		});
		this.promise.catch(() => {});
	}

	readonly callback = (error: unknown): void => {
		if (error !== null && error !== undefined && this.error === undefined) this.error = toError(error);
		if (--this.remaining === 0) {
			if (this.error === undefined) this.#resolve();
			else this.#reject(this.error);
		}
	};

	/** No more publishes will happen (the channel refused one): settle on what was published. */
	abandon(unpublished: number, error: Error): void {
		this.error ??= error;
		this.remaining -= unpublished;
		if (this.remaining <= 0) this.#reject(this.error);
	}
}

/**
 * An output that publishes each batch to an AMQP 0-9-1 exchange (RabbitMQ)
 * on a confirm channel of its own, with a routing key fixed or chosen per
 * message. A send resolves when the broker confirmed every message of the
 * batch (publisher confirms: the message is in every queue it routes to, on
 * disk for durable queues and persistent messages).
 *
 * - A message the broker cannot route is returned (`mandatory`, default on)
 *   and fails the send with {@link AmqpUnroutableError}; a nack fails it too.
 * - Publisher flow control: when the channel's write buffer is full
 *   (`publish` returns false), the output waits for the channel's `drain`
 *   before it publishes more, bounded by `timeoutMs` and the hub's signal.
 * - Envelope: the shared header mapping (`polku-id`, `polku-timestamp` as
 *   exact ns, `polku-source`, `polku-type`, `polku-route-to`, metadata), plus
 *   the AMQP properties `messageId` (the id), `timestamp` (whole seconds),
 *   `type` (messageType), `appId` (source), `contentType` (option),
 *   persistent delivery mode. A metadata key `__proto__` travels as the
 *   header `polku-meta-__proto__` (amqplib's decoder would drop it).
 * - After the channel or the connection closed (the broker restarted, a
 *   publish to a missing exchange), the next send opens a new channel, on a
 *   new connection from `connect` when needed.
 *
 * Guarantee: at-least-once into the broker. A failed or timed-out send is
 * retried by the hub as a whole, so messages of it that had reached the
 * broker are published again (duplicates with the same `polku-id`).
 *
 * @example
 * ```ts
 * import amqp from 'amqplib';
 * import { Hub } from 'polku';
 * import { AmqpOutput } from 'polku/amqp';
 *
 * const connection = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
 * const output = new AmqpOutput({ connection, exchange: '', routingKey: 'orders' }); // the default exchange: straight to queue "orders"
 * const hub = Hub.builder().input(input).output(output, { batchSize: 500, retry: { attempts: 5 } }).build();
 * ```
 */
export class AmqpOutput implements Output {
	readonly name: string;
	readonly #link: AmqpLink;
	readonly #exchange: string;
	readonly #routingKey: string | ((message: Message) => string);
	readonly #defaults: PublishDefaults;
	readonly #timeoutMs: number;
	readonly #logger: Logger;
	#channel: AmqpConfirmChannel | undefined;
	#opening: Promise<AmqpConfirmChannel> | undefined;
	#confirms: Confirms | undefined;
	#healthy = true;
	#closed = false;

	/** @param options - See {@link AmqpOutputOptions}; throws `ConfigError` naming a bad option. */
	constructor(options: AmqpOutputOptions) {
		if (options === null || typeof options !== 'object') throw new ConfigError('AmqpOutput options', 'must be an object');
		const name = options.name ?? 'amqp';
		if (typeof name !== 'string' || name === '') throw new ConfigError('AmqpOutput.name', 'must be a non-empty string');
		const field = (key: string): string => `AmqpOutput "${name}".${key}`;
		if (options.connection === undefined && options.connect === undefined) throw new ConfigError(field('connection'), 'give a connection, a connect function, or both');
		if (options.connection !== undefined && typeof options.connection?.createConfirmChannel !== 'function') {
			throw new ConfigError(field('connection'), 'must be an AMQP connection (amqplib: the result of amqp.connect())');
		}
		if (options.connect !== undefined && typeof options.connect !== 'function') throw new ConfigError(field('connect'), 'must be a function returning a connection');
		if (typeof options.exchange !== 'string') throw new ConfigError(field('exchange'), "must be a string ('' is the default exchange)");
		const routingKey = options.routingKey;
		if (typeof routingKey !== 'string' && typeof routingKey !== 'function') throw new ConfigError(field('routingKey'), 'must be a string or a function of the message');
		const contentType = options.contentType;
		if (contentType !== undefined && typeof contentType !== 'string' && typeof contentType !== 'function') throw new ConfigError(field('contentType'), 'must be a string or a function');
		for (const flag of ['mandatory', 'persistent'] as const) {
			if (options[flag] !== undefined && typeof options[flag] !== 'boolean') throw new ConfigError(field(flag), 'must be a boolean');
		}
		this.name = name;
		this.#logger = options.logger ?? silentLogger;
		this.#link = new AmqpLink(options.connection, options.connect, `AmqpOutput "${name}"`, this.#logger);
		this.#exchange = options.exchange;
		this.#routingKey = routingKey;
		this.#defaults = { mandatory: options.mandatory ?? true, persistent: options.persistent ?? true, contentType };
		this.#timeoutMs = checkNumber(field('timeoutMs'), options.timeoutMs ?? 30_000, 1, 2 ** 31 - 1);
	}

	/**
	 * Publishes the batch and resolves once the broker confirmed all of it.
	 * Rejects with {@link AmqpUnroutableError} when messages were returned, and
	 * with an `OutputError` when the broker nacked, the channel closed, no
	 * connection could be opened, or `timeoutMs` / the hub's signal passed.
	 */
	async send(batch: readonly Message[], signal?: AbortSignal): Promise<void> {
		if (this.#closed) throw new OutputError(this.name, 'the output is closed');
		if (batch.length === 0) return;
		const deadline = new SendDeadline(this.name, this.#timeoutMs, signal);
		let channel: AmqpConfirmChannel | undefined;
		const confirms = new Confirms(batch.length);
		try {
			channel = await deadline.race(this.#openChannel());
			this.#confirms = confirms;
			const exchange = this.#exchange;
			const fixedKey = typeof this.#routingKey === 'string' ? this.#routingKey : undefined;
			for (let i = 0; i < batch.length; i++) {
				const message = batch[i]!;
				const routingKey = fixedKey ?? (this.#routingKey as (message: Message) => string)(message);
				let writable: boolean;
				try {
					writable = channel.publish(exchange, routingKey, asBuffer(message.payload), publishOptions(message, this.#defaults), confirms.callback);
				} catch (error) {
					confirms.abandon(batch.length - i, toError(error));
					throw error;
				}
				if (!writable && i < batch.length - 1) await deadline.race(drained(channel));
			}
			await deadline.race(confirms.promise);
			if (confirms.returned > 0) {
				const first = confirms.firstReturn!;
				const reply = `${first.fields.replyCode ?? ''} ${first.fields.replyText ?? ''}`.trim();
				throw new AmqpUnroutableError(this.name, confirms.returned, first.fields.exchange, first.fields.routingKey, reply);
			}
			this.#healthy = true;
		} catch (error) {
			this.#healthy = false;
			// Confirms and returns that come after this send gave up must not mix with the next send's: start afresh.
			if (deadline.expired !== undefined && channel !== undefined) this.#dropChannel(channel);
			if (error instanceof OutputError) throw error;
			const cause = toError(error);
			throw new OutputError(this.name, `publish to ${this.#exchange === '' ? 'the default exchange' : `exchange "${this.#exchange}"`} failed: ${cause.message}`, { cause });
		} finally {
			deadline.dispose();
			if (this.#confirms === confirms) this.#confirms = undefined;
		}
	}

	/** False after a failed send (until one succeeds), and while there is no connection and none can be opened. */
	health(): boolean {
		return this.#healthy && !this.#closed && (this.#link.connected || this.#link.canReconnect);
	}

	/** Closes the output's channel, and the connection if the output opened it. Idempotent. */
	async close(): Promise<void> {
		if (this.#closed) return;
		this.#closed = true;
		const channel = this.#channel;
		this.#channel = undefined;
		if (channel !== undefined) await bounded(channel.close(), 5_000);
		await bounded(this.#link.release(), 5_000);
	}

	#openChannel(): Promise<AmqpConfirmChannel> {
		if (this.#channel !== undefined) return Promise.resolve(this.#channel);
		this.#opening ??= (async () => {
			try {
				const connection = await this.#link.connection();
				let channel: AmqpConfirmChannel;
				try {
					channel = await connection.createConfirmChannel();
				} catch (error) {
					this.#link.discard(connection);
					throw error;
				}
				this.#watch(channel);
				if (this.#closed) {
					await channel.close().catch(() => {});
					throw new OutputError(this.name, 'the output is closed');
				}
				this.#channel = channel;
				return channel;
			} finally {
				this.#opening = undefined;
			}
		})();
		return this.#opening;
	}

	#watch(channel: AmqpConfirmChannel): void {
		const onReturn = (...args: unknown[]): void => {
			const confirms = this.#confirms;
			if (confirms === undefined || this.#channel !== channel) return;
			confirms.returned++;
			confirms.firstReturn ??= args[0] as AmqpReturnedMessage;
		};
		const onError = (...args: unknown[]): void => this.#logger.warn({ output: this.name, error: toError(args[0]).message }, 'AMQP channel error');
		const onClose = (): void => {
			if (this.#channel === channel) this.#channel = undefined;
			channel.removeListener('return', onReturn);
			channel.removeListener('close', onClose);
		};
		channel.on('return', onReturn);
		channel.on('error', onError);
		channel.on('close', onClose);
	}

	#dropChannel(channel: AmqpConfirmChannel): void {
		if (this.#channel === channel) this.#channel = undefined;
		void channel.close().catch(() => {});
	}
}

/** The payload as a Buffer (amqplib copies from Buffers only), without copying the bytes. */
function asBuffer(payload: Uint8Array): Buffer {
	return Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

/** Resolves on the channel's next `drain`; rejects when it closes first. */
function drained(channel: AmqpConfirmChannel): Promise<void> {
	return new Promise<void>((resolve, reject) => {
		const done = (error: Error | undefined): void => {
			channel.removeListener('drain', onDrain);
			channel.removeListener('close', onClose);
			if (error === undefined) resolve();
			else reject(error);
		};
		const onDrain = (): void => done(undefined);
		const onClose = (): void => done(new Error('the channel closed while waiting for it to drain'));
		channel.on('drain', onDrain);
		channel.on('close', onClose);
	});
}

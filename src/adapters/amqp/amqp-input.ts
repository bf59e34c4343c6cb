import { EventEmitter } from 'eventemitter3';
import { checkInteger, checkNumber, ConfigError, PolkuError, silentLogger, toError, type Input, type Logger, type Sink } from '../../index.js';
import { LocalAttempts } from './attempts.js';
import type { AmqpMessage } from './client.js';
import { ConsumerSession, type SessionHost } from './consumer-session.js';
import { bounded, sleep } from '../shared/deadline.js';
import type { AmqpInputOptions, AmqpRetryVia } from './input-options.js';
import { AmqpInputCounters, type AmqpInputStats } from './input-stats.js';
import { AmqpLink } from './link.js';

/**
 * Events of an {@link AmqpInput}.
 *
 * @example
 * ```ts
 * input.on('disconnect', ({ error, abandoned }) => console.warn(`channel lost (${error.message}); ${abandoned} deliveries go back to the queue`));
 * input.on('dead-letter', ({ messageId, attempts }) => console.warn(`gave up on ${messageId} after ${attempts} attempts`));
 * ```
 */
export interface AmqpInputEvents {
	/** Consuming (again): `reconnect` is false for the first channel. */
	connect: (event: { readonly reconnect: boolean }) => void;
	/** The channel or connection closed; `abandoned` deliveries could not be acked (the broker redelivers them). */
	disconnect: (event: { readonly error: Error; readonly abandoned: number }) => void;
	/** A poison message (malformed envelope) was rejected or parked; it is also `sink.dropInvalid`'s drop. */
	invalid: (event: { readonly messageId: string | undefined; readonly error: Error }) => void;
	/** A message was given up on after `attempts` failed deliveries. */
	'dead-letter': (event: { readonly messageId: string | undefined; readonly attempts: number; readonly error: Error; readonly parked: boolean }) => void;
}

/**
 * An input consuming an AMQP 0-9-1 queue (RabbitMQ) with manual
 * acknowledgement: what arrives is handed to the hub in batches with
 * `deliverBatch`, and each message is acked only after every output it
 * routes to confirmed it (one `ack` with `multiple` for a run of them).
 *
 * - Backpressure: `prefetch` bounds the unacked messages in the process;
 *   while the hub blocks, nothing is acked and the broker sends no more.
 * - A failed delivery goes back to the broker ({@link AmqpRetryVia}); after
 *   `maxAttempts` it goes to `parkingQueue`, or is nacked without requeue so
 *   the queue's dead-letter exchange gets it (`dead-letter` event, counter,
 *   log).
 * - Failures a redelivery cannot change (the hub rejected the message,
 *   could not route it, or dead-lettered it to a dead-letter output) are
 *   acked as handled.
 * - A poison message (a malformed `polku-*` envelope) is rejected without
 *   requeue (or parked) and recorded with `sink.dropInvalid` (drop reason
 *   `invalid`).
 * - When the channel or the connection closes, the input opens a new one
 *   (with backoff; a new connection needs `connect`). Deliveries of the dead
 *   channel are not acked (impossible): the broker redelivers them, counted
 *   in `stats().abandoned`. Nothing is acked twice.
 * - Envelope: a message written by polku (`polku-id` header) is restored
 *   exactly; any other message gets id = `messageId`, timestamp = the
 *   `timestamp` property (seconds), source = `appId` else the queue, type =
 *   `type` else the routing key, and its headers as metadata.
 *
 * Guarantee: at-least-once. A message is acked only after it was delivered;
 * it is delivered again (a duplicate, with the same id) when the channel or
 * process dies between the delivery and the ack, or when another output of
 * the same batch failed.
 *
 * @example
 * ```ts
 * import amqp from 'amqplib';
 * import { Hub } from 'polku';
 * import { AmqpInput } from 'polku/amqp';
 *
 * const input = new AmqpInput({ connect: () => amqp.connect('amqp://guest:guest@127.0.0.1:5672'), queue: 'orders', prefetch: 500, maxAttempts: 5 });
 * input.on('dead-letter', (e) => console.warn('gave up on', e.messageId));
 * const hub = Hub.builder().input(input).output(warehouse).build();
 * await hub.start();
 * ```
 */
export class AmqpInput extends EventEmitter<AmqpInputEvents> implements Input {
	readonly name: string;
	readonly #queue: string;
	readonly #prefetch: number;
	readonly #retryVia: AmqpRetryVia;
	readonly #maxAttempts: number;
	readonly #retryDelayMs: number;
	readonly #parkingQueue: string | undefined;
	readonly #baseDelayMs: number;
	readonly #maxDelayMs: number;
	readonly #logger: Logger;
	readonly #link: AmqpLink;
	readonly #counters = new AmqpInputCounters();
	readonly #local = new LocalAttempts();
	#running = false;

	/** @param options - See {@link AmqpInputOptions}; throws `ConfigError` naming a bad option. */
	constructor(options: AmqpInputOptions) {
		super();
		if (options === null || typeof options !== 'object') throw new ConfigError('AmqpInput options', 'must be an object');
		const name = options.name ?? 'amqp';
		if (typeof name !== 'string' || name === '') throw new ConfigError('AmqpInput.name', 'must be a non-empty string');
		const field = (key: string): string => `AmqpInput "${name}".${key}`;
		if (options.connection === undefined && options.connect === undefined) throw new ConfigError(field('connection'), 'give a connection, a connect function, or both');
		if (options.connection !== undefined && typeof options.connection?.createChannel !== 'function') {
			throw new ConfigError(field('connection'), 'must be an AMQP connection (amqplib: the result of amqp.connect())');
		}
		if (options.connect !== undefined && typeof options.connect !== 'function') throw new ConfigError(field('connect'), 'must be a function returning a connection');
		if (typeof options.queue !== 'string' || options.queue === '') throw new ConfigError(field('queue'), 'must be a non-empty queue name');
		const retryVia = options.retryVia ?? 'requeue';
		if (retryVia !== 'requeue' && retryVia !== 'dead-letter-exchange') throw new ConfigError(field('retryVia'), `must be requeue or dead-letter-exchange, got ${String(retryVia)}`);
		const parking = options.parkingQueue;
		if (parking !== undefined && (typeof parking !== 'string' || parking === '')) throw new ConfigError(field('parkingQueue'), 'must be a non-empty queue name');
		if (retryVia === 'dead-letter-exchange' && parking === undefined) {
			throw new ConfigError(field('parkingQueue'), "is needed with retryVia 'dead-letter-exchange' (the dead-letter exchange leads back to the queue)");
		}
		if (parking === options.queue) throw new ConfigError(field('parkingQueue'), 'must not be the consumed queue');
		this.name = name;
		this.#queue = options.queue;
		this.#prefetch = checkInteger(field('prefetch'), options.prefetch ?? 256, 1, 65_535);
		this.#retryVia = retryVia;
		this.#maxAttempts = options.maxAttempts === undefined ? Infinity : checkNumber(field('maxAttempts'), options.maxAttempts, 1, Infinity, true);
		if (Number.isFinite(this.#maxAttempts) && !Number.isInteger(this.#maxAttempts)) throw new ConfigError(field('maxAttempts'), 'must be an integer >= 1 or Infinity');
		this.#retryDelayMs = checkNumber(field('retryDelayMs'), options.retryDelayMs ?? 1000, 0, 2 ** 31 - 1);
		this.#parkingQueue = parking;
		const reconnect = options.reconnect ?? {};
		this.#baseDelayMs = checkNumber(field('reconnect.baseDelayMs'), reconnect.baseDelayMs ?? 100, 1, 2 ** 31 - 1);
		this.#maxDelayMs = checkNumber(field('reconnect.maxDelayMs'), reconnect.maxDelayMs ?? 10_000, this.#baseDelayMs, 2 ** 31 - 1);
		this.#logger = options.logger ?? silentLogger;
		this.#link = new AmqpLink(options.connection, options.connect, `AmqpInput "${name}"`, this.#logger);
	}

	/** A snapshot of the input's counters. */
	stats(): AmqpInputStats {
		return this.#counters.snapshot();
	}

	/**
	 * Consumes until `signal` aborts, then stops gracefully (see the class
	 * docs). Rejects when the connection closed and cannot be replaced (no
	 * `connect`), or when run twice at once.
	 */
	async run(sink: Sink, signal: AbortSignal): Promise<void> {
		if (this.#running) throw new PolkuError('ERR_POLKU_HUB_STATE', `AmqpInput "${this.name}" is already running`);
		this.#running = true;
		const host = this.#host(sink);
		const aborted = new Promise<undefined>((resolve) => {
			if (signal.aborted) resolve(undefined);
			else signal.addEventListener('abort', () => resolve(undefined), { once: true });
		});
		let failures = 0;
		let opened = 0;
		try {
			while (!signal.aborted) {
				let session: ConsumerSession;
				try {
					session = await ConsumerSession.open(host, await this.#link.connection());
				} catch (error) {
					if (signal.aborted) break;
					if (!this.#link.connected && !this.#link.canReconnect) throw error;
					failures++;
					const delay = this.#backoff(failures);
					this.#logger.warn({ input: this.name, queue: this.#queue, error: toError(error).message, retryInMs: delay }, 'AMQP input could not start consuming');
					await sleep(delay, signal);
					continue;
				}
				if (opened++ > 0) this.#counters.reconnects++;
				failures = 0;
				this.#counters.consuming = true;
				this.#logger.info({ input: this.name, queue: this.#queue, reconnect: opened > 1 }, 'AMQP input consuming');
				this.emit('connect', { reconnect: opened > 1 });
				const lost = await Promise.race([session.ended, aborted]);
				this.#counters.consuming = false;
				if (signal.aborted) {
					await session.stop();
					break;
				}
				const error = lost ?? new Error('the channel closed');
				const abandoned = this.#counters.abandoned;
				this.#logger.warn({ input: this.name, queue: this.#queue, error: error.message, abandonedTotal: abandoned }, 'AMQP input lost its channel; reconnecting');
				this.emit('disconnect', { error, abandoned });
				failures++;
				await sleep(this.#backoff(failures), signal);
			}
		} finally {
			this.#counters.consuming = false;
			this.#running = false;
			await bounded(this.#link.release(), 5_000);
		}
	}

	#backoff(failures: number): number {
		const exact = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** Math.max(0, failures - 1));
		return Math.round(exact * (0.8 + 0.2 * Math.random()));
	}

	#host(sink: Sink): SessionHost {
		return {
			name: this.name,
			queue: this.#queue,
			prefetch: this.#prefetch,
			retryVia: this.#retryVia,
			maxAttempts: this.#maxAttempts,
			retryDelayMs: this.#retryDelayMs,
			parkingQueue: this.#parkingQueue,
			counters: this.#counters,
			local: this.#local,
			logger: this.#logger,
			sink,
			invalid: (delivery, error) => {
				const messageId = idOf(delivery);
				sink.dropInvalid(
					{ source: this.#queue, messageType: 'polku.invalid', payload: delivery.content, metadata: messageId === undefined ? {} : { 'amqp-message-id': messageId } },
					error,
				);
				this.#logger.warn({ input: this.name, queue: this.#queue, messageId, error: error.message }, 'AMQP poison message rejected');
				this.emit('invalid', { messageId, error });
			},
			deadLettered: (delivery, attempts, error, parked) => {
				const messageId = idOf(delivery);
				const to = parked ? `parking queue "${this.#parkingQueue}"` : "the queue's dead-letter exchange";
				this.#logger.error({ input: this.name, queue: this.#queue, messageId, attempts, error: error.message }, `AMQP message given up on: to ${to}`);
				this.emit('dead-letter', { messageId, attempts, error, parked });
			},
		};
	}
}

function idOf(delivery: AmqpMessage): string | undefined {
	const id = delivery.properties.messageId;
	return typeof id === 'string' ? id : undefined;
}

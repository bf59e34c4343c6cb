import { ConfigError, OutputError, type Message, type Output } from '../../index.js';
import { abortable, ABANDONED } from '../abortable.js';
import type { NatsConnectionLike } from './client.js';
import { loadHeadersFactory, toNatsHeaders, type NatsHeadersFactory } from './headers.js';
import { checkHeadersFactory, checkOutputBasics } from './output-options.js';

/**
 * Options of {@link NatsOutput}.
 *
 * @example
 * ```ts
 * new NatsOutput({ nc, subject: (m) => `events.${m.messageType}` });
 * ```
 */
export interface NatsOutputOptions {
	/** A connected NATS connection (not closed by the output). */
	readonly nc: NatsConnectionLike;
	/** The subject: fixed, or chosen per message. */
	readonly subject: string | ((message: Message) => string);
	/** @default 'nats' */
	readonly name?: string;
	/** Makes NATS headers. @default `headers` of `@nats-io/transport-node`, imported on first send */
	readonly headers?: NatsHeadersFactory;
}

/**
 * An output publishing each message to a core NATS subject: the payload as
 * the body, the envelope in headers through the shared mapping. Each batch is
 * published and then flushed (one PING/PONG round trip), so `send` resolves
 * when the server has received the batch.
 *
 * Delivery: at-most-once. Core NATS keeps nothing: a subscriber that is not
 * connected (or too slow) at that moment never gets the message, and a
 * connection lost between publish and flush loses what was buffered (the hub
 * retries the batch: duplicates are possible when the first attempt partly
 * got through). Use {@link JetStreamOutput} for at-least-once.
 *
 * @example
 * ```ts
 * import { connect } from '@nats-io/transport-node';
 * import { Hub } from 'polku';
 * import { NatsOutput } from 'polku/nats';
 *
 * const nc = await connect({ servers: '127.0.0.1:4222' });
 * const hub = Hub.builder().output(new NatsOutput({ nc, subject: 'events' })).build();
 * ```
 */
export class NatsOutput implements Output {
	readonly name: string;
	readonly #nc: NatsConnectionLike;
	readonly #subject: string | ((message: Message) => string);
	#headers: NatsHeadersFactory | undefined;
	#lastFailed = false;
	#closed = false;

	/** @param options - See {@link NatsOutputOptions}; throws `ConfigError` naming a bad option. */
	constructor(options: NatsOutputOptions) {
		const { name, subject } = checkOutputBasics('NatsOutput', 'nats', options);
		if (options.nc === null || typeof options.nc !== 'object' || typeof options.nc.publish !== 'function') {
			throw new ConfigError(`NatsOutput "${name}".nc`, 'must be a connected NATS connection');
		}
		this.name = name;
		this.#nc = options.nc;
		this.#subject = subject;
		this.#headers = checkHeadersFactory('NatsOutput', name, options.headers);
	}

	/** Publishes the batch and flushes; rejects with an `OutputError` when the connection is closed or the flush fails. */
	async send(batch: readonly Message[], signal?: AbortSignal): Promise<void> {
		if (this.#closed) throw new OutputError(this.name, 'is closed');
		if (signal?.aborted === true) throw new OutputError(this.name, 'send abandoned by the hub before it started', { cause: signal.reason });
		const make = (this.#headers ??= await loadHeadersFactory());
		const subjectOf = this.#subject;
		try {
			for (const message of batch) {
				const subject = typeof subjectOf === 'string' ? subjectOf : subjectOf(message);
				this.#nc.publish(subject, message.payload, { headers: toNatsHeaders(message, make) });
			}
			await abortable(this.#nc.flush(), signal);
			this.#lastFailed = false;
		} catch (error) {
			if (error === ABANDONED) throw new OutputError(this.name, 'send abandoned by the hub (the batch may still be delivered)', { cause: signal?.reason });
			this.#lastFailed = true;
			throw new OutputError(this.name, `publish failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
		}
	}

	/** False when the connection is closed or the last send failed. */
	health(): boolean {
		return !this.#lastFailed && !this.#nc.isClosed();
	}

	/** Stops sending (the connection is yours to close). Idempotent. */
	async close(): Promise<void> {
		this.#closed = true;
	}
}

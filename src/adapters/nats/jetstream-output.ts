import { checkInteger, ConfigError, OutputError, type Message, type Output } from '../../index.js';
import { abortable, ABANDONED } from '../abortable.js';
import type { JetStreamClientLike, PubAckLike } from './client.js';
import { loadHeadersFactory, toNatsHeaders, type NatsHeadersFactory } from './headers.js';
import { checkHeadersFactory, checkOutputBasics } from './output-options.js';

/**
 * Options of {@link JetStreamOutput}.
 *
 * @example
 * ```ts
 * new JetStreamOutput({ js, subject: 'orders.created', timeoutMs: 5_000 });
 * ```
 */
export interface JetStreamOutputOptions {
	/** The JetStream client (`jetstream(nc)`). */
	readonly js: JetStreamClientLike;
	/** The subject, bound to a stream that must exist: fixed, or chosen per message. */
	readonly subject: string | ((message: Message) => string);
	/** @default 'jetstream' */
	readonly name?: string;
	/** How long one publish waits for its PubAck. @default the client's (5000) */
	readonly timeoutMs?: number;
	/** Makes NATS headers. @default `headers` of `@nats-io/transport-node`, imported on first send */
	readonly headers?: NatsHeadersFactory;
}

/**
 * Counters of a {@link JetStreamOutput}.
 *
 * @example
 * ```ts
 * const { published, duplicates } = output.stats();
 * ```
 */
export interface JetStreamOutputStats {
	/** Messages the stream acknowledged as stored. */
	readonly published: number;
	/** Messages the stream acknowledged as duplicates of a stored `Nats-Msg-Id` (a retried batch). */
	readonly duplicates: number;
}

/**
 * An output publishing to JetStream with acknowledgement: every message of a
 * batch is published at once (pipelined) and `send` resolves when every
 * PubAck arrived. `Nats-Msg-Id` is the message id, so a batch the hub retries
 * after a partial failure is de-duplicated by the stream (exactly-once
 * storage within the stream's duplicate window, 2 minutes by default). The
 * payload is the body; the envelope travels in headers through the shared
 * mapping.
 *
 * Delivery: at-least-once into the stream (with the hub's retries); a retry
 * after the duplicate window, or of a message whose id changed, stores a
 * second copy. Order within a batch follows the publish order (one
 * connection).
 *
 * @example
 * ```ts
 * import { connect } from '@nats-io/transport-node';
 * import { jetstream } from '@nats-io/jetstream';
 * import { Hub } from 'polku';
 * import { JetStreamOutput } from 'polku/nats';
 *
 * const nc = await connect({ servers: '127.0.0.1:4222' });
 * const hub = Hub.builder()
 *   .output(new JetStreamOutput({ js: jetstream(nc), subject: 'orders.created' }), { retry: { attempts: 5 } })
 *   .build();
 * ```
 */
export class JetStreamOutput implements Output {
	readonly name: string;
	readonly #js: JetStreamClientLike;
	readonly #subject: string | ((message: Message) => string);
	readonly #timeoutMs: number | undefined;
	#headers: NatsHeadersFactory | undefined;
	#lastFailed = false;
	#closed = false;
	#published = 0;
	#duplicates = 0;

	/** @param options - See {@link JetStreamOutputOptions}; throws `ConfigError` naming a bad option. */
	constructor(options: JetStreamOutputOptions) {
		const { name, subject } = checkOutputBasics('JetStreamOutput', 'jetstream', options);
		if (options.js === null || typeof options.js !== 'object' || typeof options.js.publish !== 'function') {
			throw new ConfigError(`JetStreamOutput "${name}".js`, 'must be a JetStream client (jetstream(nc))');
		}
		this.name = name;
		this.#js = options.js;
		this.#subject = subject;
		this.#timeoutMs = options.timeoutMs === undefined ? undefined : checkInteger(`JetStreamOutput "${name}".timeoutMs`, options.timeoutMs, 1);
		this.#headers = checkHeadersFactory('JetStreamOutput', name, options.headers);
	}

	/** A snapshot of the counters. */
	stats(): JetStreamOutputStats {
		return { published: this.#published, duplicates: this.#duplicates };
	}

	/** Publishes the batch pipelined and awaits every PubAck; rejects with an `OutputError` naming the first failure. */
	async send(batch: readonly Message[], signal?: AbortSignal): Promise<void> {
		if (this.#closed) throw new OutputError(this.name, 'is closed');
		if (signal?.aborted === true) throw new OutputError(this.name, 'send abandoned by the hub before it started', { cause: signal.reason });
		const make = (this.#headers ??= await loadHeadersFactory());
		const subjectOf = this.#subject;
		const timeout = this.#timeoutMs;
		const acks: Promise<PubAckLike>[] = new Array(batch.length);
		try {
			for (let i = 0; i < batch.length; i++) {
				const message = batch[i]!;
				const subject = typeof subjectOf === 'string' ? subjectOf : subjectOf(message);
				const options = timeout === undefined ? { msgID: message.id, headers: toNatsHeaders(message, make) } : { msgID: message.id, headers: toNatsHeaders(message, make), timeout };
				acks[i] = this.#js.publish(subject, message.payload, options);
			}
			const results = await abortable(Promise.all(acks), signal);
			let duplicates = 0;
			for (const ack of results) if (ack.duplicate) duplicates++;
			this.#duplicates += duplicates;
			this.#published += results.length - duplicates;
			this.#lastFailed = false;
		} catch (error) {
			for (const ack of acks) ack?.catch(() => {});
			if (error === ABANDONED) throw new OutputError(this.name, 'send abandoned by the hub (publishes may still be stored; a retry is de-duplicated)', { cause: signal?.reason });
			this.#lastFailed = true;
			throw new OutputError(this.name, `publish failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
		}
	}

	/** False after a failed send, until one succeeds. */
	health(): boolean {
		return !this.#lastFailed;
	}

	/** Stops sending (the connection is yours to close). Idempotent. */
	async close(): Promise<void> {
		this.#closed = true;
	}
}

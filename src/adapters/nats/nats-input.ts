import { checkInteger, ConfigError, silentLogger, toError, type Input, type Logger, type Message, type Sink } from '../../index.js';
import type { NatsConnectionLike } from './client.js';
import { fromNatsMsg } from './headers.js';

/**
 * Options of {@link NatsInput}.
 *
 * @example
 * ```ts
 * new NatsInput({ nc, subject: 'orders.>', queue: 'polku' });
 * ```
 */
export interface NatsInputOptions {
	/** A connected NATS connection (not closed by the input). */
	readonly nc: NatsConnectionLike;
	/** The subject to subscribe to (wildcards allowed). */
	readonly subject: string;
	/** A queue group: inputs (processes) in the same group share the messages, each message going to one of them. @default none (every input gets every message) */
	readonly queue?: string;
	/** Most messages handed to the hub in one `sendBatch`. @default 256 */
	readonly maxBatch?: number;
	/** @default 'nats' */
	readonly name?: string;
	/** Where poison messages are logged. @default silent */
	readonly logger?: Logger;
}

/**
 * An input subscribed to a core NATS subject (optionally in a queue group).
 * Messages received together go in with one `sendBatch`. A message published
 * by polku gets its envelope back exactly; any other gets a fresh id and
 * timestamp, source `nats`, type = the subject, and its headers as metadata.
 * A poison message (a malformed polku envelope) is recorded with
 * `sink.dropInvalid`.
 *
 * Delivery: at-most-once. Core NATS has no acks and keeps nothing: a message
 * is lost when the process dies before the hub delivered it, and while the hub
 * blocks (overflow `block`) the NATS client queues incoming messages in memory
 * (until the server drops a slow consumer). Use the `drop-newest` overflow to
 * bound it, or {@link JetStreamInput} for at-least-once.
 *
 * @example
 * ```ts
 * import { connect } from '@nats-io/transport-node';
 * import { Hub } from 'polku';
 * import { NatsInput } from 'polku/nats';
 *
 * const nc = await connect({ servers: '127.0.0.1:4222' });
 * const hub = Hub.builder().input(new NatsInput({ nc, subject: 'events.>', queue: 'polku' })).output(warehouse).build();
 * ```
 */
export class NatsInput implements Input {
	readonly name: string;
	readonly #nc: NatsConnectionLike;
	readonly #subject: string;
	readonly #queue: string | undefined;
	readonly #maxBatch: number;
	readonly #logger: Logger;
	#subscribed: Promise<void>;
	#markSubscribed!: () => void;

	/** @param options - See {@link NatsInputOptions}; throws `ConfigError` naming a bad option. */
	constructor(options: NatsInputOptions) {
		if (options === null || typeof options !== 'object') throw new ConfigError('NatsInput options', 'must be an object with nc and subject');
		const name = options.name ?? 'nats';
		if (typeof name !== 'string' || name.length === 0) throw new ConfigError('NatsInput.name', 'must be a non-empty string');
		const field = (key: string): string => `NatsInput "${name}".${key}`;
		if (options.nc === null || typeof options.nc !== 'object' || typeof options.nc.subscribe !== 'function') throw new ConfigError(field('nc'), 'must be a connected NATS connection');
		if (typeof options.subject !== 'string' || options.subject.length === 0 || /\s/.test(options.subject)) throw new ConfigError(field('subject'), 'must be a subject without white space');
		if (options.queue !== undefined && (typeof options.queue !== 'string' || options.queue.length === 0 || /\s/.test(options.queue))) throw new ConfigError(field('queue'), 'must be a queue group name without white space');
		this.name = name;
		this.#nc = options.nc;
		this.#subject = options.subject;
		this.#queue = options.queue;
		this.#maxBatch = checkInteger(field('maxBatch'), options.maxBatch ?? 256, 1);
		this.#logger = options.logger ?? silentLogger;
		this.#subscribed = new Promise((resolve) => (this.#markSubscribed = resolve));
	}

	/**
	 * Resolves once the input's subscription is registered at the server (core
	 * NATS delivers nothing published before that).
	 *
	 * @example
	 * ```ts
	 * await hub.start();
	 * await input.subscribed();
	 * nc.publish('events.created', payload);
	 * ```
	 */
	subscribed(): Promise<void> {
		return this.#subscribed;
	}

	/** @internal Called by the hub: subscribes until `signal` aborts. */
	async run(sink: Sink, signal: AbortSignal): Promise<void> {
		if (signal.aborted) return;
		const sub = this.#nc.subscribe(this.#subject, this.#queue === undefined ? undefined : { queue: this.#queue });
		const stop = (): void => sub.unsubscribe();
		signal.addEventListener('abort', stop, { once: true });
		void this.#nc.flush().then(this.#markSubscribed, () => {});
		let batch: Message[] = [];
		try {
			for await (const msg of sub) {
				try {
					batch.push(fromNatsMsg(msg, { source: 'nats', messageType: msg.subject }));
				} catch (error) {
					this.#logger.warn({ input: this.name, subject: msg.subject, err: error }, 'polku nats input: poison message dropped');
					sink.dropInvalid({ source: 'nats', messageType: msg.subject, payload: msg.data }, toError(error));
				}
				if (batch.length < this.#maxBatch && sub.getPending() > 0) continue;
				if (batch.length > 0) await sink.sendBatch(batch);
				batch = [];
			}
			if (batch.length > 0) await sink.sendBatch(batch);
		} finally {
			signal.removeEventListener('abort', stop);
		}
	}
}

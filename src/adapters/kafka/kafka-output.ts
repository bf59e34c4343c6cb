import { ConfigError, OutputError, type Message, type Output } from '../../index.js';
import type { KafkaProducerBatch, KafkaProducerLike, KafkaRecordOut } from './client.js';
import { abortable, ABANDONED } from '../abortable.js';
import { toRecord } from './records.js';

/**
 * Kafka compression codecs. kafkajs ships `gzip` only (register a codec for
 * the others); Confluent's client has all of them built in.
 *
 * @example
 * ```ts
 * const compression: KafkaCompression = 'gzip';
 * ```
 */
export type KafkaCompression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

const COMPRESSION_CODES: Readonly<Record<KafkaCompression, number>> = Object.freeze({ none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 });

/**
 * Options of {@link KafkaOutput}.
 *
 * @example
 * ```ts
 * new KafkaOutput({
 *   producer,                                   // connected kafkajs or Confluent producer
 *   topic: (m) => `events.${m.source}`,         // or a fixed topic name
 *   key: 'tenant',                              // metadata field as the record key
 *   acks: -1,
 *   compression: 'gzip',
 * });
 * ```
 */
export interface KafkaOutputOptions {
	/** A connected producer (kafkajs or Confluent's KafkaJS API). The output never connects it; `close()` disconnects it unless `disconnectOnClose` is false. */
	readonly producer: KafkaProducerLike;
	/** The topic: fixed, or chosen per message. */
	readonly topic: string | ((message: Message) => string);
	/**
	 * The record key: the value of this metadata field (no key when the message
	 * lacks it), or a function of the message. Records with the same key go to
	 * the same partition, in order.
	 * @default no key (the client's partitioner spreads records)
	 */
	readonly key?: string | ((message: Message) => string | Uint8Array | undefined);
	/**
	 * Broker acknowledgements: `-1` (all in-sync replicas), `1` (the leader) or
	 * `0` (none: at-most-once). Passed with every `sendBatch` for kafkajs. A
	 * Confluent producer (it has `flush()`) refuses per-call acks: configure
	 * `acks` on the producer (librdkafka's default is all) and leave this unset.
	 * @default -1
	 */
	readonly acks?: -1 | 0 | 1;
	/** Compression codec, passed per call to kafkajs (a Confluent producer takes `compression` in its own configuration). @default 'none' */
	readonly compression?: KafkaCompression;
	/** @default 'kafka' */
	readonly name?: string;
	/** Disconnect the producer in `close()`. @default true */
	readonly disconnectOnClose?: boolean;
}

/**
 * An output that produces each batch to Kafka with one `sendBatch` call and
 * resolves when the brokers acknowledged every record (per `acks`). The
 * payload is the record value; the envelope travels in headers through the
 * shared mapping (`polku-id`, `polku-timestamp` in exact ns, `polku-source`,
 * `polku-type`, `polku-route-to`, metadata as headers of their own name), and
 * the record timestamp is the message's (ms). A message consumed by
 * `KafkaInput` and produced again keeps its id and timestamp.
 *
 * Delivery: at-least-once with `acks: -1` and the hub's retries (a retried
 * batch whose first attempt partly reached the broker is written again:
 * duplicates, same ids); order per partition is the batch order.
 *
 * @example
 * ```ts
 * import { Kafka } from 'kafkajs';
 * import { Hub } from 'polku';
 * import { KafkaOutput } from 'polku/kafka';
 *
 * const producer = new Kafka({ clientId: 'orders', brokers: ['127.0.0.1:9092'] }).producer();
 * await producer.connect();
 * const hub = Hub.builder()
 *   .output(new KafkaOutput({ producer, topic: 'orders', key: 'customer' }), { retry: { attempts: 5 } })
 *   .build();
 * ```
 */
export class KafkaOutput implements Output {
	readonly name: string;
	readonly #producer: KafkaProducerLike;
	readonly #topic: string | ((message: Message) => string);
	readonly #key: ((message: Message) => string | Uint8Array | undefined) | undefined;
	readonly #acks: number | undefined;
	readonly #compression: number | undefined;
	readonly #disconnect: boolean;
	#lastFailed = false;
	#closing: Promise<void> | undefined;

	/** @param options - See {@link KafkaOutputOptions}; throws `ConfigError` naming a bad option. */
	constructor(options: KafkaOutputOptions) {
		if (options === null || typeof options !== 'object') throw new ConfigError('KafkaOutput options', 'must be an object with a producer and a topic');
		const name = options.name ?? 'kafka';
		if (typeof name !== 'string' || name.length === 0) throw new ConfigError('KafkaOutput.name', 'must be a non-empty string');
		const field = (key: string): string => `KafkaOutput "${name}".${key}`;
		const producer = options.producer;
		if (producer === null || typeof producer !== 'object' || typeof producer.sendBatch !== 'function') {
			throw new ConfigError(field('producer'), 'must be a connected Kafka producer (kafkajs or @confluentinc/kafka-javascript KafkaJS API)');
		}
		const topic = options.topic;
		if (!(typeof topic === 'function' || (typeof topic === 'string' && topic.length > 0))) throw new ConfigError(field('topic'), 'must be a topic name or a function of the message');
		const key = options.key;
		if (key !== undefined && typeof key !== 'function' && (typeof key !== 'string' || key.length === 0)) {
			throw new ConfigError(field('key'), 'must be a metadata field name or a function of the message');
		}
		const confluent = typeof producer.flush === 'function';
		if (options.acks !== undefined && options.acks !== -1 && options.acks !== 0 && options.acks !== 1) throw new ConfigError(field('acks'), `must be -1, 0 or 1, got ${String(options.acks)}`);
		if (options.compression !== undefined && !(options.compression in COMPRESSION_CODES)) {
			throw new ConfigError(field('compression'), `must be one of ${Object.keys(COMPRESSION_CODES).join(', ')}, got ${String(options.compression)}`);
		}
		if (confluent && (options.acks !== undefined || options.compression !== undefined)) {
			throw new ConfigError(field(options.acks !== undefined ? 'acks' : 'compression'), 'is producer configuration for @confluentinc/kafka-javascript (its sendBatch refuses it): set it where you create the producer');
		}
		this.name = name;
		this.#producer = producer;
		this.#topic = topic;
		this.#key = typeof key === 'string' ? (m) => m.metadata[key] : key;
		this.#acks = confluent ? undefined : (options.acks ?? -1);
		this.#compression = confluent || options.compression === undefined ? undefined : COMPRESSION_CODES[options.compression];
		this.#disconnect = options.disconnectOnClose ?? true;
	}

	/**
	 * Produces the batch (one `sendBatch`); rejects with an `OutputError`
	 * naming the cause when the client fails. When `signal` aborts (the hub gave
	 * up on this send) the returned promise rejects at once; the client's
	 * request cannot be cancelled and may still complete (a retry then writes
	 * duplicates, with the same ids).
	 */
	async send(batch: readonly Message[], signal?: AbortSignal): Promise<void> {
		if (this.#closing !== undefined) throw new OutputError(this.name, 'is closed');
		if (signal?.aborted === true) throw new OutputError(this.name, 'send abandoned by the hub before it started', { cause: signal.reason });
		const request = this.#request(batch);
		try {
			await abortable(this.#producer.sendBatch(request), signal);
			this.#lastFailed = false;
		} catch (error) {
			if (error === ABANDONED) throw new OutputError(this.name, 'send abandoned by the hub (the request may still complete)', { cause: signal?.reason });
			this.#lastFailed = true;
			throw new OutputError(this.name, `sendBatch failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
		}
	}

	/** False after a failed send, until one succeeds. */
	health(): boolean {
		return !this.#lastFailed;
	}

	/** Disconnects the producer (unless `disconnectOnClose` is false). Idempotent. */
	close(): Promise<void> {
		this.#closing ??= this.#disconnect ? this.#producer.disconnect() : Promise.resolve();
		return this.#closing;
	}

	#request(batch: readonly Message[]): KafkaProducerBatch {
		const topicOf = this.#topic;
		const keyOf = this.#key;
		const topicMessages: { topic: string; messages: KafkaRecordOut[] }[] = [];
		if (typeof topicOf === 'string') {
			const messages: KafkaRecordOut[] = new Array(batch.length);
			for (let i = 0; i < batch.length; i++) messages[i] = toRecord(batch[i]!, keyOf?.(batch[i]!));
			topicMessages.push({ topic: topicOf, messages });
		} else {
			const byTopic = new Map<string, KafkaRecordOut[]>();
			for (const message of batch) {
				const topic = topicOf(message);
				if (typeof topic !== 'string' || topic.length === 0) throw new OutputError(this.name, `topic function returned ${JSON.stringify(topic)} for message ${message.id}`);
				let list = byTopic.get(topic);
				if (list === undefined) byTopic.set(topic, (list = []));
				list.push(toRecord(message, keyOf?.(message)));
			}
			for (const [topic, messages] of byTopic) topicMessages.push({ topic, messages });
		}
		const request: KafkaProducerBatch = { topicMessages };
		if (this.#acks !== undefined) request.acks = this.#acks;
		if (this.#compression !== undefined) request.compression = this.#compression;
		return request;
	}
}

import { checkInteger, ConfigError, silentLogger, type Logger } from '../../index.js';
import type { KafkaConsumerLike, KafkaProducerLike } from './client.js';

/**
 * Where {@link KafkaInput} sends records it gives up on: poison records (a
 * malformed polku envelope) at once, and records that failed delivery
 * `maxAttempts` times. The record goes there as it was consumed (key, value,
 * headers) plus headers `polku.dlq.error`, `polku.dlq.origin`
 * (`topic/partition/offset`) and `polku.dlq.attempts`.
 *
 * @example
 * ```ts
 * const deadLetter: KafkaDeadLetter = { producer: dlqProducer, topic: 'orders.dlq' };
 * ```
 */
export interface KafkaDeadLetter {
	/** A connected producer (not disconnected by the input). */
	readonly producer: KafkaProducerLike;
	readonly topic: string;
}

/**
 * Options of {@link KafkaInput}.
 *
 * @example
 * ```ts
 * new KafkaInput({
 *   consumer: () => kafka.consumer({ groupId: 'polku', maxBytesPerPartition: 256 * 1024 }),
 *   topics: ['orders', 'refunds'],
 *   fromBeginning: true,
 *   maxInFlight: 2_000,
 *   deadLetter: { producer, topic: 'orders.dlq' },
 *   maxAttempts: 5,
 * });
 * ```
 */
export interface KafkaInputOptions {
	/**
	 * The consumer (its `groupId` is the consumer group), or a function making
	 * one: a Kafka consumer runs once, so pass a function when the hub may
	 * restart the input. The input connects it, subscribes, runs it with manual
	 * commits, and disconnects it when it stops. A Confluent consumer must be
	 * created with `kafkaJS: { autoCommit: false }` (and `fromBeginning` there).
	 */
	readonly consumer: KafkaConsumerLike | (() => KafkaConsumerLike);
	/** Topics to consume (set this or `pattern`). */
	readonly topics?: readonly string[];
	/** Consume every topic whose name matches (set this or `topics`). Confluent's client wants it anchored with `^` and without flags. */
	readonly pattern?: RegExp;
	/** Where a consumer group without committed offsets starts: the earliest offset (true) or new records only (false). Passed to kafkajs' `subscribe`. @default the client's default (kafkajs: latest) */
	readonly fromBeginning?: boolean;
	/** @default 'kafka' */
	readonly name?: string;
	/**
	 * Most records fetched and handed to the hub but not yet delivered. At the
	 * bound the input pauses its topics and declines batches already fetched
	 * (not resolving them, so the client reads them again after resuming); it
	 * resumes at half. The input holds at most this plus one fetched batch.
	 * @default 1000
	 */
	readonly maxInFlight?: number;
	/** Where records are given up on (see {@link KafkaDeadLetter}). Without it, a poison record is skipped (counted as invalid) and a failing record is retried until it is delivered. */
	readonly deadLetter?: KafkaDeadLetter;
	/** Deliveries of one record before it goes to `deadLetter` (ignored without one). @default 5 */
	readonly maxAttempts?: number;
	/** Wait before a failed record is read again; doubles per attempt of that record, up to 30 s. @default 200 */
	readonly redeliveryDelayMs?: number;
	/** How long stopping waits for open deliveries (then the last commit, then disconnect). @default 30000 */
	readonly stopTimeoutMs?: number;
	/** Where poison records, redeliveries and commit failures are logged. @default silent */
	readonly logger?: Logger;
}

/** Options with defaults applied. */
export interface ResolvedKafkaInputOptions {
	readonly name: string;
	readonly consumer: () => KafkaConsumerLike;
	readonly subscription: (string | RegExp)[];
	readonly fromBeginning: boolean | undefined;
	readonly maxInFlight: number;
	readonly deadLetter: KafkaDeadLetter | undefined;
	readonly maxAttempts: number;
	readonly redeliveryDelayMs: number;
	readonly stopTimeoutMs: number;
	readonly logger: Logger;
}

export function resolveKafkaInputOptions(options: KafkaInputOptions): ResolvedKafkaInputOptions {
	if (options === null || typeof options !== 'object') throw new ConfigError('KafkaInput options', 'must be an object with a consumer and topics or a pattern');
	const name = options.name ?? 'kafka';
	if (typeof name !== 'string' || name.length === 0) throw new ConfigError('KafkaInput.name', 'must be a non-empty string');
	const field = (key: string): string => `KafkaInput "${name}".${key}`;
	const consumer = options.consumer;
	if (typeof consumer !== 'function' && (consumer === null || typeof consumer !== 'object' || typeof consumer.run !== 'function')) {
		throw new ConfigError(field('consumer'), 'must be a Kafka consumer (kafkajs or @confluentinc/kafka-javascript KafkaJS API) or a function returning one');
	}
	const { topics, pattern } = options;
	if ((topics === undefined) === (pattern === undefined)) throw new ConfigError(field('topics'), 'set exactly one of topics or pattern');
	if (topics !== undefined && (!Array.isArray(topics) || topics.length === 0 || topics.some((t) => typeof t !== 'string' || t.length === 0))) {
		throw new ConfigError(field('topics'), 'must be a non-empty array of topic names');
	}
	if (pattern !== undefined && !(pattern instanceof RegExp)) throw new ConfigError(field('pattern'), 'must be a RegExp');
	if (options.fromBeginning !== undefined && typeof options.fromBeginning !== 'boolean') throw new ConfigError(field('fromBeginning'), 'must be a boolean');
	const deadLetter = options.deadLetter;
	if (deadLetter !== undefined) {
		if (deadLetter === null || typeof deadLetter !== 'object' || typeof deadLetter.producer?.sendBatch !== 'function') {
			throw new ConfigError(field('deadLetter.producer'), 'must be a connected Kafka producer');
		}
		if (typeof deadLetter.topic !== 'string' || deadLetter.topic.length === 0) throw new ConfigError(field('deadLetter.topic'), 'must be a topic name');
	}
	return {
		name,
		consumer: typeof consumer === 'function' ? consumer : () => consumer,
		subscription: topics !== undefined ? [...topics] : [pattern!],
		fromBeginning: options.fromBeginning,
		maxInFlight: checkInteger(field('maxInFlight'), options.maxInFlight ?? 1000, 1),
		deadLetter,
		maxAttempts: checkInteger(field('maxAttempts'), options.maxAttempts ?? 5, 1),
		redeliveryDelayMs: checkInteger(field('redeliveryDelayMs'), options.redeliveryDelayMs ?? 200, 0, 30_000),
		stopTimeoutMs: checkInteger(field('stopTimeoutMs'), options.stopTimeoutMs ?? 30_000, 0),
		logger: options.logger ?? silentLogger,
	};
}

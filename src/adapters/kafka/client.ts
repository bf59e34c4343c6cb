// The few methods polku/kafka calls on the user's own Kafka client objects, typed structurally so that
// kafkajs 2.2.x and Confluent's @confluentinc/kafka-javascript (its KafkaJS-compatible `KafkaJS` API)
// plug in unchanged. Nothing here is imported from either library.

/**
 * A header value as Kafka clients hand them over: bytes (received), a string
 * (sent), or several when a name repeats.
 *
 * @example
 * ```ts
 * const value: KafkaHeaderValue = Buffer.from('acme');
 * ```
 */
export type KafkaHeaderValue = Uint8Array | string | readonly (Uint8Array | string)[] | undefined;

/**
 * One record as polku/kafka produces it (a subset of kafkajs' `Message`).
 *
 * @example
 * ```ts
 * const record: KafkaRecordOut = { key: 'order-42', value: Buffer.from('{}'), headers: { 'polku-id': '01J…' }, timestamp: '1764000000000' };
 * ```
 */
export interface KafkaRecordOut {
	key?: Uint8Array | string | null;
	value: Uint8Array | string | null;
	headers?: { [name: string]: KafkaHeaderValue };
	partition?: number;
	/** Milliseconds since the epoch, as a decimal string. */
	timestamp?: string;
}

/**
 * What `sendBatch` receives. `acks` and `compression` are present only when
 * the output passes them per call (kafkajs); Confluent's client takes them
 * from the producer's configuration instead (its `sendBatch` refuses them).
 *
 * @example
 * ```ts
 * const batch: KafkaProducerBatch = { topicMessages: [{ topic: 'orders', messages: [record] }], acks: -1 };
 * ```
 */
export interface KafkaProducerBatch {
	/** Always set by polku/kafka (optional only to match the clients' own type). */
	topicMessages?: { topic: string; messages: KafkaRecordOut[] }[];
	acks?: number;
	compression?: number;
}

/**
 * The producer polku/kafka needs: a connected kafkajs `Producer`, or a
 * connected Confluent `KafkaJS.Producer` (recognised by its `flush` method;
 * see {@link KafkaOutputOptions.acks}).
 *
 * @example
 * ```ts
 * import { Kafka } from 'kafkajs';
 *
 * const producer: KafkaProducerLike = new Kafka({ brokers: ['127.0.0.1:9092'] }).producer();
 * await producer.connect();
 * ```
 */
export interface KafkaProducerLike {
	sendBatch(batch: KafkaProducerBatch): Promise<unknown>;
	/** Confluent's client has it (librdkafka-based: acks and compression are producer configuration); kafkajs has not. */
	flush?(args?: { timeout?: number }): Promise<void>;
	disconnect(): Promise<void>;
}

/**
 * One consumed record (kafkajs' `KafkaMessage`).
 *
 * @example
 * ```ts
 * const record: KafkaRecordIn = { offset: '17', timestamp: '1764000000000', key: null, value: Buffer.from('{}'), headers: {} };
 * ```
 */
export interface KafkaRecordIn {
	readonly offset: string;
	/** Milliseconds since the epoch, as a decimal string. */
	readonly timestamp: string;
	readonly key: Uint8Array | null;
	readonly value: Uint8Array | null;
	readonly headers?: { readonly [name: string]: KafkaHeaderValue };
}

/**
 * The `batch` of an `eachBatch` call: the records of one partition.
 *
 * @example
 * ```ts
 * const first = batch.messages[0]?.offset;
 * ```
 */
export interface KafkaBatchLike {
	readonly topic: string;
	readonly partition: number;
	readonly messages: readonly KafkaRecordIn[];
}

/**
 * What an `eachBatch` handler receives (the part polku/kafka uses).
 *
 * @example
 * ```ts
 * const handler = async ({ batch, resolveOffset }: KafkaEachBatchPayload) => resolveOffset(batch.messages.at(-1)!.offset);
 * ```
 */
export interface KafkaEachBatchPayload {
	readonly batch: KafkaBatchLike;
	resolveOffset(offset: string): void;
	heartbeat(): Promise<void>;
	isRunning(): boolean;
	isStale(): boolean;
}

/**
 * One partition position (an offset is the next record to read).
 *
 * @example
 * ```ts
 * const position: KafkaTopicPartitionOffset = { topic: 'orders', partition: 3, offset: '1200' };
 * ```
 */
export interface KafkaTopicPartitionOffset {
	topic: string;
	partition: number;
	offset: string;
}

/**
 * What `consumer.run()` receives from KafkaInput. `autoCommit: false` is
 * passed to kafkajs only; Confluent's client takes it from the consumer's
 * configuration (`kafkaJS: { autoCommit: false }`) and refuses it here.
 *
 * @example
 * ```ts
 * const config: KafkaRunConfig = { eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch: async () => {} };
 * ```
 */
export interface KafkaRunConfig {
	eachBatchAutoResolve: boolean;
	partitionsConsumedConcurrently: number;
	autoCommit?: boolean;
	eachBatch(payload: KafkaEachBatchPayload): Promise<void>;
}

/**
 * A kafkajs consumer instrumentation event as polku/kafka reads it:
 * `consumer.group_join` carries the new assignment (topic → partitions),
 * `consumer.crash` the error and whether kafkajs restarts by itself.
 *
 * @example
 * ```ts
 * consumer.on('consumer.group_join', (event: KafkaConsumerEvent) => console.log(event.payload.memberAssignment));
 * ```
 */
export interface KafkaConsumerEvent {
	readonly payload: {
		readonly memberAssignment?: { readonly [topic: string]: readonly number[] };
		readonly error?: unknown;
		readonly restart?: boolean;
	};
}

/**
 * The consumer polku/kafka needs: a kafkajs `Consumer`, or a Confluent
 * `KafkaJS.Consumer` created with `kafkaJS: { autoCommit: false }` (it is
 * recognised by `storeOffsets`; see {@link KafkaInputOptions}). KafkaInput
 * connects it, subscribes and runs it, and disconnects it when it stops.
 *
 * @example
 * ```ts
 * import { Kafka } from 'kafkajs';
 *
 * const consumer: KafkaConsumerLike = new Kafka({ brokers: ['127.0.0.1:9092'] }).consumer({ groupId: 'polku' });
 * ```
 */
export interface KafkaConsumerLike {
	connect(): Promise<void>;
	disconnect(): Promise<void>;
	subscribe(subscription: { topics: (string | RegExp)[]; fromBeginning?: boolean }): Promise<void>;
	run(config: KafkaRunConfig): Promise<void>;
	commitOffsets(offsets: KafkaTopicPartitionOffset[]): Promise<void>;
	seek(position: KafkaTopicPartitionOffset): void;
	pause(topics: { topic: string; partitions?: number[] }[]): void;
	resume(topics: { topic: string; partitions?: number[] }[]): void;
	/** kafkajs: instrumentation events (polku/kafka listens to `consumer.group_join` and `consumer.crash`). */
	on?(event: 'consumer.group_join' | 'consumer.crash', listener: (event: KafkaConsumerEvent) => void): unknown;
	/** Confluent: the current assignment (checked before each commit). */
	assignment?(): { topic: string; partition: number }[];
	/** Confluent only (its offsets are stored before commit). */
	storeOffsets?(offsets: KafkaTopicPartitionOffset[]): void;
}

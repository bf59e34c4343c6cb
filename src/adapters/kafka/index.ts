/**
 * Kafka input and output over your own client objects: kafkajs 2.2.x or
 * Confluent's `@confluentinc/kafka-javascript` (its KafkaJS-compatible API),
 * typed structurally. This subpath imports no Kafka library.
 *
 * @module polku/kafka
 * @packageDocumentation
 */
export type {
	KafkaBatchLike,
	KafkaConsumerEvent,
	KafkaConsumerLike,
	KafkaEachBatchPayload,
	KafkaHeaderValue,
	KafkaProducerBatch,
	KafkaProducerLike,
	KafkaRecordIn,
	KafkaRecordOut,
	KafkaRunConfig,
	KafkaTopicPartitionOffset,
} from './client.js';
export type { KafkaDeadLetter, KafkaInputOptions } from './input-options.js';
export { KafkaInput, type KafkaInputEvents, type KafkaInputStats } from './kafka-input.js';
export { KafkaOutput, type KafkaCompression, type KafkaOutputOptions } from './kafka-output.js';

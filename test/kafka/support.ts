// Kafka test support: kafkajs clients against the librdkafka mock cluster, unique names, a reader of a
// topic that decodes through the documented mapping, and the conformance harnesses of polku/kafka.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import type { Message } from '../../src/index.js';
import { createMessage, toEnvelopeHeaders } from '../../src/index.js';
import { KafkaInput, KafkaOutput, type KafkaConsumerLike, type KafkaInputOptions, type KafkaProducerLike } from '../../src/adapters/kafka/index.js';
import { fromRecord } from '../../src/adapters/kafka/records.js';
import type { InputHarness, OutputHarness } from '../../src/testing/index.js';

// Compile-time proof that kafkajs' own objects fit the structural types.
export const kafkajsFits = (p: Producer, c: Consumer): [KafkaProducerLike, KafkaConsumerLike] => [p, c];

export function unique(prefix: string): string {
	return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function kafkaClient(brokers: readonly string[], clientId = unique('polku-test')): Kafka {
	return new Kafka({ clientId, brokers: [...brokers], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 } });
}

/** Consumer settings that join fast and fetch small batches (the mock cluster is local). */
export const FAST_CONSUMER = { sessionTimeout: 10_000, rebalanceTimeout: 5_000, heartbeatInterval: 500, maxWaitTimeInMs: 50, maxBytesPerPartition: 8192 } as const;

/** Produces messages in order to one partition (fixed key), as KafkaOutput would, in chunks of `chunk`. */
export async function produceMessages(producer: Producer, topic: string, messages: readonly Message[], chunk = 50): Promise<void> {
	const out = new KafkaOutput({ producer, topic, key: () => 'k', disconnectOnClose: false });
	for (let i = 0; i < messages.length; i += chunk) await out.send(messages.slice(i, i + chunk));
}

/** A background reader of a topic (own consumer group, from the beginning), decoding through the mapping. */
export class TopicReader {
	readonly messages: Message[] = [];
	readonly #consumer: Consumer;
	#started: Promise<void> | undefined;

	constructor(kafka: Kafka, readonly topic: string) {
		this.#consumer = kafka.consumer({ groupId: unique('reader'), ...FAST_CONSUMER, maxBytesPerPartition: 2 * 1024 * 1024 });
	}

	start(): Promise<void> {
		this.#started ??= (async () => {
			await this.#consumer.connect();
			await this.#consumer.subscribe({ topics: [this.topic], fromBeginning: true });
			await this.#consumer.run({
				eachBatch: async ({ batch }) => {
					for (const record of batch.messages) {
						try {
							this.messages.push(fromRecord(batch.topic, batch.partition, record));
						} catch {
							// A record with a malformed envelope (a dead-lettered poison record): its payload only.
							this.messages.push(createMessage({ source: 'undecodable', messageType: batch.topic, payload: record.value ?? undefined }));
						}
					}
				},
			});
		})();
		return this.#started;
	}

	async waitFor(count: number, timeoutMs: number): Promise<readonly Message[]> {
		await this.start();
		const until = Date.now() + timeoutMs;
		while (this.messages.length < count) {
			if (Date.now() > until) throw new Error(`topic ${this.topic}: ${this.messages.length} of ${count} messages within ${timeoutMs} ms`);
			await new Promise((r) => setTimeout(r, 20));
		}
		return this.messages.slice();
	}

	stop(): Promise<void> {
		return this.#consumer.disconnect();
	}
}

/** KafkaOutput's conformance harness: one topic per fixture, one partition by a fixed key (total order). */
export function kafkaOutputHarness(brokers: () => readonly string[]): OutputHarness {
	return {
		name: 'KafkaOutput',
		features: { ordering: 'total', envelope: true },
		async setup() {
			const kafka = kafkaClient(brokers());
			const topic = unique('out');
			const producer = kafka.producer();
			await producer.connect();
			const reader = new TopicReader(kafka, topic);
			const unreachables: Producer[] = [];
			return {
				output: new KafkaOutput({ producer, topic, key: () => 'k' }),
				received: (count, timeoutMs) => reader.waitFor(count, timeoutMs),
				unreachable: () => {
					const dead = new Kafka({ brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING, connectionTimeout: 500, retry: { retries: 2, initialRetryTime: 400, maxRetryTime: 1000 } });
					const p = dead.producer({ retry: { retries: 2, initialRetryTime: 400 } });
					unreachables.push(p);
					// Connecting starts in the background: sends fail after its retries (about 2 s).
					p.connect().catch(() => {});
					return new KafkaOutput({ producer: p, topic, name: 'kafka-unreachable' });
				},
				teardown: async () => {
					await reader.stop();
					await producer.disconnect();
					for (const p of unreachables) await p.disconnect().catch(() => {});
				},
			};
		},
	};
}

/** Records each consumer KafkaInput makes, so tests can reach it. */
export interface ConsumerLog {
	readonly consumers: Consumer[];
}

/** KafkaInput's conformance harness: one topic and consumer group per fixture. */
export function kafkaInputHarness(brokers: () => readonly string[], maxInFlight = 100): InputHarness {
	return {
		name: 'KafkaInput',
		// One fetched batch is at most a produced batch (50 records, see produceMessages) beyond maxInFlight.
		features: { ordering: 'total', envelope: true, redelivery: true, backpressure: true, poison: true, maxInFlight: maxInFlight + 50, redeliveryMs: 6_000 },
		async setup() {
			const kafka = kafkaClient(brokers());
			const topic = unique('in');
			const groupId = unique('group');
			const producer = kafka.producer();
			await producer.connect();
			return {
				createInput: (name) =>
					new KafkaInput({
						name: name ?? 'kafka',
						consumer: () => kafka.consumer({ groupId, ...FAST_CONSUMER }),
						topics: [topic],
						fromBeginning: true,
						maxInFlight,
						redeliveryDelayMs: 100,
					}),
				publish: (messages) => produceMessages(producer, topic, messages),
				publishPoison: async () => {
					await producer.send({ topic, messages: [{ key: 'k', value: 'poison', headers: { 'polku-id': 'poison-1', 'polku-timestamp': 'yesterday' } }] });
				},
				teardown: () => producer.disconnect(),
			};
		},
	};
}

export function inputOptions(kafka: Kafka, groupId: string, topic: string, extra: Partial<KafkaInputOptions> = {}): KafkaInputOptions {
	return { consumer: () => kafka.consumer({ groupId, ...FAST_CONSUMER }), topics: [topic], fromBeginning: true, redeliveryDelayMs: 50, ...extra };
}

/** The record headers of a message, as KafkaOutput writes them. */
export function headersOf(message: Message): Record<string, string> {
	return Object.fromEntries(toEnvelopeHeaders(message));
}

// Compile-time proof that Confluent's KafkaJS-API objects fit too (types excerpted from its published .d.ts).
import type { Consumer as ConfluentConsumer, Producer as ConfluentProducer } from './confluent-kafkajs.js';
export const confluentFits = (p: ConfluentProducer, c: ConfluentConsumer): [KafkaProducerLike, KafkaConsumerLike] => [p, c];

// KafkaInput behaviour beyond the conformance suite: where commits stop, seeking back, dead-lettering,
// backpressure pauses, and rebalances (two inputs in one group), on the librdkafka mock cluster.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Consumer, Kafka } from 'kafkajs';
import { createMessage, Hub, type Message, type Output } from '../../src/index.js';
import { KafkaInput, type KafkaConsumerLike, type KafkaTopicPartitionOffset } from '../../src/adapters/kafka/index.js';
import { MemoryOutput } from '../../src/testing/index.js';
import { skipUnlessKcat, startKafkaMock, type KafkaMock } from '../support/kafka-mock.js';
import { FAST_CONSUMER, kafkaClient, produceMessages, TopicReader, unique } from './support.js';

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
	const end = Date.now() + timeoutMs;
	while (!check()) {
		if (Date.now() > end) throw new Error(`timed out: ${what}`);
		await new Promise((r) => setTimeout(r, 20));
	}
}

/** Records every commitOffsets call of the consumers it makes, with the assignment at that moment. */
class CommitLog {
	readonly commits: { consumer: number; offsets: KafkaTopicPartitionOffset[]; assignment: Set<string> }[] = [];
	readonly assignments = new Map<number, Set<string>>();
	#next = 0;

	factory(kafka: Kafka, groupId: string, extra: object = {}): () => KafkaConsumerLike {
		return () => {
			const id = this.#next++;
			const consumer: Consumer = kafka.consumer({ groupId, ...FAST_CONSUMER, ...extra });
			consumer.on(consumer.events.GROUP_JOIN, (e) => {
				this.assignments.set(id, new Set(Object.entries(e.payload.memberAssignment).flatMap(([t, ps]) => ps.map((p) => `${t}/${p}`))));
			});
			const commit = consumer.commitOffsets.bind(consumer);
			consumer.commitOffsets = async (offsets) => {
				this.commits.push({ consumer: id, offsets: offsets.map((o) => ({ ...o })), assignment: new Set(this.assignments.get(id)) });
				return commit(offsets);
			};
			return consumer;
		};
	}

	/** The last committed offset per partition (as committed through the log). */
	last(topic: string): Map<number, number> {
		const out = new Map<number, number>();
		for (const c of this.commits) for (const o of c.offsets) if (o.topic === topic) out.set(o.partition, Number(o.offset));
		return out;
	}
}

/** Fails the messages whose payload is in `bad` while `failing` is true. */
class PickyOutput implements Output {
	readonly name = 'picky';
	readonly messages: Message[] = [];
	failing = true;
	constructor(readonly bad: ReadonlySet<string>) {}
	async send(batch: readonly Message[]): Promise<void> {
		if (this.failing && batch.some((m) => this.bad.has(Buffer.from(m.payload).toString()))) throw new Error('picky output refuses the batch');
		this.messages.push(...batch);
	}
}

const numbered = (n: number, prefix: string): Message[] => Array.from({ length: n }, (_, i) => createMessage({ source: 't', messageType: 'n', payload: `${prefix}-${i}` }));

describe('KafkaInput (kafkajs, mock cluster)', { skip: skipUnlessKcat() }, () => {
	let mock: KafkaMock;
	let kafka: Kafka;
	before(async () => {
		mock = await startKafkaMock(1);
		kafka = kafkaClient(mock.brokers);
	});
	after(() => mock?.stop());

	it('commits only up to the first failed record, seeks back and reads it again until it is delivered', { timeout: 60_000 }, async () => {
		const topic = unique('fail');
		const producer = kafka.producer();
		await producer.connect();
		const sent = numbered(10, 'f');
		await produceMessages(producer, topic, sent, 10); // one partition (fixed key), offsets 0..9
		const log = new CommitLog();
		const input = new KafkaInput({ consumer: log.factory(kafka, unique('g')), topics: [topic], fromBeginning: true, redeliveryDelayMs: 20 });
		const redelivered: number[] = [];
		input.on('redeliver', (e) => redelivered.push(Number(e.offset)));
		const out = new PickyOutput(new Set(['f-4']));
		const hub = Hub.builder().input(input).output(out, { batchSize: 1, retry: false }).build();
		await hub.start();
		try {
			await until(() => redelivered.length >= 3, 30_000, 'three redeliveries of f-4');
			assert.ok(redelivered.every((o) => o === 4), `every rewind goes back to offset 4: ${redelivered}`);
			const partition = [...log.last(topic).keys()][0];
			if (partition !== undefined) assert.ok(log.last(topic).get(partition)! <= 4, `nothing past the failed record is committed: ${JSON.stringify([...log.last(topic)])}`);
			assert.ok(out.messages.some((m) => Buffer.from(m.payload).toString() === 'f-5'), 'records after the failed one were delivered (and will come again)');
			out.failing = false;
			await until(() => [...log.last(topic).values()].includes(10), 30_000, 'the commit reaches offset 10');
			const got = new Set(out.messages.map((m) => m.id));
			for (const m of sent) assert.ok(got.has(m.id), `${m.id} delivered`);
			assert.ok(input.stats().redelivered >= 3);
		} finally {
			await hub.stop();
			await producer.disconnect();
		}
	});

	it('dead-letters a record after maxAttempts (and a poison record at once), then moves on', { timeout: 60_000 }, async () => {
		const topic = unique('dlq-src');
		const dlqTopic = unique('dlq');
		const producer = kafka.producer();
		await producer.connect();
		const sent = numbered(5, 'd');
		await produceMessages(producer, topic, sent, 5);
		await producer.send({ topic, messages: [{ key: 'k', value: 'poison', headers: { 'polku-id': 'p', 'polku-timestamp': 'never' } }] });
		const input = new KafkaInput({
			consumer: () => kafka.consumer({ groupId: unique('g'), ...FAST_CONSUMER }),
			topics: [topic],
			fromBeginning: true,
			redeliveryDelayMs: 10,
			maxAttempts: 2,
			deadLetter: { producer, topic: dlqTopic },
		});
		const out = new PickyOutput(new Set(['d-2']));
		const hub = Hub.builder().input(input).output(out, { batchSize: 1, retry: false }).build();
		const reader = new TopicReader(kafka, dlqTopic);
		await hub.start();
		try {
			// Read the dead-letter topic once it exists (a consumer does not see partitions created after it joined).
			await until(() => input.stats().deadLettered === 2, 30_000, 'two records dead-lettered');
			const dead = await reader.waitFor(2, 30_000);
			const payloads = dead.map((m) => Buffer.from(m.payload).toString()).sort();
			assert.deepEqual(payloads, ['d-2', 'poison']);
			const failed = dead.find((m) => Buffer.from(m.payload).toString() === 'd-2')!;
			assert.equal(failed.id, sent[2]!.id, 'the dead-lettered record keeps its envelope');
			assert.equal(failed.metadata['polku.dlq.attempts'], '2');
			assert.match(failed.metadata['polku.dlq.origin']!, new RegExp(`^${topic}/\\d+/2$`));
			await until(() => out.messages.some((m) => Buffer.from(m.payload).toString() === 'd-4'), 30_000, 'the records after it arrive');
			const stats = input.stats();
			assert.equal(stats.deadLettered, 2);
			assert.equal(stats.invalid, 1);
			assert.equal(hub.stats().dropped.invalid, 1);
		} finally {
			await hub.stop();
			await reader.stop();
			await producer.disconnect();
		}
	});

	it('pauses its topics while more than maxInFlight records are open, and resumes', { timeout: 60_000 }, async () => {
		const topic = unique('bp');
		const producer = kafka.producer();
		await producer.connect();
		const sent = numbered(400, 'b');
		await produceMessages(producer, topic, sent, 20);
		const input = new KafkaInput({ consumer: () => kafka.consumer({ groupId: unique('g'), ...FAST_CONSUMER }), topics: [topic], fromBeginning: true, maxInFlight: 40 });
		const out = new MemoryOutput('out').hang();
		const hub = Hub.builder().bufferCapacity(20).input(input).output(out, { batchSize: 10 }).build();
		await hub.start();
		try {
			await until(() => out.hanging > 0 && input.stats().paused, 30_000, 'the input pauses while blocked');
			await new Promise((r) => setTimeout(r, 500));
			assert.ok(input.stats().inFlight <= 40 + 20, `open records stay bounded: ${input.stats().inFlight}`);
			out.release();
			await until(() => new Set(out.messages.map((m) => m.id)).size === sent.length, 30_000, 'everything arrives after release');
		} finally {
			await hub.stop();
			await producer.disconnect();
		}
	});

	it('on a rebalance (a second input joins the group) commits only assigned partitions, never backwards, and loses nothing', { timeout: 90_000 }, async () => {
		const topic = unique('rb');
		const groupId = unique('g');
		const producer = kafka.producer();
		await producer.connect();
		const first = numbered(200, 'r1');
		await producerSend(producer, topic, first);
		const log = new CommitLog();
		const outA = new MemoryOutput('out');
		const outB = new MemoryOutput('out');
		const a = new KafkaInput({ name: 'a', consumer: log.factory(kafka, groupId), topics: [topic], fromBeginning: true });
		const b = new KafkaInput({ name: 'b', consumer: log.factory(kafka, groupId), topics: [topic], fromBeginning: true });
		const rebalances: number[] = [];
		a.on('rebalance', () => rebalances.push(Date.now()));
		const hubA = Hub.builder().input(a, { restart: true }).output(outA).build();
		const hubB = Hub.builder().input(b, { restart: true }).output(outB).build();
		await hubA.start();
		try {
			await until(() => new Set(outA.messages.map((m) => m.id)).size === first.length, 30_000, 'a alone reads the first batch');
			await hubB.start();
			await until(() => rebalances.length >= 2, 40_000, 'a rebalances when b joins');
			const second = numbered(400, 'r2');
			await producerSend(producer, topic, second);
			const all = [...first, ...second];
			const seen = (): Set<string> => new Set([...outA.messages, ...outB.messages].map((m) => m.id));
			await until(() => all.every((m) => seen().has(m.id)), 40_000, 'every message reaches one of the hubs');
			for (const c of log.commits) {
				for (const o of c.offsets) assert.ok(c.assignment.has(`${o.topic}/${o.partition}`), `consumer ${c.consumer} committed ${o.topic}/${o.partition}, not in its assignment [${[...c.assignment]}]`);
			}
			const lastByConsumer = new Map<string, number>();
			for (const c of log.commits) {
				for (const o of c.offsets) {
					const key = `${c.consumer}:${o.partition}`;
					const prev = lastByConsumer.get(key);
					assert.ok(prev === undefined || Number(o.offset) > prev, `consumer ${c.consumer} committed partition ${o.partition} twice or backwards (${prev} → ${o.offset})`);
					lastByConsumer.set(key, Number(o.offset));
				}
			}
			assert.ok(a.stats().rebalances >= 2);
		} finally {
			await Promise.all([hubA.stop(), hubB.stop()]);
			await producer.disconnect();
		}
	});
});

/** Produces without a key: records spread over the partitions. */
async function producerSend(producer: import('kafkajs').Producer, topic: string, messages: readonly Message[]): Promise<void> {
	const { KafkaOutput } = await import('../../src/adapters/kafka/index.js');
	const out = new KafkaOutput({ producer, topic, disconnectOnClose: false });
	for (let i = 0; i < messages.length; i += 50) await out.send(messages.slice(i, i + 50));
}

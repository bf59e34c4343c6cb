// Broker adapters against their bare clients, measured in the same run:
// - KafkaOutput (through a hub) vs kafkajs sendBatch of the same 256-byte payloads in the same batches (acks all),
//   on librdkafka's mock cluster (kcat);
// - JetStreamOutput (through a hub) vs the bare client publishing the same payloads, the same batches pipelined
//   (js.publish with msgID, Promise.all per batch);
// - JetStreamInput → hub → no-op output with ack-after-delivery vs a bare consume() loop acking each message.
// The polku rows include the envelope (headers) the bare rows do not write: that is part of what they cost.
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect, headers } from '@nats-io/transport-node';
import { Kafka, logLevel } from 'kafkajs';
import { createMessage, Hub, toEnvelopeHeaders, type EnvelopeHeader, type Message, type Output } from '../../src/index.js';
import { KafkaOutput } from '../../src/adapters/kafka/index.js';
import { JetStreamInput, JetStreamOutput } from '../../src/adapters/nats/index.js';
import { hasKcat, startKafkaMock } from '../support/kafka-mock.js';
import { isListening } from '../support/services.js';
import { fmt, ratio, table } from './report.js';

const PAYLOAD = 256;
const BATCH = 500;
const KAFKA_MESSAGES = 50_000;
const JS_MESSAGES = 20_000;
const ROUNDS = 3;

const payload = Buffer.alloc(PAYLOAD, 0x61);
const messages = (n: number): Message[] => Array.from({ length: n }, (_, i) => createMessage({ source: 'bench', messageType: 'tick', payload, metadata: { seq: String(i) } }));

/** Sends `all` through a hub with `output` (batches of BATCH) and returns messages/s until every one is confirmed. */
async function throughHub(output: Output, all: readonly Message[]): Promise<number> {
	const hub = Hub.builder().bufferCapacity(20_000).batchSize(BATCH).flushInterval(1).output(output).build();
	await hub.start();
	const started = performance.now();
	const pending: Promise<unknown>[] = [];
	for (let i = 0; i < all.length; i += BATCH) pending.push(hub.deliverBatch(all.slice(i, i + BATCH)));
	const outcomes = (await Promise.all(pending)) as { failed: readonly unknown[] }[];
	const seconds = (performance.now() - started) / 1000;
	await hub.stop();
	if (outcomes.some((o) => o.failed.length > 0)) throw new Error('bench: deliveries failed');
	return all.length / seconds;
}

async function kafkaBench(): Promise<void> {
	if (!hasKcat()) {
		console.log('\n## Kafka: skipped (kcat is not installed)');
		return;
	}
	const mock = await startKafkaMock(1);
	try {
		const kafka = new Kafka({ clientId: 'bench', brokers: [...mock.brokers], logLevel: logLevel.NOTHING });
		const producer = kafka.producer();
		await producer.connect();
		const all = messages(KAFKA_MESSAGES);
		const pairs = all.map((m) => toEnvelopeHeaders(m));
		const best = { bare: 0, bareHeaders: 0, polku: 0 };
		for (let round = 0; round < ROUNDS; round++) {
			const topic = `bench-${round}-${Date.now()}`;
			await producer.send({ topic, messages: [{ value: 'warm-up' }] });
			let started = performance.now();
			for (let i = 0; i < all.length; i += BATCH) {
				await producer.sendBatch({ topicMessages: [{ topic, messages: all.slice(i, i + BATCH).map((m) => ({ value: m.payload as Buffer })) }], acks: -1 });
			}
			best.bare = Math.max(best.bare, all.length / ((performance.now() - started) / 1000));
			started = performance.now();
			for (let i = 0; i < all.length; i += BATCH) {
				const records = all.slice(i, i + BATCH).map((m, j) => ({ value: m.payload as Buffer, headers: Object.fromEntries(pairs[i + j]!), timestamp: String(m.timestamp / 1_000_000n) }));
				await producer.sendBatch({ topicMessages: [{ topic, messages: records }], acks: -1 });
			}
			best.bareHeaders = Math.max(best.bareHeaders, all.length / ((performance.now() - started) / 1000));
			best.polku = Math.max(best.polku, await throughHub(new KafkaOutput({ producer, topic, disconnectOnClose: false }), all));
		}
		await producer.disconnect();
		console.log(`\n## KafkaOutput (${fmt(KAFKA_MESSAGES)} messages of ${PAYLOAD} bytes, batches of ${BATCH}, acks all, librdkafka mock cluster, kafkajs 2.2.4, best of ${ROUNDS})\n`);
		table(
			['producer', 'messages/s', 'vs bare'],
			[
				['kafkajs sendBatch, the same records: payload + the same headers (baseline)', fmt(best.bareHeaders), '1.00x'],
				['kafkajs sendBatch, payload only (no envelope)', fmt(best.bare), ratio(best.bare, best.bareHeaders)],
				['Hub → KafkaOutput (payload + envelope headers)', fmt(best.polku), ratio(best.polku, best.bareHeaders)],
			],
		);
		console.log(`\nTarget: KafkaOutput ≥ 0.80x of the bare client producing the same records (got ${ratio(best.polku, best.bareHeaders)}; ${ratio(best.polku, best.bare)} of payload-only records).`);
	} finally {
		await mock.stop();
	}
}

async function publishBare(js: JetStreamClient, subject: string, all: readonly Message[], pairs?: readonly EnvelopeHeader[][]): Promise<number> {
	const started = performance.now();
	for (let i = 0; i < all.length; i += BATCH) {
		const batch = all.slice(i, i + BATCH);
		await Promise.all(
			batch.map((m, j) => {
				if (pairs === undefined) return js.publish(subject, m.payload, { msgID: m.id });
				const h = headers();
				for (const [k, v] of pairs[i + j]!) h.set(k, v);
				return js.publish(subject, m.payload, { msgID: m.id, headers: h });
			}),
		);
	}
	return all.length / ((performance.now() - started) / 1000);
}

async function jetStreamBench(): Promise<void> {
	if (!(await isListening(4222))) {
		console.log('\n## JetStream: skipped (no NATS server on 127.0.0.1:4222)');
		return;
	}
	const nc = await connect({ servers: '127.0.0.1:4222' });
	const js = jetstream(nc);
	const jsm = await jetstreamManager(nc);
	const stream = `BENCH_${Date.now().toString(36).toUpperCase()}`;
	await jsm.streams.add({ name: stream, subjects: [`${stream}.>`], storage: 'memory' as never });
	try {
		const out = { bare: 0, bareHeaders: 0, polku: 0 };
		for (let round = 0; round < ROUNDS; round++) {
			out.bare = Math.max(out.bare, await publishBare(js, `${stream}.bare`, messages(JS_MESSAGES)));
			const same = messages(JS_MESSAGES);
			out.bareHeaders = Math.max(out.bareHeaders, await publishBare(js, `${stream}.bare`, same, same.map((m) => toEnvelopeHeaders(m))));
			out.polku = Math.max(out.polku, await throughHub(new JetStreamOutput({ js, subject: `${stream}.polku` }), messages(JS_MESSAGES)));
		}
		console.log(`\n## JetStreamOutput (${fmt(JS_MESSAGES)} messages of ${PAYLOAD} bytes, batches of ${BATCH} pipelined, PubAck each, memory stream, best of ${ROUNDS})\n`);
		table(
			['publisher', 'messages/s', 'vs bare'],
			[
				['js.publish with msgID + the same headers, Promise.all per batch (baseline)', fmt(out.bareHeaders), '1.00x'],
				['js.publish with msgID, payload only (no envelope)', fmt(out.bare), ratio(out.bare, out.bareHeaders)],
				['Hub → JetStreamOutput (payload + envelope headers)', fmt(out.polku), ratio(out.polku, out.bareHeaders)],
			],
		);
		console.log(`\nTarget: JetStreamOutput ≥ 0.80x of the bare client publishing the same messages (got ${ratio(out.polku, out.bareHeaders)}; ${ratio(out.polku, out.bare)} of payload-only).`);

		// Input: a fresh subject with JS_MESSAGES written by JetStreamOutput; each run reads it with its own durable consumer.
		const subject = `${stream}.input`;
		const all = messages(JS_MESSAGES);
		await throughHub(new JetStreamOutput({ js, subject }), all);
		const inp = { bare: 0, polku: 0 };
		for (let round = 0; round < ROUNDS; round++) {
			inp.bare = Math.max(inp.bare, await consumeBare(js, jsm, stream, subject, `bare${round}`));
			inp.polku = Math.max(inp.polku, await consumePolku(js, jsm, stream, subject, `polku${round}`));
		}
		console.log(`\n## JetStreamInput (${fmt(JS_MESSAGES)} messages of ${PAYLOAD} bytes with envelope headers, durable pull consumer, explicit ack, best of ${ROUNDS})\n`);
		table(
			['consumer', 'messages/s', 'vs bare'],
			[
				['consume() loop acking each message (baseline)', fmt(inp.bare), '1.00x'],
				['JetStreamInput → Hub → no-op output, ack after delivery', fmt(inp.polku), ratio(inp.polku, inp.bare)],
			],
		);
		console.log(`\nTarget: JetStreamInput ≥ 0.70x of the bare loop (got ${ratio(inp.polku, inp.bare)}). The bare loop decodes nothing;`);
		console.log('the input decodes the envelope, admits each pulled batch into the hub and acks after the output confirmed.');
	} finally {
		await jsm.streams.delete(stream);
		await nc.close();
	}
}

async function addConsumer(jsm: Awaited<ReturnType<typeof jetstreamManager>>, stream: string, subject: string, name: string): Promise<void> {
	await jsm.consumers.add(stream, { durable_name: name, ack_policy: 'explicit' as never, filter_subject: subject, max_ack_pending: 20_000 });
}

async function consumeBare(js: JetStreamClient, jsm: Awaited<ReturnType<typeof jetstreamManager>>, stream: string, subject: string, name: string): Promise<number> {
	await addConsumer(jsm, stream, subject, name);
	const consumer = await js.consumers.get(stream, name);
	const started = performance.now();
	const iter = await consumer.consume({ max_messages: 256 });
	let n = 0;
	for await (const m of iter) {
		m.ack();
		if (++n === JS_MESSAGES) break;
	}
	const rate = JS_MESSAGES / ((performance.now() - started) / 1000);
	iter.stop();
	return rate;
}

async function consumePolku(js: JetStreamClient, jsm: Awaited<ReturnType<typeof jetstreamManager>>, stream: string, subject: string, name: string): Promise<number> {
	await addConsumer(jsm, stream, subject, name);
	const input = new JetStreamInput({ js, stream, consumer: name, pullBatch: 256, maxInFlight: 4096, create: false });
	let delivered = 0;
	const sink: Output = { name: 'count', send: async (batch) => void (delivered += batch.length) };
	const hub = Hub.builder().bufferCapacity(20_000).batchSize(BATCH).flushInterval(1).input(input).output(sink).build();
	const started = performance.now();
	await hub.start();
	while (input.stats().acked < JS_MESSAGES) await new Promise((r) => setImmediate(r));
	const rate = JS_MESSAGES / ((performance.now() - started) / 1000);
	await hub.stop();
	if (delivered < JS_MESSAGES) throw new Error('bench: JetStreamInput lost messages');
	return rate;
}

export async function run(): Promise<void> {
	await kafkaBench();
	await jetStreamBench();
}

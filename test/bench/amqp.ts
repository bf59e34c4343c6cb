// AMQP (RabbitMQ on 127.0.0.1:5672) benchmark, each polku adapter against bare amqplib doing the same work
// in the same run:
// - output: AmqpOutput.send in batches of 500 (256-byte payloads, envelope headers, publisher confirms)
//   vs a bare confirm channel publishing the same messages (the same properties and headers, built with
//   toEnvelopeHeaders) in the same batches.
// - input: AmqpInput → Hub → no-op output with ack after delivery vs a bare consumer acking each message,
//   both with the same prefetch, draining a prefilled queue.
import amqp, { type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { AmqpInput, AmqpOutput } from '../../src/adapters/amqp/index.js';
import { createMessage, Hub, toEnvelopeHeaders, type Message, type Output } from '../../src/index.js';
import { isListening } from '../support/services.js';
import { fmt, ratio, table } from './report.js';

const URL_ = 'amqp://guest:guest@127.0.0.1:5672';
const N = Number(process.env['BENCH_AMQP_MESSAGES'] ?? 20_000);
const BATCH = 500;
const PREFETCH = Number(process.env['BENCH_AMQP_PREFETCH'] ?? 256);
const ROUNDS = Number(process.env['BENCH_AMQP_ROUNDS'] ?? 3);
const PAYLOAD = new Uint8Array(256).fill(97);

/** Throughput and this process's CPU time per message during the measurement. */
interface Result {
	readonly rate: number;
	readonly cpuMicros: number;
}

function measure(count: number, started: number, cpu: NodeJS.CpuUsage): Result {
	const used = process.cpuUsage(cpu);
	return { rate: count / ((performance.now() - started) / 1000), cpuMicros: (used.user + used.system) / count };
}

const better = (a: Result | undefined, b: Result): Result => (a === undefined || b.rate > a.rate ? b : a);

function messages(n: number): Message[] {
	return Array.from({ length: n }, (_, i) => createMessage({ source: 'bench', messageType: 'page.view', payload: PAYLOAD, metadata: { host: 'web-7', seq: String(i) } }));
}

/** The publish options of the same messages: the properties and envelope headers the adapter sends. */
function publishOptionsOf(batch: readonly Message[]): amqp.Options.Publish[] {
	return batch.map((m) => ({
		messageId: m.id,
		timestamp: Number(m.timestamp / 1_000_000_000n),
		type: m.messageType,
		appId: m.source,
		persistent: true,
		mandatory: true,
		headers: Object.fromEntries(toEnvelopeHeaders(m)),
	}));
}

async function queue(connection: ChannelModel): Promise<{ name: string; admin: Channel }> {
	const admin = await connection.createChannel();
	const name = `polku-bench-${randomUUID().slice(0, 8)}`;
	await admin.assertQueue(name, { durable: false });
	return { name, admin };
}

/** Bare amqplib: publish a batch on a confirm channel with one callback per message, wait for all confirms. */
async function bareOutput(connection: ChannelModel, batches: readonly Message[][]): Promise<Result> {
	const { name, admin } = await queue(connection);
	const channel: ConfirmChannel = await connection.createConfirmChannel();
	const content = Buffer.from(PAYLOAD);
	try {
		const cpu = process.cpuUsage();
		const started = performance.now();
		for (let b = 0; b < batches.length; b++) {
			const opts = publishOptionsOf(batches[b]!);
			await new Promise<void>((resolve, reject) => {
				let remaining = opts.length;
				const done = (error: unknown): void => {
					if (error) reject(error as Error);
					else if (--remaining === 0) resolve();
				};
				for (const o of opts) channel.publish('', name, content, o, done);
			});
		}
		return measure(batches.length * BATCH, started, cpu);
	} finally {
		await channel.close();
		await admin.deleteQueue(name);
		await admin.close();
	}
}

async function polkuOutput(connection: ChannelModel, batches: readonly Message[][]): Promise<Result> {
	const { name, admin } = await queue(connection);
	const output = new AmqpOutput({ connection, exchange: '', routingKey: name });
	try {
		const cpu = process.cpuUsage();
		const started = performance.now();
		for (const batch of batches) await output.send(batch);
		return measure(batches.length * BATCH, started, cpu);
	} finally {
		await output.close();
		await admin.deleteQueue(name);
		await admin.close();
	}
}

/** Fills a queue with N polku messages (through the output), for an input run. */
async function filled(connection: ChannelModel): Promise<{ name: string; admin: Channel }> {
	const q = await queue(connection);
	const output = new AmqpOutput({ connection, exchange: '', routingKey: q.name });
	const all = messages(N);
	for (let i = 0; i < N; i += BATCH) await output.send(all.slice(i, i + BATCH));
	await output.close();
	return q;
}

/** Bare amqplib consumer: prefetch, ack each message as it arrives, until N acked. */
async function bareInput(connection: ChannelModel): Promise<Result> {
	const { name, admin } = await filled(connection);
	const channel = await connection.createChannel();
	try {
		await channel.prefetch(PREFETCH);
		let acked = 0;
		const cpu = process.cpuUsage();
		const started = performance.now();
		await new Promise<void>((resolve) => {
			void channel.consume(name, (m) => {
				if (m === null) return;
				channel.ack(m);
				if (++acked === N) resolve();
			});
		});
		return measure(N, started, cpu);
	} finally {
		await channel.close();
		await admin.deleteQueue(name);
		await admin.close();
	}
}

class NoopOutput implements Output {
	readonly name = 'noop';
	count = 0;
	async send(batch: readonly Message[]): Promise<void> {
		this.count += batch.length;
	}
}

async function polkuInput(connection: ChannelModel): Promise<Result> {
	const { name, admin } = await filled(connection);
	const input = new AmqpInput({ connection, queue: name, prefetch: PREFETCH });
	const out = new NoopOutput();
	const hub = Hub.builder().bufferCapacity(10_000).input(input).output(out, { batchSize: 500, flushInterval: 0 }).build();
	try {
		const cpu = process.cpuUsage();
		const started = performance.now();
		await hub.start();
		while (input.stats().acked < N) await new Promise((r) => setTimeout(r, 2));
		const result = measure(N, started, cpu);
		if (out.count < N) throw new Error(`acked ${N} but the output counted ${out.count}`);
		return result;
	} finally {
		await hub.stop();
		await admin.deleteQueue(name);
		await admin.close();
	}
}

export async function run(): Promise<void> {
	console.log(`\n## AMQP (RabbitMQ on loopback): polku/amqp against bare amqplib, ${fmt(N)} messages of 256 bytes, best of ${ROUNDS} alternating rounds\n`);
	if (!(await isListening(5672))) {
		console.log('RabbitMQ is not listening on 127.0.0.1:5672: skipped');
		return;
	}
	const connection = await amqp.connect(URL_);
	connection.on('error', () => {});
	const best: Record<'bareOut' | 'polkuOut' | 'bareIn' | 'polkuIn', Result | undefined> = { bareOut: undefined, polkuOut: undefined, bareIn: undefined, polkuIn: undefined };
	try {
		const all = messages(N);
		const batches: Message[][] = [];
		for (let i = 0; i < N; i += BATCH) batches.push(all.slice(i, i + BATCH));
		for (let round = 0; round < ROUNDS; round++) {
			const even = round % 2 === 0;
			if (even) best.bareOut = better(best.bareOut, await bareOutput(connection, batches));
			best.polkuOut = better(best.polkuOut, await polkuOutput(connection, batches));
			if (!even) best.bareOut = better(best.bareOut, await bareOutput(connection, batches));
			if (even) best.bareIn = better(best.bareIn, await bareInput(connection));
			best.polkuIn = better(best.polkuIn, await polkuInput(connection));
			if (!even) best.bareIn = better(best.bareIn, await bareInput(connection));
		}
	} finally {
		await connection.close();
	}
	const { bareOut, polkuOut, bareIn, polkuIn } = best as Record<keyof typeof best, Result>;
	const cpu = (r: Result): string => r.cpuMicros.toFixed(1);
	table(
		['what', 'messages/s', 'vs bare', 'target', 'client CPU µs/msg'],
		[
			['bare amqplib: confirm channel, batches of 500', fmt(bareOut.rate), '1.00x', '', cpu(bareOut)],
			['AmqpOutput.send, batches of 500', fmt(polkuOut.rate), ratio(polkuOut.rate, bareOut.rate), '≥ 0.80x', cpu(polkuOut)],
			[`bare amqplib: consume (prefetch ${PREFETCH}), ack each`, fmt(bareIn.rate), '1.00x', '', cpu(bareIn)],
			[`AmqpInput → hub → no-op output, ack after delivery (prefetch ${PREFETCH})`, fmt(polkuIn.rate), ratio(polkuIn.rate, bareIn.rate), '≥ 0.70x', cpu(polkuIn)],
		],
	);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();

// Redis Streams (127.0.0.1:6379) benchmark, each polku adapter against the bare client doing the same work
// in the same run, with ioredis and with node-redis:
// - output: RedisStreamOutput.send in batches of 500 (256-byte payloads, envelope fields) vs a bare pipeline
//   of the same XADDs (the same fields, built with toEnvelopeHeaders) per batch.
// - input: RedisStreamInput → Hub → no-op output with XACK after delivery vs a bare loop of XREADGROUP
//   (COUNT 256, binary replies, each entry's fields into an object) + one XACK per read, draining a
//   prefilled stream in a consumer group.
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { RedisStreamInput, RedisStreamOutput, type RedisClient } from '../../src/adapters/redis/index.js';
import { createMessage, Hub, toEnvelopeHeaders, type Message, type Output } from '../../src/index.js';
import { isListening } from '../support/services.js';
import { fmt, ratio, table } from './report.js';

const URL_ = 'redis://127.0.0.1:6379';
const N = Number(process.env['BENCH_REDIS_MESSAGES'] ?? 20_000);
const BATCH = 500;
const COUNT = 256;
const ROUNDS = Number(process.env['BENCH_REDIS_ROUNDS'] ?? 3);
const PAYLOAD = new Uint8Array(256).fill(97);

type Kind = 'ioredis' | 'node-redis';

interface Result {
	readonly rate: number;
	readonly cpuMicros: number;
}

function measure(count: number, started: number, cpu: NodeJS.CpuUsage): Result {
	const used = process.cpuUsage(cpu);
	return { rate: count / ((performance.now() - started) / 1000), cpuMicros: (used.user + used.system) / count };
}

const better = (a: Result | undefined, b: Result): Result => (a === undefined || b.rate > a.rate ? b : a);

/** A client of `kind` with raw commands: one, and a pipeline. */
interface BenchClient {
	readonly client: RedisClient;
	/** `binary`: bulk strings as Buffers (payloads are bytes). */
	call(args: (string | Buffer)[], binary?: boolean): Promise<unknown>;
	pipeline(commands: (string | Buffer)[][]): Promise<unknown>;
	close(): Promise<void>;
}

async function benchClient(kind: Kind): Promise<BenchClient> {
	if (kind === 'ioredis') {
		const client = new Redis(URL_);
		return {
			client,
			call: (args, binary) => (binary === true ? client.callBuffer(args[0] as string, args.slice(1)) : client.call(args[0] as string, args.slice(1))),
			pipeline: (commands) => {
				const p = client.pipeline();
				for (const c of commands) p.call(c[0] as string, c.slice(1));
				return p.exec();
			},
			close: async () => client.disconnect(),
		};
	}
	const client = createClient({ url: URL_ });
	await client.connect();
	return {
		client,
		call: (args, binary) => (binary === true ? client.sendCommand(args, { typeMapping: { 36: Buffer } }) : client.sendCommand(args)),
		pipeline: (commands) => {
			const m = client.multi();
			for (const c of commands) m.addCommand(c);
			return m.execAsPipeline();
		},
		close: async () => client.destroy(),
	};
}

function messages(n: number): Message[] {
	return Array.from({ length: n }, (_, i) => createMessage({ source: 'bench', messageType: 'page.view', payload: PAYLOAD, metadata: { host: 'web-7', seq: String(i) } }));
}

const key = (): string => `polku-bench:${randomUUID().slice(0, 8)}`;

async function bareOutput(c: BenchClient, batches: readonly Message[][]): Promise<Result> {
	const stream = key();
	const payload = Buffer.from(PAYLOAD);
	try {
		const cpu = process.cpuUsage();
		const started = performance.now();
		for (const batch of batches) {
			// The same entries as the adapter writes: payload, then the envelope fields.
			const commands = batch.map((m) => {
				const args: (string | Buffer)[] = ['XADD', stream, '*', 'payload', payload];
				for (const [name, value] of toEnvelopeHeaders(m)) args.push(name, value);
				return args;
			});
			await c.pipeline(commands);
		}
		return measure(N, started, cpu);
	} finally {
		await c.call(['DEL', stream]);
	}
}

async function polkuOutput(c: BenchClient, batches: readonly Message[][]): Promise<Result> {
	const stream = key();
	const output = new RedisStreamOutput({ client: c.client, stream });
	try {
		const cpu = process.cpuUsage();
		const started = performance.now();
		for (const batch of batches) await output.send(batch);
		return measure(N, started, cpu);
	} finally {
		await c.call(['DEL', stream]);
	}
}

async function filled(c: BenchClient, batches: readonly Message[][]): Promise<string> {
	const stream = key();
	const output = new RedisStreamOutput({ client: c.client, stream });
	for (const batch of batches) await output.send(batch);
	await c.call(['XGROUP', 'CREATE', stream, 'bench', '0']);
	return stream;
}

/**
 * What a bare consumer does with an XREADGROUP reply (RESP2 or RESP3, either client): each entry's fields
 * into an object (the payload as bytes, the other fields as text); returns the ids to ack.
 */
function consume(reply: unknown, sink: { count: number }): string[] {
	if (reply === null || reply === undefined) return [];
	let entries: unknown;
	if (Array.isArray(reply)) entries = Array.isArray(reply[0]) ? (reply[0] as unknown[])[1] : reply[1];
	else entries = Object.values(reply as object)[0];
	const ids: string[] = [];
	for (const [id, fields] of entries as [unknown, unknown[]][]) {
		const entry: Record<string, string | Buffer> = {};
		for (let i = 0; i + 1 < fields.length; i += 2) {
			const name = String(fields[i]);
			entry[name] = name === 'payload' ? (fields[i + 1] as Buffer) : String(fields[i + 1]);
		}
		if (entry['payload'] !== undefined) sink.count++;
		ids.push(String(id));
	}
	return ids;
}

async function bareInput(c: BenchClient, batches: readonly Message[][]): Promise<Result> {
	const stream = await filled(c, batches);
	try {
		const cpu = process.cpuUsage();
		const started = performance.now();
		let acked = 0;
		const sink = { count: 0 };
		while (acked < N) {
			const read = consume(await c.call(['XREADGROUP', 'GROUP', 'bench', 'bare', 'COUNT', String(COUNT), 'BLOCK', '100', 'STREAMS', stream, '>'], true), sink);
			if (read.length === 0) continue;
			await c.call(['XACK', stream, 'bench', ...read]);
			acked += read.length;
		}
		return measure(N, started, cpu);
	} finally {
		await c.call(['DEL', stream]);
	}
}

class NoopOutput implements Output {
	readonly name = 'noop';
	count = 0;
	async send(batch: readonly Message[]): Promise<void> {
		this.count += batch.length;
	}
}

async function polkuInput(c: BenchClient, batches: readonly Message[][]): Promise<Result> {
	const stream = await filled(c, batches);
	const input = new RedisStreamInput({ client: c.client, stream, group: 'bench', count: COUNT, createGroup: false });
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
		await c.call(['DEL', stream]);
	}
}

export async function run(): Promise<void> {
	console.log(`\n## Redis Streams (loopback): polku/redis against the bare client, ${fmt(N)} messages of 256 bytes, best of ${ROUNDS} alternating rounds\n`);
	if (!(await isListening(6379))) {
		console.log('Redis is not listening on 127.0.0.1:6379: skipped');
		return;
	}
	const all = messages(N);
	const batches: Message[][] = [];
	for (let i = 0; i < N; i += BATCH) batches.push(all.slice(i, i + BATCH));
	const rows: string[][] = [];
	for (const kind of ['ioredis', 'node-redis'] as const) {
		const c = await benchClient(kind);
		const best: Record<'bareOut' | 'polkuOut' | 'bareIn' | 'polkuIn', Result | undefined> = { bareOut: undefined, polkuOut: undefined, bareIn: undefined, polkuIn: undefined };
		try {
			for (let round = 0; round < ROUNDS; round++) {
				const even = round % 2 === 0;
				if (even) best.bareOut = better(best.bareOut, await bareOutput(c, batches));
				best.polkuOut = better(best.polkuOut, await polkuOutput(c, batches));
				if (!even) best.bareOut = better(best.bareOut, await bareOutput(c, batches));
				if (even) best.bareIn = better(best.bareIn, await bareInput(c, batches));
				best.polkuIn = better(best.polkuIn, await polkuInput(c, batches));
				if (!even) best.bareIn = better(best.bareIn, await bareInput(c, batches));
			}
		} finally {
			await c.close();
		}
		const { bareOut, polkuOut, bareIn, polkuIn } = best as Record<keyof typeof best, Result>;
		const cpu = (r: Result): string => r.cpuMicros.toFixed(1);
		rows.push(
			[`bare ${kind}: pipelined XADD, batches of 500`, fmt(bareOut.rate), '1.00x', '', cpu(bareOut)],
			[`RedisStreamOutput (${kind}), batches of 500`, fmt(polkuOut.rate), ratio(polkuOut.rate, bareOut.rate), '≥ 0.80x', cpu(polkuOut)],
			[`bare ${kind}: XREADGROUP COUNT ${COUNT}, fields to objects, XACK`, fmt(bareIn.rate), '1.00x', '', cpu(bareIn)],
			[`RedisStreamInput (${kind}) → hub → no-op, XACK after delivery`, fmt(polkuIn.rate), ratio(polkuIn.rate, bareIn.rate), '≥ 0.70x', cpu(polkuIn)],
		);
	}
	table(['what', 'messages/s', 'vs bare', 'target', 'client CPU µs/msg'], rows);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();

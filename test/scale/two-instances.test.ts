// "Scale beyond one process": two child processes, each running a hub, consume the same RabbitMQ queue /
// the same Redis consumer group as competing consumers under steady load; one is SIGKILLed mid-stream.
// Every published message reaches an output at least once, none is lost, and the duplicates are only what
// the broker redelivered (AMQP: deliveries flagged redelivered; Redis: entries claimed from the dead
// consumer). The counts are printed.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { AmqpOutput } from '../../src/adapters/amqp/index.js';
import { RedisStreamOutput } from '../../src/adapters/redis/index.js';
import { createMessage, type Message, type Output } from '../../src/index.js';
import { connect, uniqueName, until } from '../amqp/helpers.js';
import { redisClient, uniqueKey } from '../redis/helpers.js';
import { skipUnless } from '../support/services.js';

const skipRabbit = await skipUnless('rabbitmq');
const skipRedis = await skipUnless('redis');
const CWD = new URL('../../', import.meta.url).pathname;
const TOTAL = 3000;
const CHUNK = 50;
const EVERY_MS = 40;

interface Worker {
	readonly name: string;
	readonly child: ChildProcessWithoutNullStreams;
	readonly delivered: string[];
	ready: boolean;
	stats: Record<string, number> | undefined;
	readonly exited: Promise<unknown>;
}

function startWorker(kind: 'amqp' | 'redis', source: string, name: string): Worker {
	const child = spawn(process.execPath, ['--import', 'tsx', 'test/scale/worker.ts', kind, source, name], { cwd: CWD, env: { PATH: process.env['PATH'] ?? '' } });
	const worker: Worker = { name, child, delivered: [], ready: false, stats: undefined, exited: once(child, 'exit') };
	createInterface({ input: child.stdout }).on('line', (line) => {
		if (line.startsWith('D ')) worker.delivered.push(line.slice(2));
		else if (line === 'READY') worker.ready = true;
		else if (line.startsWith('S ')) worker.stats = JSON.parse(line.slice(2)) as Record<string, number>;
	});
	child.stderr.on('data', () => {});
	return worker;
}

/** Publishes TOTAL messages in chunks at a steady pace; `onProgress` after each chunk. */
async function steadyLoad(output: Output, onProgress: (published: number) => Promise<void>): Promise<Message[]> {
	const sent: Message[] = [];
	for (let i = 0; i < TOTAL; i += CHUNK) {
		const chunk = Array.from({ length: CHUNK }, (_, j) => createMessage({ source: 'load', messageType: 'tick', payload: String(i + j) }));
		await output.send(chunk);
		sent.push(...chunk);
		await onProgress(sent.length);
		await new Promise((r) => setTimeout(r, EVERY_MS));
	}
	return sent;
}

async function runScenario(kind: 'amqp' | 'redis', source: string, publisher: Output): Promise<{ a: Worker; b: Worker; sent: Message[] }> {
	const a = startWorker(kind, source, 'a');
	const b = startWorker(kind, source, 'b');
	try {
		await until(() => a.ready && b.ready, 30_000, 'both workers started');
		let killed = false;
		const sent = await steadyLoad(publisher, async (published) => {
			if (!killed && published >= TOTAL / 3 && a.delivered.length > 0) {
				a.child.kill('SIGKILL');
				killed = true;
			}
		});
		assert.ok(killed, 'worker a was killed mid-stream');
		await a.exited;
		const ids = new Set(sent.map((m) => m.id));
		const seen = (): number => new Set([...a.delivered, ...b.delivered].filter((id) => ids.has(id))).size;
		await until(() => seen() === TOTAL, 60_000, `every message delivered (${seen()} of ${TOTAL})`);
		b.child.kill('SIGTERM');
		await b.exited;
		return { a, b, sent };
	} finally {
		a.child.kill('SIGKILL');
		b.child.kill('SIGKILL');
	}
}

function report(kind: string, a: Worker, b: Worker): { duplicates: number } {
	const all = [...a.delivered, ...b.delivered];
	const duplicates = all.length - new Set(all).size;
	console.log(`${kind} two instances: a delivered ${a.delivered.length} before SIGKILL, b delivered ${b.delivered.length}; ${duplicates} duplicates; b's stats ${JSON.stringify(b.stats)}`);
	return { duplicates };
}

describe('two gateways as competing consumers, one SIGKILLed mid-stream', () => {
	const cleanups: (() => Promise<unknown>)[] = [];
	after(async () => {
		for (const c of cleanups.reverse()) await c().catch(() => {});
	});

	it('RabbitMQ: one queue, two AmqpInput processes: none lost, duplicates only redeliveries', { skip: skipRabbit, timeout: 180_000 }, async () => {
		const connection = await connect('two-instances');
		cleanups.push(() => connection.close());
		const queue = uniqueName('two-instances');
		const admin = await connection.createChannel();
		await admin.assertQueue(queue, { durable: false });
		cleanups.push(() => admin.deleteQueue(queue));
		const publisher = new AmqpOutput({ connection, exchange: '', routingKey: queue });
		const { a, b } = await runScenario('amqp', queue, publisher);
		const { duplicates } = report('RabbitMQ', a, b);
		assert.ok(b.stats !== undefined, 'the survivor reported its stats');
		assert.ok(b.delivered.length > 0 && a.delivered.length > 0, 'both consumed');
		assert.ok(duplicates <= b.stats['redelivered']!, `${duplicates} duplicates but only ${b.stats['redelivered']} redeliveries`);
		assert.equal((await admin.checkQueue(queue)).messageCount, 0, 'nothing left in the queue');
	});

	it('Redis: one consumer group, two RedisStreamInput processes: none lost, duplicates only claimed entries', { skip: skipRedis, timeout: 180_000 }, async () => {
		const tc = await redisClient('ioredis', 'two-instances');
		cleanups.push(() => tc.close());
		const stream = uniqueKey('two-instances');
		cleanups.push(() => tc.text(['DEL', stream]) as Promise<unknown>);
		await tc.text(['XGROUP', 'CREATE', stream, 'two-instances', '0', 'MKSTREAM']);
		const publisher = new RedisStreamOutput({ client: tc.client, stream });
		const { a, b } = await runScenario('redis', stream, publisher);
		const { duplicates } = report('Redis', a, b);
		assert.ok(b.stats !== undefined, 'the survivor reported its stats');
		assert.ok(b.delivered.length > 0 && a.delivered.length > 0, 'both consumed');
		assert.ok(duplicates <= b.stats['claimed']!, `${duplicates} duplicates but only ${b.stats['claimed']} claimed`);
		const pending = (await tc.text(['XPENDING', stream, 'two-instances'])) as unknown[];
		assert.equal(Number(pending[0]), 0, 'nothing left pending');
	});
});

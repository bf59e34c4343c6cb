// The AMQP and Redis plugins of polku-gateway: plan() reads and checks the variables; run() wires the
// adapters against the real RabbitMQ and Redis; the command itself consumes a queue / stream to stdout, and
// exits 2 naming the package when the client library is missing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import type { ChannelModel } from 'amqplib';
import { ConfigError } from '../../src/errors.js';
import { createLogger, run } from '../../src/gateway/index.js';
import { amqpPlugin } from '../../src/gateway/plugins/amqp.js';
import { redisPlugin } from '../../src/gateway/plugins/redis.js';
import { createMessage, fromJsonEvent } from '../../src/index.js';
import { AmqpOutput } from '../../src/adapters/amqp/index.js';
import { RedisStreamOutput } from '../../src/adapters/redis/index.js';
import { connect, QueueReader, uniqueName, until } from '../amqp/helpers.js';
import { readStream, redisClient, uniqueKey, type TestClient } from '../redis/helpers.js';
import { skipUnless } from '../support/services.js';

const CWD = new URL('../../', import.meta.url).pathname;
const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
const REDIS_URL = 'redis://127.0.0.1:6379';

const skipRabbit = await skipUnless('rabbitmq');
const skipRedis = await skipUnless('redis');

const configError = (variable: string) => (e: unknown) => e instanceof ConfigError && e.field === variable;

describe('gateway plugins: plan()', () => {
	it('amqp: not configured without POLKU_AMQP_ variables', () => {
		assert.equal(amqpPlugin.plan({}), undefined);
	});
	it('amqp: an input for POLKU_AMQP_QUEUE, an output for POLKU_AMQP_ROUTING_KEY on the default exchange', () => {
		const plan = amqpPlugin.plan({ POLKU_AMQP_URL: AMQP_URL, POLKU_AMQP_QUEUE: 'in', POLKU_AMQP_ROUTING_KEY: 'out' })!;
		assert.deepEqual([plan.inputs, plan.outputs], [['amqp'], ['amqp']]);
		assert.deepEqual(amqpPlugin.plan({ POLKU_AMQP_URL: AMQP_URL, POLKU_AMQP_EXCHANGE: 'events' })!.outputs, ['amqp']);
	});
	it('amqp: errors name the variable', () => {
		assert.throws(() => amqpPlugin.plan({ POLKU_AMQP_QUEUE: 'q' }), configError('POLKU_AMQP_URL'));
		assert.throws(() => amqpPlugin.plan({ POLKU_AMQP_URL: 'http://x', POLKU_AMQP_QUEUE: 'q' }), configError('POLKU_AMQP_URL'));
		assert.throws(() => amqpPlugin.plan({ POLKU_AMQP_URL: AMQP_URL }), configError('POLKU_AMQP_QUEUE'));
		assert.throws(() => amqpPlugin.plan({ POLKU_AMQP_URL: AMQP_URL, POLKU_AMQP_QUEUE: 'q', POLKU_AMQP_PREFETCH: '0' }), configError('POLKU_AMQP_PREFETCH'));
		assert.throws(() => amqpPlugin.plan({ POLKU_AMQP_URL: AMQP_URL, POLKU_AMQP_QUEUE: 'q', POLKU_AMQP_MAX_ATTEMPTS: 'x' }), configError('POLKU_AMQP_MAX_ATTEMPTS'));
	});
	it('redis: an output for POLKU_REDIS_STREAM, an input for POLKU_REDIS_INPUT_STREAM; errors name the variable', () => {
		assert.equal(redisPlugin.plan({}), undefined);
		const plan = redisPlugin.plan({ POLKU_REDIS_URL: REDIS_URL, POLKU_REDIS_STREAM: 'out', POLKU_REDIS_INPUT_STREAM: 'in' })!;
		assert.deepEqual([plan.inputs, plan.outputs], [['redis'], ['redis']]);
		assert.throws(() => redisPlugin.plan({ POLKU_REDIS_STREAM: 's' }), configError('POLKU_REDIS_URL'));
		assert.throws(() => redisPlugin.plan({ POLKU_REDIS_URL: 'amqp://x', POLKU_REDIS_STREAM: 's' }), configError('POLKU_REDIS_URL'));
		assert.throws(() => redisPlugin.plan({ POLKU_REDIS_URL: REDIS_URL }), configError('POLKU_REDIS_STREAM'));
		assert.throws(() => redisPlugin.plan({ POLKU_REDIS_URL: REDIS_URL, POLKU_REDIS_STREAM: 's', POLKU_REDIS_MAXLEN: '-3' }), configError('POLKU_REDIS_MAXLEN'));
	});
});

describe('gateway plugins: run() against RabbitMQ', { skip: skipRabbit }, () => {
	let connection: ChannelModel;
	before(async () => {
		connection = await connect('gateway-plugin-test');
	});
	after(() => connection.close().catch(() => {}));

	it('consumes POLKU_AMQP_QUEUE (declared durable when missing) and publishes to POLKU_AMQP_ROUTING_KEY on the default exchange', async () => {
		const inQueue = uniqueName('gw-in');
		const outQueue = uniqueName('gw-out');
		const admin = await connection.createChannel();
		await admin.assertQueue(outQueue, { durable: false });
		const reader = await QueueReader.start(connection, outQueue);
		const gateway = await run(undefined, {
			env: { POLKU_GRPC_ADDR: 'off', POLKU_METRICS_ADDR: 'off', POLKU_AMQP_URL: AMQP_URL, POLKU_AMQP_QUEUE: inQueue, POLKU_AMQP_ROUTING_KEY: outQueue },
			handleSignals: false,
			logger: createLogger({ level: 'silent' }),
		});
		try {
			assert.equal((await admin.checkQueue(inQueue)).queue, inQueue, 'the input queue was declared');
			const sent = [createMessage({ source: 'test', messageType: 'through', payload: 'x', metadata: { k: 'v' } })];
			const publisher = new AmqpOutput({ connection, exchange: '', routingKey: inQueue });
			await publisher.send(sent);
			await publisher.close();
			const [received] = await reader.waitFor(1, 10_000);
			assert.deepEqual(received, sent[0]);
		} finally {
			await gateway.stop();
			await reader.stop();
			await admin.deleteQueue(inQueue).catch(() => {});
			await admin.deleteQueue(outQueue).catch(() => {});
			await admin.close().catch(() => {});
		}
	});
});

describe('gateway plugins: run() against Redis', { skip: skipRedis }, () => {
	let tc: TestClient;
	before(async () => {
		tc = await redisClient('ioredis', 'gateway-plugin-test');
	});
	after(() => tc.close());

	it('reads POLKU_REDIS_INPUT_STREAM in POLKU_REDIS_GROUP (created at 0) and appends to POLKU_REDIS_STREAM', async () => {
		const inStream = uniqueKey('gw-in');
		const outStream = uniqueKey('gw-out');
		const sent = [createMessage({ source: 'test', messageType: 'through', payload: Buffer.from([1, 2, 255]) })];
		// Written before the group exists: the group starts at 0, so the input reads it.
		await new RedisStreamOutput({ client: tc.client, stream: inStream }).send(sent);
		const gateway = await run(undefined, {
			env: { POLKU_GRPC_ADDR: 'off', POLKU_METRICS_ADDR: 'off', POLKU_REDIS_URL: REDIS_URL, POLKU_REDIS_INPUT_STREAM: inStream, POLKU_REDIS_GROUP: 'gw', POLKU_REDIS_STREAM: outStream },
			handleSignals: false,
			logger: createLogger({ level: 'silent' }),
		});
		try {
			const [received] = await readStream(tc, outStream, 1, 10_000);
			assert.deepEqual(received, sent[0]);
		} finally {
			await gateway.stop();
			await tc.text(['DEL', inStream, outStream]);
		}
	});
});

/** Spawns the real command; resolves its stdout lines as they come. */
function spawnGateway(env: Record<string, string>, block?: string) {
	const args = [...(block === undefined ? [] : ['--import', './test/gateway/block-packages.mjs']), '--import', 'tsx', 'src/gateway/cli.ts'];
	const child = spawn(process.execPath, args, {
		cwd: CWD,
		env: { PATH: process.env['PATH'] ?? '', POLKU_GRPC_ADDR: 'off', POLKU_METRICS_ADDR: 'off', ...(block === undefined ? {} : { POLKU_TEST_BLOCK: block }), ...env },
	});
	const stdout: string[] = [];
	let stderr = '';
	createInterface({ input: child.stdout }).on('line', (line) => stdout.push(line));
	child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
	const exited = once(child, 'exit').then(([code]) => code as number | null);
	return { child, stdout, stderr: () => stderr, exited };
}

describe('polku-gateway (the command) with AMQP and Redis', () => {
	it('consumes an AMQP queue to stdout', { skip: skipRabbit }, async () => {
		const queue = uniqueName('cli');
		const connection = await connect('gateway-cli-test');
		const g = spawnGateway({ POLKU_AMQP_URL: AMQP_URL, POLKU_AMQP_QUEUE: queue, POLKU_PAYLOAD_ENCODING: 'utf8' });
		try {
			const admin = await connection.createChannel();
			await until(async () => (await admin.assertQueue(queue, { durable: true })).consumerCount === 1, 20_000, 'the gateway consuming');
			const publisher = new AmqpOutput({ connection, exchange: '', routingKey: queue });
			await publisher.send([createMessage({ id: 'cli-amqp-1', source: 'test', messageType: 'cli', payload: 'hello' })]);
			await until(() => g.stdout.length > 0, 10_000, `a stdout line (stderr: ${g.stderr()})`);
			const event = fromJsonEvent(JSON.parse(g.stdout[0]!));
			assert.equal(event.id, 'cli-amqp-1');
			g.child.kill('SIGTERM');
			assert.equal(await g.exited, 0);
			await admin.deleteQueue(queue);
		} finally {
			g.child.kill('SIGKILL');
			await connection.close().catch(() => {});
		}
	});

	it('consumes a Redis stream to stdout', { skip: skipRedis }, async () => {
		const stream = uniqueKey('cli');
		const tc = await redisClient('node-redis', 'gateway-cli-test');
		const g = spawnGateway({ POLKU_REDIS_URL: REDIS_URL, POLKU_REDIS_INPUT_STREAM: stream });
		try {
			await new RedisStreamOutput({ client: tc.client, stream }).send([createMessage({ id: 'cli-redis-1', source: 'test', messageType: 'cli' })]);
			await until(() => g.stdout.length > 0, 20_000, `a stdout line (stderr: ${g.stderr()})`);
			assert.equal(fromJsonEvent(JSON.parse(g.stdout[0]!)).id, 'cli-redis-1');
			g.child.kill('SIGTERM');
			assert.equal(await g.exited, 0);
		} finally {
			g.child.kill('SIGKILL');
			await tc.text(['DEL', stream]);
			await tc.close();
		}
	});

	for (const [block, env, named] of [
		['amqplib', { POLKU_AMQP_URL: AMQP_URL, POLKU_AMQP_QUEUE: 'q' }, 'needs the package amqplib, which is not installed: npm i amqplib'],
		['ioredis,redis', { POLKU_REDIS_URL: REDIS_URL, POLKU_REDIS_INPUT_STREAM: 's' }, 'needs the package ioredis (or redis), which is not installed: npm i ioredis'],
	] as const) {
		it(`exits 2 naming the package when ${block} cannot be imported`, async () => {
			const g = spawnGateway(env, block);
			assert.equal(await g.exited, 2, g.stderr());
			assert.ok(g.stderr().includes(named), g.stderr());
		});
	}
});

// The gateway's Kafka and NATS plugins: their variables (pure plans), run() against the real brokers,
// and the command exiting 2 when the client library is missing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { ConfigError, createMessage, fromJsonEvent } from '../../src/index.js';
import { createLogger, run, type LineStream } from '../../src/gateway/index.js';
import { planPlugins } from '../../src/gateway/plugins/index.js';
import { skipUnlessKcat, startKafkaMock, type KafkaMock } from '../support/kafka-mock.js';
import { skipUnless } from '../support/services.js';
import { kafkaClient, produceMessages, TopicReader, unique as kafkaUnique } from '../kafka/support.js';
import { createStream, natsConnect, publishMessages, readStream } from '../nats/support.js';

const CWD = new URL('../../', import.meta.url).pathname;

class Lines extends EventEmitter implements LineStream {
	text = '';
	write(chunk: string): boolean {
		this.text += chunk;
		this.emit('written');
		return true;
	}
	lines(): string[] {
		return this.text.split('\n').filter((l) => l !== '');
	}
}

async function until<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const v = check();
		if (v !== undefined) return v;
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 25));
	}
}

function configError(env: Record<string, string>): ConfigError {
	try {
		planPlugins(env);
	} catch (error) {
		assert.ok(error instanceof ConfigError, String(error));
		return error;
	}
	assert.fail(`no ConfigError for ${JSON.stringify(env)}`);
}

const BASE = { POLKU_GRPC_ADDR: 'off', POLKU_METRICS_ADDR: 'off', POLKU_FLUSH_INTERVAL_MS: '5' };

describe('gateway plugins: kafka and nats variables', () => {
	it('plan nothing when no broker variable is set', () => {
		assert.deepEqual(planPlugins({ POLKU_HTTP_ADDR: '127.0.0.1:0' }), []);
	});

	it('name the variable that is missing or wrong', () => {
		assert.equal(configError({ POLKU_KAFKA_TOPIC: 'orders' }).field, 'POLKU_KAFKA_BROKERS');
		assert.equal(configError({ POLKU_KAFKA_BROKERS: 'nohost' }).field, 'POLKU_KAFKA_BROKERS');
		assert.equal(configError({ POLKU_KAFKA_BROKERS: '127.0.0.1:9092' }).field, 'POLKU_KAFKA_TOPIC');
		assert.equal(configError({ POLKU_JETSTREAM_STREAM: 'ORDERS' }).field, 'POLKU_JETSTREAM_CONSUMER');
		assert.equal(configError({ POLKU_JETSTREAM_CONSUMER: 'polku' }).field, 'POLKU_JETSTREAM_STREAM');
		assert.equal(configError({ POLKU_NATS_URL: 'http://x' }).field, 'POLKU_NATS_URL');
		assert.equal(configError({ POLKU_NATS_SUBJECT: 'a.*' }).field, 'POLKU_NATS_SUBJECT');
		assert.equal(configError({ POLKU_NATS_QUEUE: 'q' }).field, 'POLKU_NATS_INPUT_SUBJECT');
	});

	it('plan the inputs and outputs the variables ask for', () => {
		const [kafka] = planPlugins({ POLKU_KAFKA_BROKERS: '127.0.0.1:9092', POLKU_KAFKA_INPUT_TOPICS: 'a,b' });
		assert.deepEqual([kafka!.inputs, kafka!.outputs], [['kafka'], []]);
		const [nats] = planPlugins({ POLKU_JETSTREAM_SUBJECT: 'ORDERS.x', POLKU_NATS_SUBJECT: 'events', POLKU_JETSTREAM_STREAM: 'S', POLKU_JETSTREAM_CONSUMER: 'c' });
		assert.deepEqual([nats!.inputs, nats!.outputs], [['jetstream'], ['jetstream', 'nats']]);
	});
});

describe('gateway plugin kafka: run() against the mock cluster', { skip: skipUnlessKcat() }, () => {
	let mock: KafkaMock;
	before(async () => {
		mock = await startKafkaMock(1);
	});
	after(() => mock?.stop());

	it('a Kafka input with no output writes to stdout; a Kafka output produces HTTP events', async () => {
		const kafka = kafkaClient(mock.brokers);
		const inTopic = kafkaUnique('gw-in');
		const outTopic = kafkaUnique('gw-out');
		const producer = kafka.producer();
		await producer.connect();
		const sent = [createMessage({ source: 'gw', messageType: 'hello', payload: 'one', metadata: { tenant: 'acme' } })];
		await produceMessages(producer, inTopic, sent); // before the group exists: read from the earliest offset
		const stdout = new Lines();
		const gateway = await run(undefined, {
			env: { ...BASE, POLKU_KAFKA_BROKERS: mock.brokers.join(','), POLKU_KAFKA_INPUT_TOPICS: inTopic, POLKU_KAFKA_GROUP: kafkaUnique('gw'), POLKU_KAFKA_MAX_WAIT_MS: '100' },
			handleSignals: false,
			stdout,
			logger: createLogger({ level: 'silent' }),
		});
		try {
			const line = await until(() => stdout.lines()[0], 30_000, 'a stdout line');
			const got = fromJsonEvent(JSON.parse(line), { source: '?' });
			assert.equal(got.id, sent[0]!.id);
			assert.equal(got.timestamp, sent[0]!.timestamp);
			assert.equal(got.metadata['tenant'], 'acme');
		} finally {
			await gateway.stop();
		}
		const out = await run(undefined, {
			env: { ...BASE, POLKU_HTTP_ADDR: '127.0.0.1:0', POLKU_KAFKA_BROKERS: mock.brokers.join(','), POLKU_KAFKA_TOPIC: outTopic, POLKU_KAFKA_KEY: 'tenant' },
			handleSignals: false,
			logger: createLogger({ level: 'silent' }),
		});
		const reader = new TopicReader(kafka, outTopic);
		try {
			await out.hub.send(createMessage({ source: 'gw', messageType: 'x', payload: 'two', metadata: { tenant: 'acme' } }));
			const [m] = await reader.waitFor(1, 30_000);
			assert.equal(Buffer.from(m!.payload).toString(), 'two');
		} finally {
			await out.stop();
			await reader.stop();
			await producer.disconnect();
		}
	});
});

describe('gateway plugin nats: run() against the real server', { skip: await skipUnless('nats') }, () => {
	it('a JetStream input (consumer created) with no output writes to stdout; JetStream and core outputs publish', async () => {
		const nc = await natsConnect();
		const js = jetstream(nc);
		const jsm = await jetstreamManager(nc);
		const source = await createStream(jsm);
		const target = await createStream(jsm);
		const core = nc.subscribe(`${target.stream}.core`, { max: 1 });
		try {
			const sent = [createMessage({ source: 'gw', messageType: 'hello', payload: 'one', metadata: { 'Nats-Rollup': 'not for the server' } })];
			await publishMessages(js, source.subject, sent);
			const stdout = new Lines();
			const gateway = await run(undefined, {
				env: { ...BASE, POLKU_JETSTREAM_STREAM: source.stream, POLKU_JETSTREAM_CONSUMER: 'gw' },
				handleSignals: false,
				stdout,
				logger: createLogger({ level: 'silent' }),
			});
			try {
				const got = fromJsonEvent(JSON.parse(await until(() => stdout.lines()[0], 10_000, 'a stdout line')), { source: '?' });
				assert.equal(got.id, sent[0]!.id);
				assert.equal(got.metadata['Nats-Rollup'], 'not for the server');
			} finally {
				await gateway.stop();
			}
			const info = await jsm.consumers.info(source.stream, 'gw');
			assert.equal(info.config.ack_policy, 'explicit');

			const out = await run(undefined, {
				env: { ...BASE, POLKU_HTTP_ADDR: '127.0.0.1:0', POLKU_JETSTREAM_SUBJECT: target.subject, POLKU_NATS_SUBJECT: `${target.stream}.core` },
				handleSignals: false,
				logger: createLogger({ level: 'silent' }),
			});
			try {
				await out.hub.send(createMessage({ source: 'gw', messageType: 'x', payload: 'two' }));
				const [m] = await readStream(js, target.stream, 2, 10_000); // the core publish lands in the stream too
				assert.equal(Buffer.from(m!.payload).toString(), 'two');
				for await (const c of core) assert.equal(c.string(), 'two');
			} finally {
				await out.stop();
			}
		} finally {
			await source.drop();
			await target.drop();
			await nc.close();
		}
	});
});

describe('polku-gateway without the client library', () => {
	for (const [pkg, env] of [
		['kafkajs', { POLKU_KAFKA_BROKERS: '127.0.0.1:9', POLKU_KAFKA_TOPIC: 'x' }],
		['@nats-io/transport-node', { POLKU_NATS_SUBJECT: 'x' }],
		['@nats-io/jetstream', { POLKU_JETSTREAM_STREAM: 'S', POLKU_JETSTREAM_CONSUMER: 'c' }],
	] as const) {
		it(`exits 2 naming ${pkg} when it cannot be imported`, async () => {
			const child = spawn(process.execPath, ['--import', './test/gateway/block-packages.mjs', '--import', 'tsx', 'src/gateway/cli.ts'], {
				cwd: CWD,
				env: { PATH: process.env['PATH'] ?? '', POLKU_TEST_BLOCK: pkg, POLKU_GRPC_ADDR: 'off', POLKU_METRICS_ADDR: 'off', POLKU_HTTP_ADDR: '127.0.0.1:0', ...env },
			});
			let stderr = '';
			child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
			const [code] = (await once(child, 'exit')) as [number | null];
			assert.equal(code, 2, stderr);
			assert.ok(stderr.includes(`needs the package ${pkg}, which is not installed: npm i ${pkg}`), stderr);
		});
	}
});

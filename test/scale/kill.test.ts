// Scale beyond one process: two `polku-gateway` processes share one JetStream durable consumer, and two
// share one Kafka consumer group, under steady load; one is killed with SIGKILL mid-stream. Every
// published message must reach the output (the gateways' stdout) at least once, and a duplicate may only
// be a message the killed gateway had written but not yet acked or committed, which the broker then gave
// to the survivor. The counts are printed (`# kill test …`) for the report.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { createMessage, type Message } from '../../src/index.js';
import { KafkaOutput } from '../../src/adapters/kafka/index.js';
import { JetStreamOutput } from '../../src/adapters/nats/index.js';
import { skipUnlessKcat, startKafkaMock, type KafkaMock } from '../support/kafka-mock.js';
import { skipUnless } from '../support/services.js';
import { kafkaClient, unique } from '../kafka/support.js';
import { createStream, natsConnect } from '../nats/support.js';

const CWD = new URL('../../', import.meta.url).pathname;
const TOTAL = 3000;
const PER_TICK = 50;
const TICK_MS = 100; // 500 messages/s for 6 s
const KILL_AFTER_MS = 2000;
// 60 batches of 50 every 100 ms: the victim is killed with about half the load still to come.

interface Gateway {
	readonly name: string;
	readonly child: ChildProcessWithoutNullStreams;
	/** Ids in stdout order. */
	readonly ids: string[];
	readonly logs: string[];
	waitForLog(pattern: RegExp, timeoutMs: number): Promise<void>;
	stop(): Promise<void>;
}

function spawnGateway(name: string, env: Record<string, string>): Gateway {
	const child = spawn(process.execPath, ['--import', 'tsx', 'src/gateway/cli.ts'], {
		cwd: CWD,
		env: { PATH: process.env['PATH'] ?? '', POLKU_GRPC_ADDR: 'off', POLKU_METRICS_ADDR: 'off', POLKU_FLUSH_INTERVAL_MS: '5', POLKU_LOG_LEVEL: 'info', ...env },
	});
	const ids: string[] = [];
	const logs: string[] = [];
	createInterface({ input: child.stdout }).on('line', (line) => ids.push((JSON.parse(line) as { id: string }).id));
	createInterface({ input: child.stderr }).on('line', (line) => logs.push(line));
	const exited = once(child, 'exit');
	return {
		name,
		child,
		ids,
		logs,
		async waitForLog(pattern, timeoutMs) {
			const end = Date.now() + timeoutMs;
			while (!logs.some((l) => pattern.test(l))) {
				if (child.exitCode !== null) throw new Error(`gateway ${name} exited: ${logs.join('\n')}`);
				if (Date.now() > end) throw new Error(`gateway ${name}: no log ${pattern} within ${timeoutMs} ms: ${logs.slice(-5).join('\n')}`);
				await new Promise((r) => setTimeout(r, 50));
			}
		},
		async stop() {
			if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
			await exited;
		},
	};
}

/** Publishes TOTAL messages at a steady rate; kills `victim` mid-stream, once it has written some of them (or after 3 × KILL_AFTER_MS). */
async function steadyLoad(send: (batch: Message[]) => Promise<void>, victim: Gateway): Promise<Message[]> {
	const before = victim.ids.length;
	const kill = (): void => {
		victim.child.kill('SIGKILL');
	};
	const all: Message[] = [];
	const started = Date.now();
	let killed = false;
	for (let i = 0; i < TOTAL; i += PER_TICK) {
		const batch = Array.from({ length: PER_TICK }, (_, j) => createMessage({ source: 'load', messageType: 'tick', payload: `m-${i + j}` }));
		all.push(...batch);
		await send(batch);
		const elapsed = Date.now() - started;
		if (!killed && ((elapsed >= KILL_AFTER_MS && victim.ids.length - before >= 100) || elapsed >= 3 * KILL_AFTER_MS)) {
			killed = true;
			kill();
		}
		await new Promise((r) => setTimeout(r, TICK_MS));
	}
	return all;
}

async function allArrive(sent: readonly Message[], gateways: readonly Gateway[], timeoutMs: number): Promise<void> {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const seen = new Set(gateways.flatMap((g) => g.ids));
		const missing = sent.filter((m) => !seen.has(m.id)).length;
		if (missing === 0) return;
		if (Date.now() > end) throw new Error(`${missing} of ${sent.length} messages never reached an output`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

/**
 * Prints the duplicate counts: every line beyond the first of an id. `across` are messages both
 * gateways wrote (the killed one had not acked or committed them); `within` are messages one gateway
 * wrote twice (re-read from the last commit after a rebalance, or redelivered after an ack wait).
 */
function duplicates(label: string, killed: Gateway, survivor: Gateway, extra = '', published = TOTAL): number {
	const a = new Set(killed.ids);
	const b = new Set(survivor.ids);
	const within = killed.ids.length - a.size + (survivor.ids.length - b.size);
	const across = [...b].filter((id) => a.has(id)).length;
	console.log(
		`# kill test ${label}: ${published} published; killed gateway wrote ${killed.ids.length} (${a.size} distinct), survivor wrote ${survivor.ids.length} (${b.size} distinct); duplicates: ${across + within} (${across} written by both, ${within} written twice by one)${extra}`,
	);
	return across + within;
}

describe('scale: two gateways share a JetStream durable consumer; one is SIGKILLed', { skip: await skipUnless('nats') }, () => {
	it('every message reaches an output at least once; duplicates only from redelivery', { timeout: 90_000 }, async () => {
		const nc = await natsConnect();
		const js = jetstream(nc);
		const jsm = await jetstreamManager(nc);
		const { stream, subject, drop } = await createStream(jsm);
		// A short ack wait so the killed gateway's unacked messages come back quickly.
		await jsm.consumers.add(stream, { durable_name: 'kill', ack_policy: 'explicit' as never, ack_wait: 3_000_000_000 });
		const env = { POLKU_JETSTREAM_STREAM: stream, POLKU_JETSTREAM_CONSUMER: 'kill' };
		const a = spawnGateway('A', env);
		const b = spawnGateway('B', env);
		try {
			await Promise.all([a.waitForLog(/polku-gateway started/, 30_000), b.waitForLog(/polku-gateway started/, 30_000)]);
			const output = new JetStreamOutput({ js, subject, headers });
			const sent = await steadyLoad((batch) => output.send(batch), a);
			await allArrive(sent, [a, b], 40_000);
			const info = await jsm.consumers.info(stream, 'kill');
			duplicates('jetstream', a, b, `; consumer: ${info.num_redelivered} redelivered, ${info.num_ack_pending} ack pending`);
			assert.ok(a.ids.length > 0 && b.ids.length > 0, 'both gateways took part');
		} finally {
			a.child.kill('SIGKILL');
			await b.stop();
			await drop();
			await nc.close();
		}
	});
});

describe('scale: two gateways in one Kafka consumer group; one is SIGKILLed', { skip: skipUnlessKcat() }, () => {
	let mock: KafkaMock;
	before(async () => {
		mock = await startKafkaMock(1);
	});
	after(() => mock?.stop());

	it('every message reaches an output at least once; duplicates only from uncommitted records', { timeout: 120_000 }, async () => {
		const kafka = kafkaClient(mock.brokers);
		const topic = unique('kill');
		const producer = kafka.producer();
		await producer.connect();
		const output = new KafkaOutput({ producer, topic, disconnectOnClose: false });
		const first = [createMessage({ source: 'load', messageType: 'first', payload: 'creates the topic' })];
		await output.send(first);
		const env = { POLKU_KAFKA_BROKERS: mock.brokers.join(','), POLKU_KAFKA_INPUT_TOPICS: topic, POLKU_KAFKA_GROUP: unique('kill'), POLKU_KAFKA_SESSION_TIMEOUT_MS: '6000', POLKU_KAFKA_MAX_WAIT_MS: '100' };
		const a = spawnGateway('A', env);
		let b: Gateway | undefined;
		try {
			await a.waitForLog(/consumer group rebalanced/, 40_000);
			b = spawnGateway('B', env);
			const survivor = b;
			// B's join makes A rejoin: both have their partitions when A logs its second rebalance.
			await survivor.waitForLog(/consumer group rebalanced/, 40_000);
			const sent = await steadyLoad((batch) => output.send(batch), a);
			await allArrive([...first, ...sent], [a, survivor], 60_000);
			const crashes = [a, survivor].map((g) => g.logs.filter((l) => /kafkajs: Crash/.test(l)).length);
			duplicates('kafka', a, survivor, `; kafkajs consumer crashes restarted by the hub (mock cluster SyncGroup): ${crashes.join(' + ')}`, TOTAL + first.length);
			assert.ok(a.ids.length > 0 && survivor.ids.length > 0, 'both gateways took part');
		} finally {
			a.child.kill('SIGKILL');
			await b?.stop();
			await producer.disconnect();
		}
	});
});

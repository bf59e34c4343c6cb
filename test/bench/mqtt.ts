// MQTT QoS 1 ingestion: MqttInput → Hub → no-op output (PUBACK after delivery) against a bare MQTT.js
// subscriber that acks the same messages as they arrive (MQTT.js's automatic PUBACK), in the same run,
// against the Mosquitto on 127.0.0.1:1883. A separate process publishes at QoS 1, keeping at most WINDOW
// messages ahead of what the subscriber has taken (Mosquitto drops QoS 1 messages beyond its per-client
// queue, max_queued_messages, 1000 by default), so the subscriber side is what is measured.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { MqttInput } from '../../src/adapters/mqtt/index.js';
import { Hub, type Message, type Output } from '../../src/index.js';
import { isListening } from '../support/services.js';
import { fmt, ratio, table } from './report.js';

const URL = 'mqtt://127.0.0.1:1883';
const PAYLOAD_BYTES = 200;
const RECEIVE_MAXIMUM = Number(process.env['BENCH_MQTT_RECEIVE_MAXIMUM'] ?? 1000);
const WINDOW = Number(process.env['BENCH_MQTT_WINDOW'] ?? 900);
const WARMUP_MS = Number(process.env['BENCH_MQTT_WARMUP_MS'] ?? 1500);
const MEASURE_MS = Number(process.env['BENCH_MQTT_MEASURE_MS'] ?? 4000);
const ROUNDS = Number(process.env['BENCH_MQTT_ROUNDS'] ?? 2);

/** The publisher (CommonJS): publishes QoS 1 while published - consumed < window; `consumed` comes over IPC. */
const PUBLISHER = `
const mqtt = require('mqtt');
const [url, topic, windowSize, payloadBytes] = process.argv.slice(2);
const payload = Buffer.alloc(Number(payloadBytes), 120);
const client = mqtt.connect(url, { protocolVersion: 5, clientId: topic + '-pub' });
let published = 0, acked = 0, consumed = 0, running = true;
const pump = () => {
	while (running && client.connected && published - consumed < Number(windowSize)) {
		published++;
		client.publish(topic, payload, { qos: 1 }, (err) => { if (err) { console.error(err.message); process.exit(1); } acked++; });
	}
};
process.on('message', (m) => {
	if (m.consumed !== undefined) { consumed = m.consumed; pump(); }
	if (m.stop) { running = false; client.end(false, () => { process.send({ published, acked }); process.exit(0); }); }
});
client.on('connect', () => { process.send({ ready: true }); pump(); });
`;

interface Subscriber {
	/** Messages that reached the subscriber so far (the publisher stays at most WINDOW ahead of this). */
	arrived(): number;
	/** Messages taken (acknowledged) so far: what is measured. */
	count(): number;
	close(): Promise<void>;
}

function subscriberOptions(clientId: string): mqtt.IClientOptions {
	return { protocolVersion: 5, clientId, clean: false, properties: { sessionExpiryInterval: 30, receiveMaximum: RECEIVE_MAXIMUM } };
}

async function bare(topic: string): Promise<Subscriber> {
	const client = await mqtt.connectAsync(URL, subscriberOptions(`${topic}-sub`));
	let n = 0;
	client.on('message', () => n++);
	await client.subscribeAsync(topic, { qos: 1 });
	return {
		arrived: () => n,
		count: () => n,
		close: async () => {
			await client.endAsync();
		},
	};
}

class NoopOutput implements Output {
	readonly name = 'noop';
	count = 0;
	async send(batch: readonly Message[]): Promise<void> {
		this.count += batch.length;
	}
}

async function polku(topic: string): Promise<Subscriber> {
	const client: MqttClient = await mqtt.connectAsync(URL, subscriberOptions(`${topic}-sub`));
	const input = new MqttInput({ client, topics: topic, qos: 1 });
	const out = new NoopOutput();
	const hub = Hub.builder().bufferCapacity(100_000).input(input).output(out).build();
	await hub.start();
	return {
		arrived: () => input.stats().received,
		count: () => input.stats().acked,
		close: async () => {
			await hub.stop();
			await client.endAsync();
			if (out.count === 0) throw new Error('nothing reached the output');
		},
	};
}

/** Runs one subscriber against a fresh publisher; returns messages per second over the measured window. */
async function measure(kind: 'bare' | 'polku', script: string): Promise<number> {
	const topic = `bench/mqtt/${kind}/${process.pid}-${Date.now()}`;
	const sub = kind === 'bare' ? await bare(topic) : await polku(topic);
	const child: ChildProcess = fork(script, [URL, topic, String(WINDOW), String(PAYLOAD_BYTES)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
	try {
		await new Promise<void>((resolve, reject) => {
			child.once('message', () => resolve());
			child.once('exit', (code) => reject(new Error(`publisher exited with ${code}`)));
		});
		const report = setInterval(() => child.send({ consumed: sub.arrived() }), 5);
		await new Promise((r) => setTimeout(r, WARMUP_MS));
		const start = sub.count();
		const t0 = performance.now();
		await new Promise((r) => setTimeout(r, MEASURE_MS));
		const rate = (sub.count() - start) / ((performance.now() - t0) / 1000);
		clearInterval(report);
		child.send({ stop: true });
		await new Promise((resolve) => child.once('exit', resolve));
		return rate;
	} finally {
		child.kill();
		await sub.close();
	}
}

export async function run(): Promise<void> {
	console.log(`\n## MQTT QoS 1 ingestion (${PAYLOAD_BYTES}-byte payloads through Mosquitto on 127.0.0.1:1883, receiveMaximum ${RECEIVE_MAXIMUM}, publisher in another process; best of ${ROUNDS} × ${MEASURE_MS / 1000} s)\n`);
	if (!(await isListening(1883))) {
		console.log('skipped: nothing listens on 127.0.0.1:1883');
		return;
	}
	const dir = mkdtempSync(join(tmpdir(), 'polku-bench-mqtt-'));
	const script = join(dir, 'publisher.cjs');
	// The publisher needs `mqtt` from this package's node_modules.
	writeFileSync(script, `module.paths.unshift(${JSON.stringify(join(process.cwd(), 'node_modules'))});\n${PUBLISHER}`);
	try {
		const best = { bare: 0, polku: 0 };
		for (let round = 0; round < ROUNDS; round++) {
			best.bare = Math.max(best.bare, await measure('bare', script));
			best.polku = Math.max(best.polku, await measure('polku', script));
		}
		table(
			['subscriber', 'messages/s', 'vs bare'],
			[
				['bare MQTT.js, automatic PUBACK on arrival (baseline)', fmt(best.bare), '1.00x'],
				['MqttInput → Hub → no-op output, PUBACK after delivery', fmt(best.polku), ratio(best.polku, best.bare)],
			],
		);
		console.log(`\nTarget: MqttInput ≥ 0.70x of the bare subscriber (got ${ratio(best.polku, best.bare)}).`);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

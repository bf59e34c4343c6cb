// The MQTT and WebSocket plugins of polku-gateway: through run() and through the real command.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { ConfigError } from '../../src/errors.js';
import { createLogger, run, type Gateway, type LineStream, type RunOptions } from '../../src/gateway/index.js';
import { planPlugins } from '../../src/gateway/plugins/index.js';
import { createMessage, fromJsonEvent, toJsonEvent } from '../../src/index.js';
import { BROKER, clientId, connect, endAll, forgetSession, unique, until } from '../mqtt/helpers.js';
import { skipUnless } from '../support/services.js';
import { AckClient } from '../websocket/helpers.js';

class LineCapture extends EventEmitter implements LineStream {
	text = '';
	write(chunk: string): boolean {
		this.text += chunk;
		this.emit('written');
		return true;
	}
	lines(): string[] {
		return this.text.split('\n').filter((l) => l !== '');
	}
	json(): Record<string, unknown>[] {
		return this.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
	}
	async waitForLines(n: number): Promise<string[]> {
		while (this.lines().length < n) await new Promise((resolve) => this.once('written', resolve));
		return this.lines();
	}
}

const BASE_ENV = { POLKU_GRPC_ADDR: 'off', POLKU_METRICS_ADDR: 'off', POLKU_FLUSH_INTERVAL_MS: '0' };

function options(env: Record<string, string>): RunOptions & { log: LineCapture; stdout: LineCapture } {
	const log = new LineCapture();
	const stdout = new LineCapture();
	return { env: { ...BASE_ENV, ...env }, handleSignals: false, logger: createLogger({ level: 'debug', stream: log }), stdout, log };
}

const planError = (env: Record<string, string>): ConfigError => {
	try {
		planPlugins(env);
	} catch (error) {
		assert.ok(error instanceof ConfigError);
		return error;
	}
	assert.fail('expected a ConfigError');
};

describe('gateway plugins: configuration', () => {
	it('MQTT: the URL needs topics or an output topic, and the topics and output topic need the URL', () => {
		assert.equal(planError({ POLKU_MQTT_URL: 'mqtt://127.0.0.1:1883' }).field, 'POLKU_MQTT_TOPICS');
		assert.equal(planError({ POLKU_MQTT_TOPICS: 'a/#' }).field, 'POLKU_MQTT_URL');
		assert.equal(planError({ POLKU_MQTT_OUTPUT_TOPIC: 'out' }).field, 'POLKU_MQTT_URL');
		assert.equal(planError({ POLKU_MQTT_URL: 'http://x', POLKU_MQTT_TOPICS: 'a' }).field, 'POLKU_MQTT_URL');
		const bad = planError({ POLKU_MQTT_URL: 'mqtt://x', POLKU_MQTT_TOPICS: 'a/#/b' });
		assert.equal(bad.field, 'POLKU_MQTT_TOPICS');
		assert.match(bad.message, /^POLKU_MQTT_TOPICS must be MQTT topic filters .*# only as the whole last level.*, got "a\/#\/b"$/);
		assert.equal(planError({ POLKU_MQTT_URL: 'mqtt://x', POLKU_MQTT_OUTPUT_TOPIC: 'x/+' }).field, 'POLKU_MQTT_OUTPUT_TOPIC');
		assert.equal(planError({ POLKU_MQTT_URL: 'mqtt://x', POLKU_MQTT_TOPICS: 'a', POLKU_MQTT_MAX_IN_FLIGHT: '0' }).field, 'POLKU_MQTT_MAX_IN_FLIGHT');
		const [plan] = planPlugins({ POLKU_MQTT_URL: 'mqtt://x', POLKU_MQTT_TOPICS: 'a,b/+', POLKU_MQTT_OUTPUT_TOPIC: 'out/{source}' });
		assert.deepEqual([plan!.inputs, plan!.outputs], [['mqtt'], ['mqtt']]);
	});

	it('WebSocket: POLKU_WS_ADDR must be host:port, the path must start with /', () => {
		assert.equal(planError({ POLKU_WS_ADDR: 'nope' }).field, 'POLKU_WS_ADDR');
		assert.equal(planError({ POLKU_WS_ADDR: '127.0.0.1:0', POLKU_WS_PATH: 'ws' }).field, 'POLKU_WS_PATH');
		assert.deepEqual(planPlugins({ POLKU_WS_ADDR: '127.0.0.1:0' })[0]!.inputs, ['websocket']);
		assert.deepEqual(planPlugins({}), []);
	});
});

describe('gateway plugins: WebSocket through run()', () => {
	it('listens on POLKU_WS_ADDR and requires POLKU_AUTH_TOKENS at the upgrade', async () => {
		const o = options({ POLKU_WS_ADDR: '127.0.0.1:0', POLKU_WS_PATH: '/agents', POLKU_AUTH_TOKENS: 'tok-a,tok-b' });
		const gateway = await run(undefined, o);
		try {
			await until(() => o.log.json().some((l) => l['msg'] === 'polku websocket input listening'), 'the input to listen');
			const port = Number(o.log.json().find((l) => l['msg'] === 'polku websocket input listening')!['port']);
			const refused = new AckClient(`ws://127.0.0.1:${port}/agents`);
			await assert.rejects(refused.opened, /HTTP 401/);
			const c = new AckClient(`ws://127.0.0.1:${port}/agents`, { authorization: 'Bearer tok-b' });
			await c.opened;
			const m = createMessage({ source: 'agent', messageType: 'hello', payload: 'hi' });
			assert.deepEqual((await c.send(toJsonEvent(m))).eventIds, [m.id]);
			const [line] = await o.stdout.waitForLines(1);
			assert.equal(fromJsonEvent(JSON.parse(line!), { source: '?' }).id, m.id);
			c.close();
		} finally {
			await gateway.stop();
		}
	});
});

const mqttSkip = await skipUnless('mqtt');

describe('gateway plugins: MQTT through run()', { skip: mqttSkip }, () => {
	after(endAll);

	it('POLKU_MQTT_TOPICS: an input at QoS 1 whose session outlives a restart (same POLKU_MQTT_CLIENT_ID)', async () => {
		const topic = unique('gateway-in');
		const id = clientId('gateway-in');
		const env = { POLKU_MQTT_URL: BROKER, POLKU_MQTT_TOPICS: `${topic}/#`, POLKU_MQTT_CLIENT_ID: id };
		const pub = await connect();
		let gateway: Gateway | undefined;
		try {
			const first = options(env);
			gateway = await run(undefined, first);
			await until(() => first.log.json().some((l) => l['msg'] === 'polku mqtt input subscribed'), 'the subscription');
			await pub.publishAsync(`${topic}/a`, 'one', { qos: 1 });
			const [line] = await first.stdout.waitForLines(1);
			const event = fromJsonEvent(JSON.parse(line!), { source: '?' });
			assert.equal(Buffer.from(event.payload).toString(), 'one');
			assert.equal(event.messageType, `${topic}/a`);
			assert.equal(event.metadata['mqtt.topic'], `${topic}/a`);
			await gateway.stop();
			gateway = undefined;

			await pub.publishAsync(`${topic}/b`, 'while down', { qos: 1 });
			const second = options(env);
			gateway = await run(undefined, second);
			const [again] = await second.stdout.waitForLines(1);
			assert.equal(Buffer.from(fromJsonEvent(JSON.parse(again!), { source: '?' }).payload).toString(), 'while down');
		} finally {
			await gateway?.stop();
			await forgetSession(id);
		}
	});

	it('POLKU_MQTT_OUTPUT_TOPIC: an output at QoS 1 with the envelope as user properties', async () => {
		const topic = unique('gateway-out');
		const sub = await connect();
		const got: mqtt.IPublishPacket[] = [];
		sub.on('message', (_t, _p, packet) => got.push(packet));
		await sub.subscribeAsync(`${topic}/#`, { qos: 1 });
		const o = options({ POLKU_HTTP_ADDR: '127.0.0.1:0', POLKU_MQTT_URL: BROKER, POLKU_MQTT_OUTPUT_TOPIC: `${topic}/{messageType}` });
		const gateway = await run(undefined, o);
		try {
			const res = await fetch(`http://${gateway.addresses.http}/events`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ id: 'evt-1', event_type: 'order.created', payload: Buffer.from('{"n":1}').toString('base64') }),
			});
			assert.equal(res.status, 202);
			await until(() => got.length === 1, 'the published message');
			assert.equal(got[0]!.topic, `${topic}/order.created`);
			assert.equal(got[0]!.payload.toString(), '{"n":1}');
			assert.equal(got[0]!.properties?.userProperties?.['polku-id'], 'evt-1');
		} finally {
			await gateway.stop();
		}
	});
});

/** Spawns the real command; resolves with its exit code, stdout lines and stderr lines. */
function spawnGateway(env: Record<string, string>, imports: string[] = []) {
	const child = spawn(process.execPath, ['--import', 'tsx', ...imports.flatMap((i) => ['--import', i]), 'src/gateway/cli.ts'], {
		cwd: new URL('../../', import.meta.url).pathname,
		env: { PATH: process.env['PATH'] ?? '', POLKU_GRPC_ADDR: 'off', POLKU_METRICS_ADDR: 'off', POLKU_FLUSH_INTERVAL_MS: '0', ...env },
	});
	const stdout: string[] = [];
	const stderr: string[] = [];
	const changed = new EventEmitter();
	createInterface({ input: child.stdout }).on('line', (l) => (stdout.push(l), changed.emit('line')));
	createInterface({ input: child.stderr }).on('line', (l) => (stderr.push(l), changed.emit('line')));
	const exited = once(child, 'exit').then(([code]) => code as number | null);
	const waitFor = async (check: () => boolean): Promise<void> => {
		while (!check()) await Promise.race([once(changed, 'line'), exited.then(() => assert.fail(`exited; stderr: ${stderr.join('\n')}`))]);
	};
	return { child, stdout, stderr, exited, waitFor };
}

describe('polku-gateway (the command) with MQTT and WebSocket', () => {
	it('exits 2 naming the package when mqtt or ws is not installed', async () => {
		const blocker = new URL('../support/block-packages.mjs', import.meta.url).pathname;
		const m = spawnGateway({ POLKU_MQTT_URL: 'mqtt://127.0.0.1:1883', POLKU_MQTT_TOPICS: 'x', POLKU_TEST_BLOCK: 'mqtt' }, [blocker]);
		assert.equal(await m.exited, 2);
		assert.match(m.stderr.join('\n'), /POLKU_MQTT_URL needs the package mqtt, which is not installed: npm i mqtt/);
		const w = spawnGateway({ POLKU_WS_ADDR: '127.0.0.1:0', POLKU_TEST_BLOCK: 'ws' }, [blocker]);
		assert.equal(await w.exited, 2);
		assert.match(w.stderr.join('\n'), /POLKU_WS_ADDR needs the package ws, which is not installed: npm i ws/);
	});

	it('takes MQTT and WebSocket events and writes them to stdout, stopping cleanly on SIGTERM', { skip: mqttSkip }, async () => {
		const topic = unique('cli');
		const id = clientId('cli');
		const g = spawnGateway({ POLKU_MQTT_URL: BROKER, POLKU_MQTT_TOPICS: topic, POLKU_MQTT_CLIENT_ID: id, POLKU_WS_ADDR: '127.0.0.1:0' });
		try {
			await g.waitFor(() => g.stderr.some((l) => l.includes('polku mqtt input subscribed')) && g.stderr.some((l) => l.includes('polku websocket input listening')));
			const listening = g.stderr.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['msg'] === 'polku websocket input listening')!;
			const pub = await connect();
			await pub.publishAsync(topic, 'via mqtt', { qos: 1 });
			const ws = new AckClient(`ws://127.0.0.1:${String(listening['port'])}/`);
			await ws.opened;
			await ws.send(JSON.stringify({ event_type: 'via.ws', payload_encoding: 'utf8', payload: 'via websocket' }));
			ws.close();
			await g.waitFor(() => g.stdout.length >= 2);
			const payloads = g.stdout.map((l) => Buffer.from(fromJsonEvent(JSON.parse(l), { source: '?' }).payload).toString()).sort();
			assert.deepEqual(payloads, ['via mqtt', 'via websocket']);
			g.child.kill('SIGTERM');
			assert.equal(await g.exited, 0);
		} finally {
			g.child.kill('SIGKILL');
			await endAll();
			await forgetSession(id);
		}
	});
});

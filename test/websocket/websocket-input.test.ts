import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { HttpInput } from '../../src/adapters/http/index.js';
import { WebSocketInput } from '../../src/adapters/websocket/index.js';
import { ConfigError, createMessage, Hub, payloadText, reject, toJsonEvent, type DropEvent, type Message } from '../../src/index.js';
import { MemoryOutput } from '../../src/testing/index.js';
import { AckClient, jsonFrame, protobufFrame, until } from './helpers.js';

const msg = (n: number, extra: Partial<Message> = {}): Message => createMessage({ source: 'agent', messageType: 'metric', payload: `m${n}`, ...extra });

const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
	for (const stop of stops.splice(0).reverse()) await stop();
});

async function start(options: ConstructorParameters<typeof WebSocketInput>[0] = {}, out = new MemoryOutput(), configure?: (b: ReturnType<typeof Hub.builder>) => void) {
	const input = new WebSocketInput({ address: '127.0.0.1:0', ...options });
	const builder = Hub.builder().flushInterval(0).input(input).output(out);
	configure?.(builder);
	const hub = builder.build();
	const drops: DropEvent[] = [];
	hub.on('drop', (e) => drops.push(e));
	await hub.start();
	stops.push(() => hub.stop({ timeoutMs: 1000 }));
	const { port } = await input.ready;
	const url = `ws://127.0.0.1:${port}`;
	const client = (path = '/', headers: Record<string, string> = {}): AckClient => {
		const c = new AckClient(`${url}${path}`, headers);
		stops.push(async () => c.close());
		return c;
	};
	return { input, hub, out, drops, port, url, client };
}

/** The status of an upgrade request that was refused (or 101). */
function upgradeStatus(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
	return new Promise((resolve, rejectPromise) => {
		const req = request({
			host: '127.0.0.1',
			port,
			path,
			headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers },
		});
		req.on('upgrade', (res, socket) => {
			socket.destroy();
			resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
		});
		req.on('response', (res) => {
			let body = '';
			res.on('data', (c: Buffer) => (body += c.toString()));
			res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
		});
		req.on('error', rejectPromise);
		req.end();
	});
}

describe('WebSocketInput', () => {
	it('takes a JSON event, a JSON array, NDJSON and a protobuf IngestBatch, answering each frame with an ack of the ids, in order', async () => {
		const { client, out } = await start();
		const c = client('/?source=agent-7');
		await c.opened;
		const a = msg(1);
		const [b1, b2] = [msg(2), msg(3)];
		const [n1, n2] = [msg(4), msg(5)];
		const p = msg(6);
		const acks = await Promise.all([
			c.send(toJsonEvent(a)),
			c.send(jsonFrame([b1, b2])),
			c.send(`${toJsonEvent(n1)}\n${toJsonEvent(n2)}\n`),
			c.send(protobufFrame([p])),
		]);
		assert.deepEqual(
			acks.map((x) => x.eventIds),
			[[a.id], [b1.id, b2.id], [n1.id, n2.id], [p.id]],
		);
		for (const ack of acks) {
			assert.deepEqual(ack.errors, []);
			assert.equal(typeof ack.bufferSize, 'number');
			assert.equal(typeof ack.bufferCapacity, 'number');
		}
		await out.waitFor(6);
		assert.deepEqual(
			out.messages.map((m) => m.id),
			[a, b1, b2, n1, n2, p].map((m) => m.id),
		);
		assert.equal(payloadText(out.messages[0]!), 'm1');
	});

	it('gives events without a source the connection source: ?source=, then X-Polku-Source, then the input name', async () => {
		const { client, out } = await start({ name: 'agents' });
		const noSource = '{"event_type":"ping"}';
		const q = client('/?source=from-query');
		const h = client('/', { 'x-polku-source': 'from-header' });
		const d = client('/');
		await Promise.all([q.opened, h.opened, d.opened]);
		await q.send(noSource);
		await h.send(noSource);
		await d.send(noSource);
		await d.send('{"event_type":"ping","source":"own"}');
		await out.waitFor(4);
		assert.deepEqual(
			out.messages.map((m) => m.source),
			['from-query', 'from-header', 'agents', 'own'],
		);
	});

	it('acks an undecodable frame with INVALID errors, records it with dropInvalid, and keeps the connection', async () => {
		const { client, out, hub, drops, input } = await start();
		const c = client();
		await c.opened;
		const bad = await c.send('{"event_type": 42}');
		assert.deepEqual(bad.eventIds, []);
		assert.equal(bad.errors[0]!.code, 'INVALID');
		assert.match(bad.errors[0]!.message, /event_type/);
		const badBinary = await c.send(new Uint8Array([0xff, 0xff, 0xff]));
		assert.equal(badBinary.errors[0]!.code, 'INVALID');
		const good = await c.send(toJsonEvent(msg(1)));
		assert.equal(good.eventIds.length, 1);
		await out.waitFor(1);
		assert.equal(hub.stats().dropped.invalid, 2);
		assert.equal(hub.stats().inputs['websocket']!.invalid, 2);
		assert.equal(input.stats().invalidFrames, 2);
		assert.deepEqual(
			drops.map((d) => d.reason),
			['invalid', 'invalid'],
		);
		assert.equal(payloadText(drops[0]!.messages[0]!), '{"event_type": 42}');
	});

	it('lists events a middleware rejected in the ack errors', async () => {
		const { client } = await start({}, new MemoryOutput(), (b) =>
			b.middleware({ name: 'no-debug', process: (m) => (m.messageType === 'debug' ? reject('no-debug') : m) }),
		);
		const c = client();
		await c.opened;
		const ok = msg(1);
		const refused = msg(2, { messageType: 'debug' });
		const ack = await c.send(jsonFrame([ok, refused]));
		assert.deepEqual(ack.eventIds, [ok.id]);
		assert.equal(ack.errors.length, 1);
		assert.equal(ack.errors[0]!.eventId, refused.id);
		assert.equal(ack.errors[0]!.code, 'REJECTED');
	});

	it('checks the bearer token at the upgrade: 401 before any handshake', async () => {
		const { port, client, input } = await start({ auth: ['t1', 't2'] });
		const missing = await upgradeStatus(port, '/');
		assert.equal(missing.status, 401);
		assert.equal(missing.headers['www-authenticate'], 'Bearer realm="polku"');
		const wrong = await upgradeStatus(port, '/', { authorization: 'Bearer nope' });
		assert.equal(wrong.status, 401);
		assert.match(String(wrong.headers['www-authenticate']), /invalid_token/);
		const ok = await upgradeStatus(port, '/', { authorization: 'Bearer t2' });
		assert.equal(ok.status, 101);
		const c = client('/', { authorization: 'Bearer t1' });
		await c.opened;
		assert.equal((await c.send(toJsonEvent(msg(1)))).eventIds.length, 1);
		assert.equal(input.stats().refused, 2);
		await assert.rejects(client('/').opened, /HTTP 401/);
	});

	it('takes an async bearer verifier', async () => {
		const { port } = await start({ auth: async (token) => token === 'async-ok' });
		assert.equal((await upgradeStatus(port, '/', { authorization: 'Bearer async-ok' })).status, 101);
		assert.equal((await upgradeStatus(port, '/', { authorization: 'Bearer other' })).status, 401);
	});

	it('answers 404 off its path, 426 to plain HTTP, and 503 beyond maxConnections', async () => {
		const { port, client, url } = await start({ path: '/ws', maxConnections: 1 });
		assert.equal((await upgradeStatus(port, '/other')).status, 404);
		const plain = await fetch(`${url.replace('ws:', 'http:')}/ws`);
		assert.equal(plain.status, 426);
		const first = client('/ws');
		await first.opened;
		const second = await upgradeStatus(port, '/ws');
		assert.equal(second.status, 503);
		assert.equal(second.headers['retry-after'], '1');
	});

	it('closes a connection whose frame exceeds maxPayload with 1009', async () => {
		const { client, input } = await start({ maxPayload: 1024 });
		const c = client();
		await c.opened;
		assert.equal((await c.send(jsonFrame([msg(1)]))).eventIds.length, 1);
		c.ws.send('x'.repeat(2048));
		const closed = await c.closed;
		assert.equal(closed.code, 1009);
		await until(() => input.stats().connections === 0, 'the connection to be forgotten');
	});

	it('closes connections idle for idleTimeoutMs with 1000, keeping busy ones', async () => {
		const { client, input } = await start({ idleTimeoutMs: 300, pingIntervalMs: 0 });
		const idle = client();
		const busy = client();
		await Promise.all([idle.opened, busy.opened]);
		const timer = setInterval(() => void busy.send(toJsonEvent(msg(0))), 50);
		try {
			const closed = await idle.closed;
			assert.equal(closed.code, 1000);
			assert.equal(closed.reason, 'idle timeout');
			assert.equal(busy.ws.readyState, WebSocket.OPEN);
			assert.equal(input.stats().timedOut, 1);
		} finally {
			clearInterval(timer);
		}
	});

	it('pings every pingIntervalMs and drops a connection that does not answer', async () => {
		const { port, input } = await start({ pingIntervalMs: 100 });
		const silent = new WebSocket(`ws://127.0.0.1:${port}/`, { autoPong: false });
		const polite = new WebSocket(`ws://127.0.0.1:${port}/`);
		stops.push(async () => {
			silent.terminate();
			polite.terminate();
		});
		let pings = 0;
		silent.on('ping', () => pings++);
		const closed = new Promise<number>((resolve) => silent.on('close', (code) => resolve(code)));
		assert.equal(await closed, 1006, 'terminated without a closing handshake');
		assert.ok(pings >= 1);
		assert.equal(polite.readyState, WebSocket.OPEN);
		assert.equal(input.stats().timedOut, 1);
	});

	it('stops reading a connection while the hub blocks, then takes everything', async () => {
		const out = new MemoryOutput().hang();
		const { client, input, hub } = await start({ maxPendingFrames: 2 }, out, (b) => b.bufferCapacity(10).batchSize(5));
		const c = client();
		await c.opened;
		const sent = Array.from({ length: 400 }, (_, i) => msg(i));
		const acks = [];
		for (let i = 0; i < sent.length; i += 10) acks.push(c.send(jsonFrame(sent.slice(i, i + 10))));
		await until(() => out.hanging > 0 && hub.stats().buffer.size >= 10, 'the pipeline to block');
		await new Promise((r) => setTimeout(r, 200));
		assert.ok(input.stats().pauses >= 1, 'the connection was paused');
		assert.ok(hub.stats().inputs['websocket']!.sent <= 10 + 5 + 2 * 10, `handed ${hub.stats().inputs['websocket']!.sent} to the blocked hub`);
		assert.ok(c.acks.length < 40);
		out.release();
		await Promise.all(acks);
		await out.waitFor(400);
		assert.deepEqual(
			out.messages.map((m) => m.id),
			sent.map((m) => m.id),
		);
	});

	it('with ackAfterDelivery acks a frame only once every output confirmed it, and reports output failures', async () => {
		const out = new MemoryOutput().hang();
		const { client } = await start({ ackAfterDelivery: true }, out, (b) => b.retry(false));
		const c = client();
		await c.opened;
		const m = msg(1);
		let acked = false;
		const ack = c.send(toJsonEvent(m)).then((a) => ((acked = true), a));
		await until(() => out.hanging > 0, 'the delivery');
		await new Promise((r) => setTimeout(r, 100));
		assert.equal(acked, false);
		out.release();
		assert.deepEqual((await ack).eventIds, [m.id]);
		out.failNext(1);
		const failed = await c.send(toJsonEvent(msg(2)));
		assert.deepEqual(failed.eventIds, []);
		assert.equal(failed.errors[0]!.code, 'OUTPUT_FAILED');
	});

	it('shares an http.Server with HttpInput: HTTP on /events, WebSocket on /ws', async () => {
		const server: Server = createServer();
		const out = new MemoryOutput();
		const http = new HttpInput({ server });
		const ws = new WebSocketInput({ server, path: '/ws' });
		const hub = Hub.builder().flushInterval(0).input(http).input(ws).output(out).build();
		await hub.start();
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		stops.push(async () => {
			await hub.stop({ timeoutMs: 1000 });
			server.closeAllConnections();
			await new Promise((r) => server.close(r));
		});
		const { port } = server.address() as AddressInfo;
		assert.equal((await ws.ready).port, port);
		const viaHttp = msg(1, { source: 'http-agent' });
		const res = await fetch(`http://127.0.0.1:${port}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: toJsonEvent(viaHttp) });
		assert.equal(res.status, 202);
		const c = new AckClient(`ws://127.0.0.1:${port}/ws`);
		stops.push(async () => c.close());
		await c.opened;
		const viaWs = msg(2, { source: 'ws-agent' });
		assert.deepEqual((await c.send(toJsonEvent(viaWs))).eventIds, [viaWs.id]);
		await out.waitFor(2);
		assert.deepEqual(out.messages.map((m) => m.source).sort(), ['http-agent', 'ws-agent']);
		assert.equal((await upgradeStatus(port, '/nope')).status, 404);
	});

	it('on stop acks the frames already received, then closes connections with 1001', async () => {
		const out = new MemoryOutput({ latencyMs: 50 });
		const input = new WebSocketInput({ address: '127.0.0.1:0', ackAfterDelivery: true });
		const hub = Hub.builder().flushInterval(0).input(input).output(out).build();
		await hub.start();
		const { port } = await input.ready;
		const c = new AckClient(`ws://127.0.0.1:${port}/`);
		await c.opened;
		const acks = [c.send(toJsonEvent(msg(1))), c.send(toJsonEvent(msg(2)))];
		await until(() => out.sendCalls > 0, 'a delivery');
		await hub.stop({ timeoutMs: 5000 });
		const got = await Promise.all(acks);
		assert.deepEqual(
			got.map((a) => a.errors.length),
			[0, 0],
		);
		assert.equal((await c.closed).code, 1001);
		assert.equal(input.stats().connections, 0);
	});

	it('refuses bad options with a ConfigError naming the field', () => {
		assert.throws(() => new WebSocketInput({ address: 'nope' }), (e: unknown) => e instanceof ConfigError && /address/.test(e.field));
		assert.throws(() => new WebSocketInput({ path: 'ws' }), (e: unknown) => e instanceof ConfigError && /path/.test(e.field));
		assert.throws(() => new WebSocketInput({ maxPayload: 0 }), (e: unknown) => e instanceof ConfigError && /maxPayload/.test(e.field));
		assert.throws(() => new WebSocketInput({ auth: [] }), (e: unknown) => e instanceof ConfigError && /auth/.test(e.field));
		assert.throws(() => new WebSocketInput({ server: createServer(), address: '127.0.0.1:1' }), (e: unknown) => e instanceof ConfigError && /address/.test(e.field));
	});
});

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { DownstreamRejectedError, WebSocketOutput } from '../../src/adapters/websocket/index.js';
import { ConfigError, createMessage, OutputError, type Message } from '../../src/index.js';
import { BareServer, until } from './helpers.js';

const msg = (n: number): Message => createMessage({ source: 'edge', messageType: 'reading', payload: `r${n}`, metadata: { n: String(n) } });

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(ack = true): Promise<BareServer> {
	const s = new BareServer(ack);
	await new Promise((r) => s.wss.once('listening', r));
	cleanups.push(() => s.close());
	return s;
}

function output(options: ConstructorParameters<typeof WebSocketOutput>[0]): WebSocketOutput {
	const o = new WebSocketOutput(options);
	cleanups.push(() => o.close());
	return o;
}

describe('WebSocketOutput', () => {
	it('sends a batch as one frame and resolves when the server acked it', async () => {
		const s = await server();
		const out = output({ url: s.url });
		let acked = false;
		s.silent = true;
		const sending = out.send([msg(1), msg(2)]).then(() => (acked = true));
		await until(() => s.frames.length === 1, 'the frame');
		await new Promise((r) => setTimeout(r, 50));
		assert.equal(acked, false, 'not before the ack');
		s.silent = false;
		const [ws] = [...s.wss.clients];
		ws!.send(JSON.stringify({ eventIds: s.messages.map((m) => m.id), errors: [], bufferSize: 0, bufferCapacity: 0 }));
		await sending;
		assert.equal(s.frames[0]!.isBinary, false);
		assert.deepEqual(
			s.messages.map((m) => m.metadata['n']),
			['1', '2'],
		);
	});

	it('fails a send whose ack lists errors with DownstreamRejectedError', async () => {
		const s = await server();
		const out = output({ url: s.url });
		s.nextAck = (ids) => ({ eventIds: ids.slice(1), errors: [{ eventId: ids[0], code: 'OVERFLOW', message: 'buffer full' }], bufferSize: 10, bufferCapacity: 10 });
		await assert.rejects(out.send([msg(1), msg(2)]), (e: unknown) => e instanceof DownstreamRejectedError && e.codes.includes('OVERFLOW') && /1 of 2/.test(e.message));
		await out.send([msg(3)]); // the connection is still good
	});

	it('sends protobuf IngestBatch frames as binary, NDJSON as text', async () => {
		const s = await server();
		await output({ url: s.url, format: 'protobuf', source: 'edge-7' }).send([msg(1)]);
		await output({ url: s.url, format: 'ndjson' }).send([msg(2), msg(3)]);
		assert.deepEqual(
			s.frames.map((f) => f.isBinary),
			[true, false],
		);
		assert.equal(s.frames[1]!.data.toString().split('\n').filter(Boolean).length, 2);
		assert.deepEqual(
			s.messages.map((m) => m.metadata['n']),
			['1', '2', '3'],
		);
	});

	it("with acks: 'flush' resolves once written, for servers that send nothing back", async () => {
		const s = await server(false);
		const out = output({ url: s.url, acks: 'flush' });
		await out.send([msg(1)]);
		await out.send([msg(2)]);
		await s.waitFor(2);
	});

	it('sends the headers on the upgrade request', async () => {
		const s = await server();
		await output({ url: s.url, headers: { authorization: 'Bearer secret' } }).send([msg(1)]);
		assert.equal(s.headers[0]!['authorization'], 'Bearer secret');
	});

	it('fails a send without an ack within timeoutMs and starts a new connection', async () => {
		const s = await server();
		const out = output({ url: s.url, timeoutMs: 200, reconnect: { baseDelayMs: 10 } });
		await out.send([msg(1)]);
		s.silent = true;
		await assert.rejects(out.send([msg(2)]), (e: unknown) => e instanceof OutputError && /no ack within 200 ms/.test(e.message));
		s.silent = false;
		await out.send([msg(3)]);
		assert.equal(s.headers.length, 2, 'a second connection');
	});

	it('fails the sends in flight when the connection drops, reports unhealthy, and reconnects with backoff', async () => {
		const s = await server();
		const out = output({ url: s.url, reconnect: { baseDelayMs: 50, maxDelayMs: 200 } });
		await out.send([msg(1)]);
		assert.equal(out.health(), true);
		s.silent = true;
		const inFlight = out.send([msg(2)]);
		await until(() => s.frames.length === 2, 'the second frame');
		s.dropConnections();
		await assert.rejects(inFlight, /connection .* was lost before the ack/);
		assert.equal(out.health(), false);
		s.silent = false;
		await until(() => out.health(), 'the reconnect');
		await out.send([msg(3)]);
	});

	it('waits for a server that is not up yet, within timeoutMs', async () => {
		const s = await server();
		const { port } = s;
		await s.close();
		const out = output({ url: `ws://127.0.0.1:${port}/`, timeoutMs: 300, reconnect: { baseDelayMs: 20, maxDelayMs: 50 } });
		const started = performance.now();
		await assert.rejects(out.send([msg(1)]), /could not connect .* within 300 ms/);
		assert.ok(performance.now() - started >= 250);
		assert.equal(out.health(), false);
	});

	it('close() is idempotent and fails later sends', async () => {
		const s = await server();
		const out = output({ url: s.url });
		await out.send([msg(1)]);
		await Promise.all([out.close(), out.close()]);
		await out.close();
		assert.equal(out.state, 'closed');
		assert.equal(out.health(), false);
		await assert.rejects(out.send([msg(2)]), /closed/);
	});

	it('treats an answer that is not an ack as a protocol error', async () => {
		const s = await server();
		const out = output({ url: s.url });
		s.nextAck = () => 'hello';
		await assert.rejects(out.send([msg(1)]), /not an ack/);
	});

	it('refuses bad options with a ConfigError naming the field', () => {
		assert.throws(() => new WebSocketOutput({ url: 'http://x' }), (e: unknown) => e instanceof ConfigError && /url/.test(e.field));
		assert.throws(() => new WebSocketOutput({ url: 'nope' }), (e: unknown) => e instanceof ConfigError && /url/.test(e.field));
		assert.throws(() => new WebSocketOutput({ url: 'ws://x', acks: 'maybe' as 'flush' }), (e: unknown) => e instanceof ConfigError && /acks/.test(e.field));
		assert.throws(() => new WebSocketOutput({ url: 'ws://x', format: 'xml' as 'json' }), (e: unknown) => e instanceof ConfigError && /format/.test(e.field));
		assert.throws(
			() => new WebSocketOutput({ url: 'ws://x', reconnect: { baseDelayMs: 100, maxDelayMs: 10 } }),
			(e: unknown) => e instanceof ConfigError && /maxDelayMs/.test(e.field),
		);
	});
});

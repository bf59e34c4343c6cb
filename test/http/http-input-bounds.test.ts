// Every wait of HttpInput is bounded, and so is every request: events per body, refusals per answer,
// bytes read past a refused body. Issue 7, items 14, 16, 17 and 22.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { HttpInput, type HttpInputOptions } from '../../src/adapters/http/index.js';
import { Hub } from '../../src/hub/hub.js';
import { MemoryOutput } from '../../src/testing/index.js';
import { call, FakeSink, postJson, type Reply } from './helpers.js';

interface Harness {
	input: HttpInput;
	sink: FakeSink;
	port: number;
	running: Promise<void>;
	stop(): Promise<void>;
}

async function start(options: HttpInputOptions = {}): Promise<Harness> {
	const input = new HttpInput({ address: '127.0.0.1:0', ...options });
	const sink = new FakeSink();
	const abort = new AbortController();
	const running = input.run(sink, abort.signal);
	const { port } = await input.ready;
	return {
		input,
		sink,
		port,
		running,
		stop: async () => {
			abort.abort();
			await running;
		},
	};
}

/** Rejects with `what` if `promise` takes longer than `ms` (a test must fail, not hang). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms)));
	return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

const events = (n: number, prefix = 'e'): { id: string }[] => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}` }));

describe('HttpInput ackAfterDelivery honours backpressureTimeoutMs', () => {
	it('answers 503 for the requests not admitted within backpressureTimeoutMs and withdraws their events; admitted ones get 200 once delivered', async () => {
		const input = new HttpInput({ address: '127.0.0.1:0', ackAfterDelivery: true, backpressureTimeoutMs: 100 });
		const out = new MemoryOutput({ name: 'out' }).hang();
		const hub = Hub.builder().input(input).bufferCapacity(2).batchSize(1).overflow('block').output(out, { retry: false }).build();
		await hub.start();
		try {
			const { port } = await input.ready;
			const answered: { id: string; reply: Reply }[] = [];
			const requests = events(10, 'r').map((e) => postJson(port, '/events', e).then((reply) => answered.push({ id: e.id, reply })));
			// 3 events get in (one in flight, two buffered); the other 7 requests must be answered at their deadline.
			await within(
				(async () => {
					while (answered.length < 7) await new Promise((resolve) => setTimeout(resolve, 10));
				})(),
				3000,
				'requests waiting for buffer space',
			);
			assert.equal(answered.length, 7);
			for (const { id, reply } of answered) {
				assert.equal(reply.status, 503, reply.text);
				assert.equal(reply.headers['retry-after'], '1');
				assert.deepEqual(reply.json.errors.map((e: { id: string; code: string }) => [e.id, e.code]), [[id, 'overflow']]);
			}
			out.release();
			await within(Promise.all(requests), 3000, 'admitted requests after the output recovered');
			const delivered = answered.filter((a) => a.reply.status === 200).map((a) => a.id);
			assert.equal(delivered.length, 3);
			await out.waitFor(3);
			assert.deepEqual(out.messages.map((m) => m.id).sort(), delivered.sort(), 'withdrawn events are never delivered later');
			assert.equal(hub.stats().dropped.overflow, 7);
		} finally {
			out.release();
			await hub.stop({ timeoutMs: 2000 });
		}
	});

	it('passes a signal to deliverBatch and answers 503 listing the withdrawn events', async () => {
		const h = await start({ ackAfterDelivery: true, backpressureTimeoutMs: 20 });
		h.sink.onDeliver = (ms, options) =>
			new Promise((resolve) =>
				options!.signal!.addEventListener('abort', () =>
					resolve({ delivered: 1, filtered: 0, failed: [{ index: 1, id: ms[1]!.id, reason: 'overflow', error: new Error('gave up') }] }),
				),
			);
		try {
			const r = await within(postJson(h.port, '/events', [{ id: 'in' }, { id: 'out' }]), 3000, 'the request');
			assert.equal(r.status, 503);
			assert.deepEqual(r.json.ids, ['in']);
			assert.deepEqual(r.json.errors.map((e: { id: string; code: string }) => [e.id, e.code]), [['out', 'overflow']]);
		} finally {
			await h.stop();
		}
	});
});

describe('HttpInput maxEventsPerRequest', () => {
	it('refuses a JSON or NDJSON body with more events than maxEventsPerRequest with 413 naming the limit; nothing reaches the hub', async () => {
		const h = await start({ maxEventsPerRequest: 3 });
		try {
			const json = await postJson(h.port, '/events', events(4));
			assert.equal(json.status, 413);
			assert.deepEqual(json.json, {
				error: 'too-many-events',
				message: 'the body holds more than 3 events; send at most 3 per request (maxEventsPerRequest)',
			});
			const ndjson = await call(h.port, 'POST', '/events', '{}\n{}\n\n{}\n{}\n', { 'content-type': 'application/x-ndjson' });
			assert.equal(ndjson.status, 413);
			assert.equal(ndjson.json.error, 'too-many-events');
			assert.equal(h.sink.sent.length, 0);
			assert.equal((await postJson(h.port, '/events', events(3))).status, 202);
		} finally {
			await h.stop();
		}
	});

	it('defaults to 10 000 events per request', async () => {
		const h = await start({ maxBodyBytes: 4 * 1024 * 1024 });
		try {
			assert.equal((await postJson(h.port, '/events', '[' + Array(10_001).fill('{}').join(',') + ']')).status, 413);
			assert.equal((await postJson(h.port, '/events', '[' + Array(10_000).fill('{}').join(',') + ']')).status, 202);
		} finally {
			await h.stop();
		}
	});

	it('rejects a bad maxEventsPerRequest with a ConfigError naming it', () => {
		assert.throws(() => new HttpInput({ maxEventsPerRequest: 0 }), /HttpInput "http"\.maxEventsPerRequest/);
	});
});

describe('HttpInput summarises refusals', () => {
	it('a 207 for 5000 refused events lists the first 100 and counts them all by code', async () => {
		const h = await start();
		h.sink.onSend = (ms) =>
			Promise.resolve({
				accepted: 0,
				filtered: 0,
				dropped: ms.map((m, index) => ({ index, id: m.id, reason: index % 2 === 0 ? ('rejected' as const) : ('unroutable' as const), error: new Error(`no ${index}`) })),
			});
		try {
			const r = await postJson(h.port, '/events', events(5000));
			assert.equal(r.status, 207);
			assert.equal(r.json.accepted, 0);
			assert.equal(r.json.refused, 5000);
			assert.deepEqual(r.json.refusedByCode, { rejected: 2500, unroutable: 2500 });
			assert.equal(r.json.errors.length, 100);
			assert.deepEqual(r.json.errors[0], { index: 0, id: 'e0', code: 'rejected', message: 'no 0' });
			assert.equal(r.json.errors[99].index, 99);
			assert.deepEqual(r.json.ids, []);
			assert.ok(r.text.length < 20_000, `body of ${r.text.length} bytes`);
		} finally {
			await h.stop();
		}
	});

	it('a 503 after delivery failures is summarised the same way', async () => {
		const h = await start({ ackAfterDelivery: true });
		h.sink.onDeliver = (ms) =>
			Promise.resolve({ delivered: 10, filtered: 0, failed: ms.slice(10).map((m, i) => ({ index: i + 10, id: m.id, reason: 'shutdown' as const })) });
		try {
			const r = await postJson(h.port, '/events', events(1000));
			assert.equal(r.status, 503);
			assert.equal(r.json.refused, 990);
			assert.deepEqual(r.json.refusedByCode, { shutdown: 990 });
			assert.equal(r.json.errors.length, 100);
			assert.equal(r.json.errors[0].index, 10);
			assert.deepEqual(r.json.ids, events(10).map((e) => e.id));
		} finally {
			await h.stop();
		}
	});
});

describe('HttpInput shutdown bounds requests in authentication', () => {
	it('stop() while an async auth check is pending: the body read that starts after it is cut, run() returns', async () => {
		let allow!: () => void;
		const checked = new Promise<boolean>((resolve) => (allow = () => resolve(true)));
		const h = await start({ auth: () => checked });
		// Headers only: the client never sends the body it announces.
		const reply = new Promise<number>((resolve, reject) => {
			const req = request({ host: '127.0.0.1', port: h.port, method: 'POST', path: '/events', headers: { 'content-type': 'application/json', 'content-length': '100', authorization: 'Bearer t' }, agent: false });
			req.on('response', (res) => {
				res.resume();
				resolve(res.statusCode ?? 0);
			});
			req.on('error', reject);
			req.flushHeaders();
		});
		while (h.input.stats().requests === 0) await new Promise((resolve) => setImmediate(resolve));
		const stopping = h.stop();
		allow(); // the check passes after the shutdown began
		await within(stopping, 3000, 'run() after stop');
		assert.equal(await within(reply, 1000, 'the reply'), 503);
		assert.equal(h.sink.sent.length, 0);
	});

	it('stop() answers 503 to a request whose auth check never finishes', async () => {
		const h = await start({ auth: () => new Promise<boolean>(() => {}) });
		const reply = postJson(h.port, '/events', {}, { authorization: 'Bearer t' });
		while (h.input.stats().requests === 0) await new Promise((resolve) => setImmediate(resolve));
		await within(h.stop(), 3000, 'run() after stop');
		const r = await within(reply, 1000, 'the reply');
		assert.equal(r.status, 503);
		assert.equal(r.json.error, 'unavailable');
	});
});

/** A client in another process (as in production: in-process clients hide the race) uploading `count` bodies of 5 MiB. */
function uploadFromChild(port: number, count: number, how: 'content-length' | 'chunked' | 'fetch'): Promise<Record<string, number>> {
	const script = `
		import { request } from 'node:http';
		const [port, count, how] = [Number(process.argv[1]), Number(process.argv[2]), process.argv[3]];
		const body = Buffer.alloc(5 * 1024 * 1024, 0x61);
		const url = 'http://127.0.0.1:' + port + '/events';
		const once = () => how === 'fetch'
			? fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } }).then(async (r) => { await r.arrayBuffer(); return String(r.status); }, (e) => String(e.cause?.code ?? e.message))
			: new Promise((resolve) => {
				const headers = { 'content-type': 'application/json' };
				if (how === 'content-length') headers['content-length'] = String(body.length);
				const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/events', headers, agent: false }, (res) => {
					res.resume();
					res.on('end', () => resolve(String(res.statusCode)));
					res.on('error', (e) => resolve('response ' + (e.code ?? e.message)));
				});
				req.on('error', (e) => resolve(e.code ?? e.message));
				req.end(body);
			});
		const counts = {};
		for (let i = 0; i < count; i++) { const r = await once(); counts[r] = (counts[r] ?? 0) + 1; }
		console.log(JSON.stringify(counts));
	`;
	return new Promise((resolve, reject) => {
		execFile(process.execPath, ['--input-type=module', '-e', script, String(port), String(count), how], { timeout: 60_000 }, (error, stdout, stderr) => {
			if (error !== null) reject(new Error(`${error.message}\n${stderr}`));
			else resolve(JSON.parse(stdout) as Record<string, number>);
		});
	});
}

describe('HttpInput answers an over-limit upload with 413, not a reset', () => {
	for (const [how, count] of [
		['content-length', 25],
		['chunked', 15],
		['fetch', 15],
	] as const) {
		it(`every 5 MiB upload (${how}, ${count} times from another process) gets the 413`, async () => {
			const h = await start();
			try {
				assert.deepEqual(await uploadFromChild(h.port, count, how), { '413': count });
				assert.equal(h.sink.sent.length, 0);
			} finally {
				await h.stop();
			}
		});
	}

	it('stop() cuts the draining of a refused upload that stalls', async () => {
		const h = await start({ maxBodyBytes: 1024 });
		let closed = false;
		const status = await new Promise<number>((resolve, reject) => {
			const req = request({ host: '127.0.0.1', port: h.port, method: 'POST', path: '/events', headers: { 'content-type': 'application/json', 'content-length': String(5 << 20) }, agent: false });
			req.on('response', (res) => {
				res.resume();
				resolve(res.statusCode ?? 0);
			});
			req.on('error', reject);
			req.on('close', () => (closed = true));
			req.write('x'.repeat(4096)); // then stalls
		});
		assert.equal(status, 413);
		await within(h.stop(), 2000, 'run() after stop');
		while (!closed) await new Promise((resolve) => setTimeout(resolve, 5));
	});
});

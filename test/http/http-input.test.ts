import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { HttpInput, type HttpInputOptions } from '../../src/adapters/http/index.js';
import { ConfigError } from '../../src/errors.js';
import { call, FakeSink, postJson } from './helpers.js';
import { assertInheritsNothing } from '../support/metadata.js';

interface Harness {
	input: HttpInput;
	sink: FakeSink;
	port: number;
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
		stop: async () => {
			abort.abort();
			await running;
		},
	};
}

const TS = '1764216000123456789';

describe('HttpInput: accepted events (202)', () => {
	let h: Harness;
	before(async () => (h = await start()));
	after(() => h.stop());

	it('takes one JSON event and answers 202 with its id', async () => {
		const r = await postJson(h.port, '/events', { id: 'e1', source: 'web', event_type: 'signup', timestamp_unix_ns: TS, payload: 'aGVq' });
		assert.equal(r.status, 202);
		assert.deepEqual(r.json, { accepted: 1, filtered: 0, refused: 0, refusedByCode: {}, ids: ['e1'], errors: [] });
		const m = h.sink.sent.at(-1)![0]!;
		assert.equal(m.id, 'e1');
		assert.equal(m.source, 'web');
		assert.equal(m.messageType, 'signup');
		assert.equal(m.timestamp, 1764216000123456789n);
		assert.equal(Buffer.from(m.payload).toString(), 'hej');
	});

	it('keeps an int64 timestamp exact when it is sent as a JSON number', async () => {
		const body = `[{"event_type":"a","timestamp_unix_ns":${TS}},{"event_type":"b","timestamp_unix_ns":-9223372036854775808},{"event_type":"c","timestampUnixNs":9223372036854775807}]`;
		const r = await postJson(h.port, '/events', body);
		assert.equal(r.status, 202);
		assert.deepEqual(
			h.sink.sent.at(-1)!.map((m) => m.timestamp),
			[1764216000123456789n, -9223372036854775808n, 9223372036854775807n],
		);
	});

	it('hands a JSON array to the hub as one sendBatch, in order', async () => {
		const before = h.sink.sent.length;
		const events = Array.from({ length: 50 }, (_, i) => ({ event_type: `t${i}`, source: 's' }));
		const r = await postJson(h.port, '/events', events);
		assert.equal(r.status, 202);
		assert.equal(h.sink.sent.length, before + 1);
		assert.deepEqual(
			h.sink.sent.at(-1)!.map((m) => m.messageType),
			events.map((e) => e.event_type),
		);
		assert.equal(r.json.ids.length, 50);
		assert.deepEqual(r.json.ids, h.sink.sent.at(-1)!.map((m) => m.id));
	});

	it('reads NDJSON (blank lines and CRLF allowed) as one batch', async () => {
		const body = `{"event_type":"a","timestamp_unix_ns":${TS}}\r\n\n{"event_type":"b"}\n`;
		const r = await call(h.port, 'POST', '/events', body, { 'content-type': 'application/x-ndjson' });
		assert.equal(r.status, 202);
		assert.deepEqual(h.sink.sent.at(-1)!.map((m) => [m.messageType, m.timestamp === 1764216000123456789n]), [
			['a', true],
			['b', false],
		]);
	});

	it('keeps metadata keys such as __proto__ and constructor as plain data', async () => {
		const r = await postJson(h.port, '/events', '{"event_type":"x","metadata":{"__proto__":"p","constructor":"c","toString":"t"}}');
		assert.equal(r.status, 202);
		const meta = h.sink.sent.at(-1)![0]!.metadata;
		assertInheritsNothing(meta);
		assert.deepEqual(Object.keys(meta).sort(), ['__proto__', 'constructor', 'toString']);
		assert.equal(meta['__proto__'], 'p');
		assert.equal(({} as Record<string, unknown>)['p'], undefined, 'no prototype pollution');
	});

	it('fills defaults: source from the request, type "unknown", generated id and timestamp', async () => {
		const r = await postJson(h.port, '/events?source=from-query', [{}, { source: 'own' }]);
		assert.equal(r.status, 202);
		const [a, b] = h.sink.sent.at(-1)!;
		assert.equal(a!.source, 'from-query');
		assert.equal(a!.messageType, 'unknown');
		assert.match(a!.id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
		assert.ok(a!.timestamp > 0n);
		assert.equal(b!.source, 'own');
		const byHeader = await postJson(h.port, '/events', {}, { 'x-polku-source': 'from-header' });
		assert.equal(byHeader.status, 202);
		assert.equal(h.sink.sent.at(-1)![0]!.source, 'from-header');
		await postJson(h.port, '/events', {});
		assert.equal(h.sink.sent.at(-1)![0]!.source, 'http', 'the input name is the last fallback');
	});

	it('accepts camelCase fields, severity / outcome, route_to and payload encodings', async () => {
		const r = await postJson(h.port, '/events', [
			{ messageType: 'a', routeTo: ['x', 'y'], severity: 'error', outcome: 2 },
			{ event_type: 'b', route_to: ['z'], severity: 'SEVERITY_CRITICAL', payload: 'hej', payload_encoding: 'utf8' },
			{ event_type: 'c', payload: { n: 1 } },
		]);
		assert.equal(r.status, 202);
		const [a, b, c] = h.sink.sent.at(-1)!;
		assert.deepEqual(a!.routeTo, ['x', 'y']);
		assert.deepEqual({ ...a!.metadata }, { 'polku.severity': '4', 'polku.outcome': '2' });
		assert.deepEqual({ ...b!.metadata }, { 'polku.severity': '5' });
		assert.equal(Buffer.from(b!.payload).toString(), 'hej');
		assert.equal(Buffer.from(c!.payload).toString(), '{"n":1}');
	});

	it('takes a raw body with source, type, id, route and metadata from headers', async () => {
		const r = await call(h.port, 'POST', '/events', Buffer.from([0, 1, 2, 255]), {
			'content-type': 'application/octet-stream',
			'x-polku-source': 'sensor',
			'x-polku-type': 'reading',
			'x-polku-id': 'raw-1',
			'x-polku-route': 'a, b',
			'x-polku-meta-Unit': 'celsius',
		});
		assert.equal(r.status, 202);
		assert.deepEqual(r.json.ids, ['raw-1']);
		const m = h.sink.sent.at(-1)![0]!;
		assert.deepEqual([m.source, m.messageType, m.id], ['sensor', 'reading', 'raw-1']);
		assert.deepEqual(m.routeTo, ['a', 'b']);
		assert.deepEqual({ ...m.metadata }, { unit: 'celsius', 'polku.content_type': 'application/octet-stream' });
		assert.deepEqual([...m.payload], [0, 1, 2, 255]);
	});

	it('takes any allowed body on /events/:source/:type as one raw payload (webhooks)', async () => {
		const body = '{"action":"opened","number":7}';
		const r = await postJson(h.port, '/events/github/pull_request?route=audit', body);
		assert.equal(r.status, 202);
		const m = h.sink.sent.at(-1)![0]!;
		assert.deepEqual([m.source, m.messageType], ['github', 'pull_request']);
		assert.deepEqual(m.routeTo, ['audit']);
		assert.equal(Buffer.from(m.payload).toString(), body);
		assert.equal(m.metadata['polku.content_type'], 'application/json');
		const typeFromQuery = await call(h.port, 'POST', '/events/stripe%2Feu?type=charge', 'x', { 'content-type': 'text/plain' });
		assert.equal(typeFromQuery.status, 202);
		assert.deepEqual([h.sink.sent.at(-1)![0]!.source, h.sink.sent.at(-1)![0]!.messageType], ['stripe/eu', 'charge']);
		const untyped = await call(h.port, 'POST', '/events/app', 'x');
		assert.equal(untyped.status, 202, 'a raw route without content type is application/octet-stream');
		assert.deepEqual([h.sink.sent.at(-1)![0]!.source, h.sink.sent.at(-1)![0]!.messageType], ['app', 'unknown']);
	});

	it('answers an empty array with 202 and no events', async () => {
		const r = await postJson(h.port, '/events', []);
		assert.equal(r.status, 202);
		assert.deepEqual(r.json, { accepted: 0, filtered: 0, refused: 0, refusedByCode: {}, ids: [], errors: [] });
	});

	it('reports health with the buffer', async () => {
		h.sink.bufferSize = 3;
		const r = await call(h.port, 'GET', '/health');
		assert.equal(r.status, 200);
		assert.deepEqual(r.json, { healthy: true, bufferSize: 3, bufferCapacity: 100 });
		const head = await call(h.port, 'HEAD', '/health');
		assert.equal(head.status, 200);
		assert.equal(head.text, '');
	});
});

describe('HttpInput: malformed input (400) names the problem', () => {
	let h: Harness;
	before(async () => (h = await start()));
	after(() => h.stop());

	const cases: [string, string, Record<string, unknown>][] = [
		['invalid JSON', '{"event_type":', { error: 'invalid-json' }],
		['a JSON scalar', '42', { error: 'invalid-event', field: 'body' }],
		['a non-object in an array', '[{}, 7]', { error: 'invalid-event', field: '[1]', index: 1 }],
		['a non-string metadata value', '[{}, {}, {"metadata":{"region":5}}]', { error: 'invalid-event', field: '[2].metadata.region', index: 2 }],
		['metadata that is an array', '{"metadata":["a"]}', { error: 'invalid-event', field: 'metadata' }],
		['a bad base64 payload', '{"payload":"not base64!"}', { error: 'invalid-event', field: 'payload' }],
		['a timestamp beyond int64', '{"timestamp_unix_ns":"9223372036854775808"}', { error: 'invalid-event', field: 'timestamp_unix_ns' }],
		['a fractional timestamp', '{"timestamp_unix_ns":1.5}', { error: 'invalid-event', field: 'timestamp_unix_ns' }],
		['an unsafe float timestamp', '{"timestamp_unix_ns":1.7e18}', { error: 'invalid-event', field: 'timestamp_unix_ns' }],
		['a non-string route entry', '{"route_to":["a", 1]}', { error: 'invalid-event', field: 'route_to[1]' }],
		['an unknown severity', '{"severity":"loud"}', { error: 'invalid-event', field: 'severity' }],
		['an empty id', '{"id":""}', { error: 'invalid-event', field: 'id' }],
		['a numeric source', '{"source":1}', { error: 'invalid-event', field: 'source' }],
		['an unknown payload encoding', '{"payload":"x","payload_encoding":"hex"}', { error: 'invalid-event', field: 'payload_encoding' }],
		['a JSON payload nested 5000 deep', `[{}, {"payload":${'['.repeat(5000)}${']'.repeat(5000)}}]`, { error: 'invalid-event', field: '[1].payload', index: 1, message: '[1].payload: is nested deeper than 256 levels' }],
	];
	for (const [what, body, expected] of cases) {
		it(`rejects ${what}`, async () => {
			const before = h.sink.sent.length;
			const r = await postJson(h.port, '/events', body);
			assert.equal(r.status, 400);
			for (const [k, v] of Object.entries(expected)) assert.deepEqual(r.json[k], v, `${k} in ${r.text}`);
			assert.equal(typeof r.json.message, 'string');
			assert.equal(h.sink.sent.length, before, 'nothing of a bad request is sent');
		});
	}

	it('names the NDJSON line', async () => {
		const bad = await call(h.port, 'POST', '/events', '{"event_type":"a"}\n\n{"event_type":\n', { 'content-type': 'application/x-ndjson' });
		assert.equal(bad.status, 400);
		assert.equal(bad.json.error, 'invalid-json');
		assert.equal(bad.json.line, 3);
		assert.match(bad.json.message, /^line 3: /);
		const wrong = await call(h.port, 'POST', '/events', '{}\n{}\n{"metadata":{"k":null}}', { 'content-type': 'application/x-ndjson' });
		assert.equal(wrong.status, 400);
		assert.deepEqual([wrong.json.line, wrong.json.field, wrong.json.index], [3, 'metadata.k', 2]);
	});

	it('rejects bytes that are not UTF-8', async () => {
		const r = await call(h.port, 'POST', '/events', Buffer.from([0x7b, 0xff, 0x7d]), { 'content-type': 'application/json' });
		assert.equal(r.status, 400);
		assert.equal(r.json.error, 'invalid-encoding');
	});

	it('rejects a path with broken percent-encoding', async () => {
		const r = await call(h.port, 'POST', '/events/%E0%A4%A', 'x', { 'content-type': 'text/plain' });
		assert.equal(r.status, 400);
		assert.equal(r.json.error, 'invalid-path');
	});
});

describe('HttpInput: routes, methods, media types, sizes', () => {
	let h: Harness;
	before(async () => (h = await start({ path: '/ingest', maxBodyBytes: 1024, rawContentTypes: ['text/*', 'application/protobuf'] })));
	after(() => h.stop());

	it('404s unknown routes and paths outside the prefix', async () => {
		for (const path of ['/events', '/ingest/nope', '/ingest/events/a/b/c', '/ingest/events//x', '/']) {
			const r = await call(h.port, 'POST', path, '{}', { 'content-type': 'application/json' });
			assert.equal(r.status, 404, path);
			assert.equal(r.json.error, 'not-found');
		}
	});

	it('405s wrong methods with Allow', async () => {
		const get = await call(h.port, 'GET', '/ingest/events');
		assert.equal(get.status, 405);
		assert.equal(get.headers.allow, 'POST');
		const post = await call(h.port, 'POST', '/ingest/health', '{}');
		assert.equal(post.status, 405);
		assert.equal(post.headers.allow, 'GET, HEAD');
	});

	it('415s a missing or unsupported content type, and honours rawContentTypes', async () => {
		const none = await call(h.port, 'POST', '/ingest/events', '{}');
		assert.equal(none.status, 415);
		assert.equal(none.json.error, 'unsupported-media-type');
		const xml = await call(h.port, 'POST', '/ingest/events', '<a/>', { 'content-type': 'application/xml' });
		assert.equal(xml.status, 415);
		assert.match(xml.headers['accept-post'] as string, /application\/json/);
		const octet = await call(h.port, 'POST', '/ingest/events', 'x', { 'content-type': 'application/octet-stream' });
		assert.equal(octet.status, 415, 'octet-stream is not in this input\'s raw list');
		const csv = await call(h.port, 'POST', '/ingest/events', 'a,b', { 'content-type': 'text/csv; charset=utf-8' });
		assert.equal(csv.status, 202);
		const proto = await call(h.port, 'POST', '/ingest/events/app/t', 'x', { 'content-type': 'application/protobuf' });
		assert.equal(proto.status, 202);
		const rawXml = await call(h.port, 'POST', '/ingest/events/app/t', '<a/>', { 'content-type': 'application/xml' });
		assert.equal(rawXml.status, 415);
		const untyped = await call(h.port, 'POST', '/ingest/events/app/t', 'x');
		assert.equal(untyped.status, 415, 'a raw route without content type is octet-stream, not allowed here');
	});

	it('413s a declared Content-Length over the limit without reading it', async () => {
		const before = h.sink.sent.length;
		const r = await call(h.port, 'POST', '/ingest/events', 'x'.repeat(2000), { 'content-type': 'application/json' });
		assert.equal(r.status, 413);
		assert.equal(r.json.error, 'payload-too-large');
		assert.equal(r.headers.connection, 'close');
		assert.equal(h.sink.sent.length, before);
	});

	it('413s a chunked body as soon as it passes the limit, before the client finished sending', async () => {
		const status = await new Promise<number>((resolve, reject) => {
			const req = request({ host: '127.0.0.1', port: h.port, method: 'POST', path: '/ingest/events', headers: { 'content-type': 'application/json' }, agent: false });
			req.on('response', (res) => {
				res.resume();
				resolve(res.statusCode ?? 0);
				req.destroy();
			});
			req.on('error', (error) => reject(error));
			req.write('['); // chunked: no Content-Length
			req.write(`"${'x'.repeat(1500)}"`); // past the limit; the request is never ended
		});
		assert.equal(status, 413);
	});

	it('accepts a body of exactly the limit', async () => {
		const body = JSON.stringify({ event_type: 'x', payload: '' }).padEnd(1024, ' ');
		const r = await call(h.port, 'POST', '/ingest/events', body, { 'content-type': 'application/json' });
		assert.equal(r.status, 202);
	});
});

describe('HttpInput: authentication (401)', () => {
	it('requires a valid bearer token on events but not on health', async () => {
		const h = await start({ auth: ['t1', 't2'] });
		try {
			const none = await postJson(h.port, '/events', {});
			assert.equal(none.status, 401);
			assert.equal(none.headers['www-authenticate'], 'Bearer realm="polku"');
			const wrong = await postJson(h.port, '/events', {}, { authorization: 'Bearer nope' });
			assert.equal(wrong.status, 401);
			assert.match(wrong.headers['www-authenticate'] as string, /error="invalid_token"/);
			const basic = await postJson(h.port, '/events', {}, { authorization: 'Basic dDE6' });
			assert.equal(basic.status, 401);
			assert.equal((await postJson(h.port, '/events', {}, { authorization: 'Bearer t2' })).status, 202);
			assert.equal((await call(h.port, 'GET', '/health')).status, 200);
			assert.equal(h.sink.sent.length, 1);
		} finally {
			await h.stop();
		}
	});

	it('uses an async verifier, and 500s (not crashes) when it throws', async () => {
		const h = await start({ auth: async (token) => (token === 'boom' ? Promise.reject(new Error('db down')) : token === 'ok') });
		try {
			assert.equal((await postJson(h.port, '/events', {}, { authorization: 'Bearer ok' })).status, 202);
			assert.equal((await postJson(h.port, '/events', {}, { authorization: 'Bearer no' })).status, 401);
			assert.equal((await postJson(h.port, '/events', {}, { authorization: 'Bearer boom' })).status, 500);
		} finally {
			await h.stop();
		}
	});

	it('checks the HMAC-SHA256 webhook signature of the raw body', async () => {
		const h = await start({ webhookSecret: ['old-secret', 'new-secret'] });
		const body = '{"action":"push"}';
		const sign = (secret: string, text = body): string => `sha256=${createHmac('sha256', secret).update(text).digest('hex')}`;
		try {
			const missing = await postJson(h.port, '/events/github/push', body);
			assert.equal(missing.status, 401);
			assert.equal(missing.json.error, 'invalid-signature');
			assert.ok(missing.headers['www-authenticate']);
			const bad = await postJson(h.port, '/events/github/push', body, { 'x-hub-signature-256': sign('wrong') });
			assert.equal(bad.status, 401);
			const tampered = await postJson(h.port, '/events/github/push', body, { 'x-hub-signature-256': sign('new-secret', `${body} `) });
			assert.equal(tampered.status, 401);
			const garbage = await postJson(h.port, '/events/github/push', body, { 'x-hub-signature-256': 'sha256=zz' });
			assert.equal(garbage.status, 401);
			assert.equal(h.sink.sent.length, 0);
			const good = await postJson(h.port, '/events/github/push', body, { 'x-hub-signature-256': sign('new-secret') });
			assert.equal(good.status, 202);
			const rotated = await postJson(h.port, '/events/github/push', body, { 'X-Hub-Signature-256': sign('old-secret').slice(7) });
			assert.equal(rotated.status, 202, 'bare hex and the old secret are accepted');
		} finally {
			await h.stop();
		}
	});

	it('reads the signature from a configured header', async () => {
		const h = await start({ webhookSecret: 's', signatureHeader: 'X-Signature' });
		try {
			const body = '{}';
			const sig = createHmac('sha256', 's').update(body).digest('hex');
			assert.equal((await postJson(h.port, '/events', body, { 'x-hub-signature-256': sig })).status, 401);
			assert.equal((await postJson(h.port, '/events', body, { 'x-signature': sig })).status, 202);
		} finally {
			await h.stop();
		}
	});
});

describe('HttpInput: hub outcomes become statuses', () => {
	let h: Harness;
	before(async () => (h = await start({ retryAfterSeconds: 3 })));
	after(() => h.stop());

	it('207 lists the events a middleware rejected; ids hold only the others', async () => {
		h.sink.onSend = (ms) =>
			Promise.resolve({ accepted: 1, filtered: 1, dropped: [{ index: 2, id: ms[2]!.id, reason: 'rejected', error: new Error('rejected by middleware "auth" (unauthorized)') }] });
		const r = await postJson(h.port, '/events', [{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
		assert.equal(r.status, 207);
		assert.deepEqual(r.json, {
			accepted: 1,
			filtered: 1,
			refused: 1,
			refusedByCode: { rejected: 1 },
			ids: ['a', 'b'],
			errors: [{ index: 2, id: 'c', code: 'rejected', message: 'rejected by middleware "auth" (unauthorized)' }],
		});
	});

	it('429 with Retry-After when events were dropped for overflow', async () => {
		h.sink.onSend = (ms) => Promise.resolve({ accepted: 1, filtered: 0, dropped: [{ index: 1, id: ms[1]!.id, reason: 'overflow' }] });
		const r = await postJson(h.port, '/events', [{ id: 'a' }, { id: 'b' }]);
		assert.equal(r.status, 429);
		assert.equal(r.headers['retry-after'], '3');
		assert.deepEqual(r.json.ids, ['a']);
		assert.deepEqual(r.json.errors, [{ index: 1, id: 'b', code: 'overflow', message: 'the buffer is full' }]);
	});

	it('503 with Retry-After when events were dropped at shutdown', async () => {
		h.sink.onSend = (ms) => Promise.resolve({ accepted: 0, filtered: 0, dropped: [{ index: 0, id: ms[0]!.id, reason: 'shutdown' }] });
		const r = await postJson(h.port, '/events', { id: 'a' });
		assert.equal(r.status, 503);
		assert.equal(r.headers['retry-after'], '3');
		assert.deepEqual(r.json.errors[0].code, 'shutdown');
	});

	it('500s (and keeps serving) when the sink rejects', async () => {
		h.sink.onSend = () => Promise.reject(new Error('misuse'));
		assert.equal((await postJson(h.port, '/events', {})).status, 500);
		h.sink.onSend = (ms) => Promise.resolve({ accepted: ms.length, filtered: 0, dropped: [] });
		assert.equal((await postJson(h.port, '/events', {})).status, 202);
	});
});

describe('HttpInput: backpressure and shutdown (503)', () => {
	it('503s with Retry-After when the batch is not admitted within backpressureTimeoutMs, withdrawing what still waits', async () => {
		const h = await start({ backpressureTimeoutMs: 20 });
		let withdrawn = false;
		// Like the hub under `block`: the first event got in, the second waits until the signal aborts.
		h.sink.onSend = (ms, options) =>
			new Promise((resolve) =>
				options!.signal!.addEventListener('abort', () => {
					withdrawn = true;
					resolve({ accepted: 1, filtered: 0, dropped: [{ index: 1, id: ms[1]!.id, reason: 'overflow', error: new Error('gave up') }] });
				}),
			);
		try {
			const r = await postJson(h.port, '/events', [{ id: 'in' }, { id: 'out' }]);
			assert.equal(withdrawn, true);
			assert.equal(r.status, 503);
			assert.equal(r.headers['retry-after'], '1');
			assert.deepEqual(r.json.ids, ['in']);
			assert.deepEqual(r.json.errors.map((e: { id: string; code: string }) => [e.id, e.code]), [['out', 'overflow']]);
		} finally {
			await h.stop();
		}
	});

	it('503s requests whose body is still arriving when the input stops, then closes', async () => {
		const h = await start();
		const reply = new Promise<number>((resolve, reject) => {
			const req = request({ host: '127.0.0.1', port: h.port, method: 'POST', path: '/events', headers: { 'content-type': 'application/json' }, agent: false });
			req.on('response', (res) => {
				res.resume();
				resolve(res.statusCode ?? 0);
				req.destroy();
			});
			req.on('error', reject);
			req.write('[{}'); // never finished
			req.flushHeaders();
		});
		while (h.input.stats().requests === 0) await new Promise((resolve) => setImmediate(resolve));
		await h.stop();
		assert.equal(await reply, 503);
		assert.equal(h.sink.sent.length, 0);
	});

	it('waits for in-flight batches before run() returns', async () => {
		const h = await start();
		let admit!: () => void;
		h.sink.onSend = (ms) => new Promise((resolve) => (admit = () => resolve({ accepted: ms.length, filtered: 0, dropped: [] })));
		const reply = postJson(h.port, '/events', {});
		while (h.sink.sent.length === 0) await new Promise((resolve) => setImmediate(resolve));
		let stopped = false;
		const stopping = h.stop().then(() => (stopped = true));
		await new Promise((resolve) => setImmediate(resolve));
		assert.equal(stopped, false);
		admit();
		assert.equal((await reply).status, 202);
		await stopping;
	});

	it('on your own server: 503 before run() and after stop, with the server still up', async () => {
		const server = createServer();
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		const port = (server.address() as AddressInfo).port;
		const input = new HttpInput({ server });
		const sink = new FakeSink();
		const abort = new AbortController();
		try {
			const running = input.run(sink, abort.signal);
			assert.deepEqual(await input.ready, { port });
			assert.equal((await postJson(port, '/events', {})).status, 202);
			abort.abort();
			await running;
			const after = await postJson(port, '/events', {});
			assert.equal(after.status, 503);
			assert.match(after.json.message, /shutting down/);
			const health = await call(port, 'GET', '/health');
			assert.equal(health.status, 503);
			assert.equal(health.json.healthy, false);
		} finally {
			server.close();
		}
	});

	it('the handler can be mounted in a router; before run() it answers 503', async () => {
		const input = new HttpInput({ path: '/polku/' });
		const server = createServer((req, res) => {
			if (req.url?.startsWith('/polku/')) input.handler(req, res);
			else res.writeHead(200).end('app');
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		const port = (server.address() as AddressInfo).port;
		try {
			assert.equal((await postJson(port, '/polku/events', {})).status, 503);
			assert.equal((await call(port, 'GET', '/other')).text, 'app');
		} finally {
			server.close();
		}
	});
});

describe('HttpInput: ackAfterDelivery', () => {
	it('answers 200 after delivery, 207 naming the output that failed', async () => {
		const h = await start({ ackAfterDelivery: true });
		try {
			assert.equal((await postJson(h.port, '/events', [{}, {}])).status, 200);
			h.sink.onDeliver = (ms) =>
				Promise.resolve({
					delivered: 1,
					filtered: 0,
					failed: [{ index: 1, id: ms[1]!.id, reason: 'dead-lettered', output: 'warehouse', error: new Error('503 from warehouse') }],
				});
			const r = await postJson(h.port, '/events', [{ id: 'a' }, { id: 'b' }]);
			assert.equal(r.status, 207);
			assert.deepEqual(r.json.errors, [{ index: 1, id: 'b', code: 'dead-lettered', message: '503 from warehouse', output: 'warehouse' }]);
			assert.deepEqual(r.json.ids, ['a']);
		} finally {
			await h.stop();
		}
	});
});

describe('HttpInput: options and lifecycle', () => {
	it('rejects bad options with a ConfigError naming the option', () => {
		const bad: [HttpInputOptions, RegExp][] = [
			[{ address: 'nope' }, /address/],
			[{ address: '1.2.3.4:70000' }, /address/],
			[{ path: 'events' }, /path/],
			[{ maxBodyBytes: 0 }, /maxBodyBytes/],
			[{ auth: [] }, /auth/],
			[{ auth: '' }, /auth/],
			[{ webhookSecret: '' }, /webhookSecret/],
			[{ webhookSecret: 's', signatureHeader: 'bad header' }, /signatureHeader/],
			[{ backpressureTimeoutMs: -1 }, /backpressureTimeoutMs/],
			[{ rawContentTypes: ['plain'] }, /rawContentTypes/],
			[{ server: createServer(), address: '127.0.0.1:0' }, /address/],
			[{ ackAfterDelivery: 'yes' as unknown as boolean }, /ackAfterDelivery/],
		];
		for (const [options, field] of bad) {
			assert.throws(
				() => new HttpInput(options),
				(error: unknown) => error instanceof ConfigError && field.test(error.field),
				JSON.stringify(options),
			);
		}
	});

	it('rejects run() and ready when the port is taken, and can run again', async () => {
		const h = await start();
		const clash = new HttpInput({ address: `127.0.0.1:${h.port}` });
		const ready = clash.ready;
		try {
			await assert.rejects(clash.run(new FakeSink(), new AbortController().signal), /EADDRINUSE/);
			await assert.rejects(ready, /EADDRINUSE/);
		} finally {
			await h.stop();
		}
		const abort = new AbortController();
		const running = clash.run(new FakeSink(), abort.signal);
		assert.equal((await clash.ready).port, h.port);
		abort.abort();
		await running;
	});

	it('counts requests, events, bytes and responses', async () => {
		const h = await start();
		try {
			await postJson(h.port, '/events', [{}, {}]);
			await postJson(h.port, '/events', 'nope');
			await call(h.port, 'GET', '/missing');
			const s = h.input.stats();
			assert.equal(s.requests, 3);
			assert.equal(s.messages, 2);
			assert.equal(s.bodyBytes, '[{},{}]'.length + 'nope'.length);
			assert.deepEqual(s.responses, { 202: 1, 400: 1, 404: 1 });
		} finally {
			await h.stop();
		}
	});
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { HttpInput } from '../../src/adapters/http/index.js';
import { JsonEventError, parseJsonEvents } from '../../src/json-event/body.js';
import { call, FakeSink } from './helpers.js';

const eventish = fc.record(
	{
		id: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
		source: fc.oneof(fc.string(), fc.jsonValue()),
		event_type: fc.oneof(fc.string(), fc.jsonValue()),
		timestamp_unix_ns: fc.oneof(fc.bigInt().map(String), fc.bigInt().map(Number), fc.string(), fc.double()),
		metadata: fc.oneof(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.jsonValue())), fc.jsonValue()),
		payload: fc.oneof(fc.base64String(), fc.string(), fc.jsonValue()),
		payload_encoding: fc.constantFrom('base64', 'utf8', 'json', 'hex', 7),
		route_to: fc.oneof(fc.array(fc.string()), fc.jsonValue()),
		severity: fc.oneof(fc.integer({ min: -1, max: 7 }), fc.string()),
		outcome: fc.oneof(fc.integer({ min: -1, max: 6 }), fc.constantFrom('success', 'OUTCOME_TIMEOUT', 'x')),
	},
	{ requiredKeys: [] },
);

/** Bodies: event-shaped JSON (single, array, NDJSON), its mutations, random text and bytes. */
const body = fc.oneof(
	eventish.map((e) => JSON.stringify(e)),
	fc.array(eventish, { maxLength: 5 }).map((es) => JSON.stringify(es)),
	fc.array(eventish, { maxLength: 5 }).map((es) => es.map((e) => JSON.stringify(e)).join('\n')),
	fc.tuple(fc.array(eventish, { maxLength: 3 }), fc.nat(), fc.string({ maxLength: 3 })).map(([es, at, junk]) => {
		const text = JSON.stringify(es);
		const i = at % (text.length + 1);
		return text.slice(0, i) + junk + text.slice(i + 1);
	}),
	fc.string(),
	fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
);

describe('HttpInput never crashes on any input (fuzz)', () => {
	const input = new HttpInput({ address: '127.0.0.1:0', maxBodyBytes: 4096 });
	const sink = new FakeSink();
	const abort = new AbortController();
	let running: Promise<void>;
	let port: number;
	before(async () => {
		running = input.run(sink, abort.signal);
		({ port } = await input.ready);
	});
	after(async () => {
		abort.abort();
		await running;
	});

	it('answers every request with a documented status and a JSON body', async () => {
		await fc.assert(
			fc.asyncProperty(
				body,
				fc.constantFrom('application/json', 'application/x-ndjson', 'text/plain', 'application/octet-stream', 'application/xml', 'application/json; charset=utf-8', ''),
				fc.constantFrom('/events', '/events/src', '/events/src/type?id=x&route=a,b', '/events?source=q', '/nope', '/events/%zz'),
				async (payload, type, path) => {
					const r = await call(port, 'POST', path, payload, type === '' ? {} : { 'content-type': type });
					assert.ok([202, 400, 404, 413, 415].includes(r.status), `${r.status} ${r.text}`);
					assert.equal(typeof r.json, 'object', r.text);
					if (r.status === 400) assert.equal(typeof r.json.message, 'string');
				},
			),
			{ numRuns: 300 },
		);
		assert.equal((await call(port, 'GET', '/health')).status, 200);
	});

	it('parseJsonEvents returns messages or throws a JsonEventError, nothing else', () => {
		fc.assert(
			fc.property(body, fc.constantFrom('json', 'ndjson') as fc.Arbitrary<'json' | 'ndjson'>, (payload, kind) => {
				try {
					const messages = parseJsonEvents(Buffer.from(payload), kind, { source: 's' });
					for (const m of messages) assert.equal(typeof m.timestamp, 'bigint');
				} catch (error) {
					assert.ok(error instanceof JsonEventError, String(error));
				}
			}),
			{ numRuns: 3000 },
		);
	});
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeJsonBody, decodeJsonLines } from '../../src/adapters/grpc/codec/json-events.js';
import { decodeRaw } from '../../src/adapters/grpc/codec/raw-payload.js';
import { assertInheritsNothing } from '../support/metadata.js';

describe('decodeJsonBody', () => {
	it('decodes one object with every field, timestamps above 2^53 exact', () => {
		const body = '{"id":"a","timestamp_unix_ns":1764216000123456789,"source":"s","event_type":"t","metadata":{"k":"v"},"payload":"aGVsbG8=","route_to":["o"],"severity":3,"outcome":"OUTCOME_FAILURE"}';
		const m = decodeJsonBody(body, 'req').messages![0]!;
		assert.equal(m.id, 'a');
		assert.equal(m.timestamp, 1764216000123456789n);
		assert.equal(m.source, 's');
		assert.equal(m.messageType, 't');
		assert.deepEqual({ ...m.metadata }, { k: 'v', 'polku.severity': '3', 'polku.outcome': '2' });
		assert.equal(Buffer.from(m.payload).toString(), 'hello');
		assert.deepEqual(m.routeTo, ['o']);
	});

	it('takes an array, string timestamps, camelCase keys, and fills defaults', () => {
		const { messages } = decodeJsonBody('[{"timestampUnixNs":"-5","eventType":"x","routeTo":[]},{}]', 'req');
		assert.equal(messages![0]!.timestamp, -5n);
		assert.equal(messages![0]!.messageType, 'x');
		assert.equal(messages![1]!.source, 'req');
		assert.equal(messages![1]!.messageType, 'unknown');
		assert.match(messages![1]!.id, /^[0-9A-Z]{26}$/);
		assert.ok(messages![1]!.timestamp > 0n);
	});

	it('keeps __proto__ metadata keys as data', () => {
		const m = decodeJsonBody('{"metadata":{"__proto__":"p","constructor":"c"}}', '').messages![0]!;
		assertInheritsNothing(m.metadata);
		assert.deepEqual(Object.keys(m.metadata).sort(), ['__proto__', 'constructor']);
	});

	it('names the event and field that is wrong', () => {
		const cases: [string, RegExp][] = [
			['{"id":5}', /^id: must be a non-empty string, got number$/],
			['[{},{"timestamp_unix_ns":1.5}]', /^\[1\]\.timestamp_unix_ns: must be an integer/],
			['{"timestamp_unix_ns":"soon"}', /^timestamp_unix_ns: must be an integer of Unix nanoseconds/],
			['{"timestamp_unix_ns":"99999999999999999999"}', /^timestamp_unix_ns: must be an integer/],
			['{"metadata":{"n":1}}', /^metadata\.n: must be a string, got number/],
			['{"payload":"not base64!"}', /^payload: must be base64/],
			['{"route_to":"o"}', /^route_to: must be an array of strings/],
			['{"severity":"LOUD"}', /^severity: must be 0-5 or one of/],
			['[1]', /^\[0\]: must be an event object/],
			['"text"', /body must be an event object or an array of event objects/],
			['{"a":', /body is not valid JSON/],
			['  ', /body is empty/],
		];
		for (const [body, expected] of cases) {
			const { failures } = decodeJsonBody(body, '');
			assert.ok(failures !== undefined, body);
			assert.match(failures[0]!.message, expected, body);
		}
		assert.equal(decodeJsonBody('{"id":"bad","metadata":[]}', '').failures![0]!.eventId, 'bad');
	});

	it('reads a multi-line body that is not one JSON value as NDJSON', () => {
		assert.deepEqual(decodeJsonBody('{"id":"a"}\n{"id":"b"}\n', '').messages!.map((m) => m.id), ['a', 'b']);
	});

	it('never throws on arbitrary text (fuzz)', () => {
		fc.assert(
			fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
				const r = decodeJsonBody(text, 's');
				assert.ok(r.messages !== undefined || r.failures.length > 0);
			}),
			{ numRuns: 2000 },
		);
	});
});

describe('decodeJsonLines', () => {
	it('decodes one object per line, skipping blank lines and \\r', () => {
		const { messages } = decodeJsonLines('{"id":"a"}\r\n\n  \n{"id":"b","timestamp_unix_ns":9223372036854775807}\n', '');
		assert.deepEqual(messages!.map((m) => [m.id, m.timestamp]), [['a', messages![0]!.timestamp], ['b', 9223372036854775807n]]);
	});

	it('reports the first bad line by number, and nothing of the body is sent', () => {
		const { failures, messages } = decodeJsonLines('{"id":"a"}\nnope\n{"id":7}\n', '');
		assert.equal(messages, undefined);
		assert.deepEqual(failures!.map((f) => f.message.split(':')[0]), ['line 2']);
		assert.match(decodeJsonLines('{"id":"a"}\n{"id":7}\n', '').failures![0]!.message, /^line 2: id: must be a non-empty string/);
	});
});

describe('decodeRaw', () => {
	it('dispatches by format, case-insensitively, and rejects unknown or missing formats', () => {
		const body = Buffer.from('{"id":"a"}');
		for (const format of ['json', 'JSON', 'ndjson', 'json-lines', 'jsonl']) assert.equal(decodeRaw(body, format, '', 'event').messages![0]!.id, 'a');
		assert.match(decodeRaw(body, 'xml', '', 'event').failures![0]!.message, /unknown raw payload format "xml"/);
		assert.match(decodeRaw(body, '', '', 'event').failures![0]!.message, /has no format/);
		assert.match(decodeRaw(Buffer.from([0xff, 0xff]), 'protobuf', '', 'event-payload').failures![0]!.message, /not an EventPayload/);
	});
});

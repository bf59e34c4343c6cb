import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromJsonEvent, JsonEventError, MAX_PAYLOAD_DEPTH, parseJsonEvents, toJsonEvent } from '../../src/index.js';
import { MessageValidationError } from '../../src/errors.js';
import { createMessage } from '../../src/message/message.js';

const text = (payload: Uint8Array): string => Buffer.from(payload).toString('utf8');
const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

describe('parseJsonEvents: payload_encoding "json" keeps the payload text exactly', () => {
	it('keeps big integers, 1.0, duplicate keys and spacing as written', () => {
		const payload = '{"n": 12345678901234567891, "f":1.0,"k":1,"k":2, "e":1E+2,"s":"\\u00e4"}';
		const [json] = parseJsonEvents(`{"event_type":"t","payload":${payload},"payload_encoding":"json"}`, 'json');
		assert.equal(text(json!.payload), payload);
		// a non-string payload is json without payload_encoding too, in arrays and NDJSON
		const batch = parseJsonEvents(`[{"payload":[1.0, 12345678901234567891]},{"payload":"aGVq"},{"payload":-0.0}]`, 'json');
		assert.deepEqual(batch.map((m) => text(m.payload)), ['[1.0, 12345678901234567891]', 'hej', '-0.0']);
		const lines = parseJsonEvents(`{"payload":{"a":1,"a":2}}\n{"payload":1.50,"payload_encoding":"json"}\n`, 'ndjson');
		assert.deepEqual(lines.map((m) => text(m.payload)), ['{"a":1,"a":2}', '1.50']);
	});

	it('takes the last "payload" of an event, as JSON.parse does, escaped keys included', () => {
		const [m] = parseJsonEvents('{"payload":{"first":1},"metadata":{"payload":"x"},"p\\u0061yload":{"last":1.0}}', 'json');
		assert.equal(text(m!.payload), '{"last":1.0}');
	});

	it('a json string payload keeps its escapes', () => {
		const [m] = parseJsonEvents('{"payload":"h\\u00e9j","payload_encoding":"json"}', 'json');
		assert.equal(text(m!.payload), '"h\\u00e9j"');
	});

	it('toJsonEvent(m, "json") read back with parseJsonEvents is the same message, byte for byte (property)', () => {
		const jsonText = fc.oneof(
			fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
			fc.jsonValue().map((v) => JSON.stringify(v, null, 2) ?? 'null'),
			fc.constantFrom('12345678901234567891', '1.0', '{"k":1,"k":2}', ' {"padded":true} ', '{\r\n"a": 1\r\n}', '\t[]', nested(MAX_PAYLOAD_DEPTH + 1)),
		);
		const payload = fc.oneof(jsonText.map((s) => Buffer.from(s)), fc.string().map((s) => Buffer.from(s)), fc.uint8Array({ maxLength: 32 }));
		fc.assert(
			fc.property(payload, fc.constantFrom('json', 'utf8', 'base64') as fc.Arbitrary<'json' | 'utf8' | 'base64'>, (bytes, encoding) => {
				const m = createMessage({ id: 'x', timestamp: 5n, source: 's', messageType: 't', payload: bytes });
				const line = toJsonEvent(m, encoding);
				assert.ok(!line.includes('\n') && !line.includes('\r'), 'one line');
				const [back] = parseJsonEvents(line, 'ndjson');
				assert.deepEqual(Buffer.from(back!.payload), Buffer.from(bytes));
				const [fromArray] = parseJsonEvents(`[${line}]`, 'json');
				assert.deepEqual(Buffer.from(fromArray!.payload), Buffer.from(bytes));
			}),
			{ numRuns: 1000 },
		);
	});

	it('toJsonEvent embeds JSON that reads back exactly, and writes other JSON text as a utf8 string', () => {
		const line = (payload: string): string => toJsonEvent(createMessage({ source: 's', messageType: 't', payload }), 'json');
		assert.match(line('{"n":12345678901234567891,"f":1.0}'), /"payload":\{"n":12345678901234567891,"f":1\.0\},"payload_encoding":"json"/);
		assert.match(line('{\n"a": 1\n}'), /"payload":"\{\\n\\"a\\": 1\\n\}","payload_encoding":"utf8"/);
		assert.match(line(' 1 '), /"payload":" 1 ","payload_encoding":"utf8"/);
		assert.match(line(nested(MAX_PAYLOAD_DEPTH + 1)), /"payload_encoding":"utf8"/);
		assert.match(line(nested(MAX_PAYLOAD_DEPTH)), /"payload_encoding":"json"/);
	});
});

describe('parseJsonEvents: a payload nested too deeply is an invalid event naming it', () => {
	it(`refuses a payload nested 5000 deep (limit ${MAX_PAYLOAD_DEPTH}) with a JsonEventError on payload`, () => {
		for (const [body, format, field] of [
			[`{"event_type":"t","payload":${nested(5000)}}`, 'json', 'payload'],
			[`[{"payload":1},{"payload":{"a":${nested(5000)}},"payload_encoding":"json"}]`, 'json', '[1].payload'],
			[`{"payload":1}\n{"payload":${nested(5000)}}`, 'ndjson', 'payload'],
		] as const) {
			assert.throws(
				() => parseJsonEvents(body, format),
				(error: unknown) =>
					error instanceof JsonEventError &&
					error.reason === 'invalid-event' &&
					error.field === field &&
					new RegExp(`payload: is nested deeper than ${MAX_PAYLOAD_DEPTH} levels`).test(error.message),
				body.slice(0, 40),
			);
		}
	});

	it(`accepts a payload nested exactly ${MAX_PAYLOAD_DEPTH} deep, and ignores deep unknown fields`, () => {
		const [m] = parseJsonEvents(`{"payload":${nested(MAX_PAYLOAD_DEPTH)},"extra":${nested(5000)}}`, 'json');
		assert.equal(text(m!.payload), nested(MAX_PAYLOAD_DEPTH));
	});

	it('fromJsonEvent on a parsed value refuses a too-deep json payload with a MessageValidationError', () => {
		const value = { payload: JSON.parse(nested(5000)) as unknown };
		assert.throws(
			() => fromJsonEvent(value),
			(error: unknown) => error instanceof MessageValidationError && error.field === 'payload' && /nested deeper than/.test(error.message),
		);
	});
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromJsonEvent, JsonEventError, parseJsonEvents, parseJsonExact, toJsonEvent, type PayloadEncoding } from '../../src/index.js';
import { decodeEventAt } from '../../src/json-event/decode.js';
import { MessageValidationError } from '../../src/errors.js';
import { createMessage, type Message } from '../../src/message/message.js';

const message = fc
	.record({
		id: fc.string({ minLength: 1 }),
		timestamp: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).filter((t) => t !== 0n),
		source: fc.string({ minLength: 1 }),
		messageType: fc.string({ minLength: 1 }),
		metadata: fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'polku.severity', 'polku.outcome')), fc.oneof(fc.string(), fc.constantFrom('0', '3', '4', '9', '04'))),
		payload: fc.oneof(
			fc.uint8Array({ maxLength: 64 }),
			fc.string().map((s) => Buffer.from(s)),
			fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
		),
		routeTo: fc.array(fc.string()),
	})
	.map((init) => createMessage(init));

const roundTrip = (m: Message, encoding: PayloadEncoding): Message => fromJsonEvent(parseJsonExact(toJsonEvent(m, encoding)), { source: 'fallback' });

/** With the json encoding a JSON payload round-trips as a JSON value (re-serialised), other payloads exactly. */
const comparable = (m: Message, encoding: PayloadEncoding = 'base64'): unknown => {
	let payload = Buffer.from(m.payload).toString('utf8');
	try {
		if (encoding === 'json' && Buffer.from(payload).equals(Buffer.from(m.payload))) payload = JSON.stringify(JSON.parse(payload));
		else payload = Buffer.from(m.payload).toString('hex');
	} catch {
		payload = Buffer.from(m.payload).toString('hex');
	}
	return { ...m, metadata: { ...m.metadata }, payload, routeTo: [...m.routeTo] };
};

describe('encodeEvent / decodeEvent', () => {
	for (const encoding of ['base64', 'utf8', 'json'] as const) {
		it(`round-trip every message with ${encoding} payloads (json: JSON payloads as JSON values; otherwise byte-exact) (property)`, () => {
			fc.assert(
				fc.property(message, (m) => {
					const line = toJsonEvent(m, encoding);
					assert.ok(!line.includes('\n'), 'one line');
					assert.deepEqual(comparable(roundTrip(m, encoding), encoding), comparable(m, encoding));
				}),
				{ numRuns: 400 },
			);
		});
	}

	it('writes the POLKU JSON form: string timestamp, severity fields, payload encodings', () => {
		const m = createMessage({
			id: 'x',
			timestamp: 1764216000123456789n,
			source: 's',
			messageType: 't',
			metadata: { 'polku.severity': '4', region: 'eu' },
			payload: '{"n": 12345678901234567890}',
			routeTo: ['a'],
		});
		assert.deepEqual(JSON.parse(toJsonEvent(m)), {
			id: 'x',
			timestamp_unix_ns: '1764216000123456789',
			source: 's',
			event_type: 't',
			metadata: { region: 'eu' },
			payload: Buffer.from('{"n": 12345678901234567890}').toString('base64'),
			route_to: ['a'],
			severity: 4,
		});
		assert.match(toJsonEvent(m, 'json'), /"payload":\{"n": 12345678901234567890\},"payload_encoding":"json","route_to":\["a"\]/, 'JSON payloads embedded verbatim');
		assert.match(toJsonEvent(createMessage({ source: 's', messageType: 't', payload: 'not json' }), 'json'), /"payload":"bm90IGpzb24="/);
		assert.match(toJsonEvent(createMessage({ source: 's', messageType: 't', payload: new Uint8Array([0xff]) }), 'utf8'), /"payload":"\/w=="/);
		assert.match(toJsonEvent(createMessage({ source: 's', messageType: 't', payload: '{\n"a": 1\n}' }), 'json'), /"payload":"\{\\n\\"a\\": 1\\n\}","payload_encoding":"utf8"/, 'JSON with line breaks as an exact utf8 string');
	});

	it('reads standard and URL-safe base64, padded or not, and refuses anything else', () => {
		const payload = (text: string): string => Buffer.from(fromJsonEvent({ payload: text }, { source: 's' }).payload).toString('hex');
		assert.equal(payload('aGVq'), '68656a');
		assert.equal(payload('aGU='), '6865');
		assert.equal(payload('aGU'), '6865');
		assert.equal(payload('aA=='), '68');
		assert.equal(payload('-_8='), Buffer.from('-_8=', 'base64url').toString('hex'));
		assert.equal(payload('+/8='), 'fbff');
		for (const bad of ['a', 'ab=c', 'a===', 'abc!', 'aGVq aGVq', 'aGVq\n', '====', 'aGVqa', 'é']) {
			assert.throws(
				() => fromJsonEvent({ payload: bad }, { source: 's' }),
				(error: unknown) => error instanceof MessageValidationError && error.field === 'payload',
				JSON.stringify(bad),
			);
		}
	});

	it('reads timestamp 0 as "now" and an empty type as "unknown"', () => {
		const m = fromJsonEvent({ timestamp_unix_ns: '0', event_type: '' }, { source: 'd' });
		assert.ok(m.timestamp > 0n);
		assert.equal(m.messageType, 'unknown');
		assert.equal(m.source, 'd');
	});

	it('never throws anything but MessageValidationError (property)', () => {
		fc.assert(
			fc.property(fc.oneof(fc.jsonValue(), fc.object(), fc.anything()), (value) => {
				try {
					decodeEventAt(value, '[0]', { source: 's' });
				} catch (error) {
					assert.ok(error instanceof MessageValidationError, String(error));
					assert.ok(error.field.startsWith('[0]'));
				}
			}),
			{ numRuns: 1000 },
		);
	});
});

describe('parseJsonEvents', () => {
	it('keeps an integer timestamp above 2^53 exact even when it first appears after 2 KiB', () => {
		const filler = Array.from({ length: 40 }, (_, i) => `{"id":"s${i}","timestamp_unix_ns":"17642160001234567${String(i).padStart(2, '0')}"}`);
		const body = `[${filler.join(',')},{"id":"late","timestamp_unix_ns":1764216000123456789}]`;
		assert.ok(body.indexOf('"late"') > 2048);
		const messages = parseJsonEvents(body, 'json');
		assert.equal(messages.at(-1)!.timestamp, 1764216000123456789n);
		assert.equal(messages[0]!.timestamp, 1764216000123456700n);
		const ndjson = parseJsonEvents('{"id":"a"}\n{"id":"b","timestamp_unix_ns":9223372036854775807}\n', 'ndjson');
		assert.equal(ndjson[1]!.timestamp, 9223372036854775807n);
	});

	it('rejects a timestamp written with an exponent instead of rounding it', () => {
		assert.throws(() => parseJsonEvents('{"timestamp_unix_ns":1e+21}', 'json'), (e: unknown) => e instanceof JsonEventError && e.field === 'timestamp_unix_ns');
		assert.throws(() => fromJsonEvent({ timestamp_unix_ns: 2 ** 60 }), /lost digits in JSON.parse/);
	});
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createMessage, ENVELOPE_HEADERS, escapeHeaderValue, fromEnvelopeHeaders, MessageValidationError, toEnvelopeHeaders, unescapeHeaderValue, type Message } from '../../src/index.js';
import { assertInheritsNothing } from '../support/metadata.js';

const defaults = { source: 'kafka', messageType: 'orders' };
const roundTrip = (m: Message): Message => fromEnvelopeHeaders(toEnvelopeHeaders(m), m.payload, defaults);

function assertSameMessage(actual: Message, expected: Message): void {
	assert.equal(actual.id, expected.id);
	assert.equal(actual.timestamp, expected.timestamp);
	assert.equal(actual.source, expected.source);
	assert.equal(actual.messageType, expected.messageType);
	assert.deepEqual({ ...actual.metadata }, { ...expected.metadata });
	assert.deepEqual([...actual.routeTo], [...expected.routeTo]);
	assert.deepEqual(Buffer.from(actual.payload), Buffer.from(expected.payload));
}

describe('toEnvelopeHeaders / fromEnvelopeHeaders', () => {
	it('writes the envelope under polku- names and plain metadata keys as themselves', () => {
		const m = createMessage({ id: 'abc', timestamp: 1764216000123456789n, source: 'shop', messageType: 'order.created', metadata: { tenant: 'acme' }, routeTo: ['a', 'b'] });
		assert.deepEqual(toEnvelopeHeaders(m), [
			['polku-id', 'abc'],
			['polku-timestamp', '1764216000123456789'],
			['polku-source', 'shop'],
			['polku-type', 'order.created'],
			['polku-route-to', 'a,b'],
			['tenant', 'acme'],
		]);
	});

	it('keeps a timestamp above 2^64 / 2 exactly (never through ms or a double)', () => {
		const m = createMessage({ source: 's', messageType: 't', timestamp: 18446744073709551615n });
		assert.equal(roundTrip(m).timestamp, 18446744073709551615n);
	});

	it('escapes keys that are not tokens or use the polku- prefix, and values transports cannot carry', () => {
		const metadata = JSON.parse(
			'{"__proto__":"p","constructor":"c","a b":"x","polku-id":"mine","Ünï":"ü","k:v":"line1\\r\\nline2","pct":"50%"," edge ":" pad ","":"empty key"}',
		) as Record<string, string>;
		const m = createMessage({ source: 'a\nb', messageType: '%', metadata, routeTo: ['x,y', 'z'] });
		const headers = toEnvelopeHeaders(m);
		for (const [name, value] of headers) {
			assert.match(name, /^[!#$&'*+.^_`|~0-9A-Za-z%-]+$/, `header name ${JSON.stringify(name)} is a token`);
			assert.doesNotMatch(value, /[\r\n\0]|^ | $/, `value ${JSON.stringify(value)} is header-safe`);
		}
		assert.ok(headers.some(([n]) => n === '__proto__'));
		assert.ok(headers.some(([n]) => n === 'polku-meta-polku-id'));
		const back = roundTrip(m);
		assertSameMessage(back, m);
		assertInheritsNothing(back.metadata);
	});

	it('round-trips any message (property)', () => {
		const str = fc.string({ unit: 'binary', maxLength: 12 });
		fc.assert(
			fc.property(
				fc.record({
					id: fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }),
					timestamp: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
					source: str,
					messageType: str,
					metadata: fc.dictionary(str, str, { maxKeys: 6 }),
					routeTo: fc.array(str, { maxLength: 3 }),
					payload: fc.uint8Array({ maxLength: 64 }),
				}),
				(init) => {
					const m = createMessage(init);
					assertSameMessage(roundTrip(m), m);
				},
			),
			{ numRuns: 500 },
		);
	});

	it("takes a plain producer's headers as metadata and the envelope from the defaults", () => {
		const m = fromEnvelopeHeaders([['tenant', 'acme'], ['trace', '50%']], 'body', { id: 'orders/0/7', timestamp: 5n, source: 'kafka', messageType: 'orders' });
		assert.equal(m.id, 'orders/0/7');
		assert.equal(m.timestamp, 5n);
		assert.equal(m.source, 'kafka');
		assert.equal(m.messageType, 'orders');
		assert.deepEqual({ ...m.metadata }, { tenant: 'acme', trace: '50%' });
		assert.equal(Buffer.from(m.payload).toString(), 'body');
		const fresh = fromEnvelopeHeaders([], undefined, defaults);
		assert.equal(typeof fresh.id, 'string');
		assert.equal(fresh.payload.length, 0);
	});

	it('matches polku- names case-insensitively', () => {
		const m = fromEnvelopeHeaders([['Polku-Id', 'x'], ['POLKU-TIMESTAMP', '42'], ['Polku-Meta-a%20b', 'v']], '', defaults);
		assert.equal(m.id, 'x');
		assert.equal(m.timestamp, 42n);
		assert.deepEqual({ ...m.metadata }, { 'a b': 'v' });
	});

	it('refuses a malformed envelope naming the header (a poison message)', () => {
		const cases: [string, string][] = [
			[ENVELOPE_HEADERS.timestamp, '12.5'],
			[ENVELOPE_HEADERS.timestamp, '-1'],
			[ENVELOPE_HEADERS.timestamp, '99999999999999999999'],
			[ENVELOPE_HEADERS.source, 'bad %zz'],
		];
		for (const [name, value] of cases) {
			assert.throws(
				() => fromEnvelopeHeaders([['polku-id', 'x'], [name, value]], '', defaults),
				(e: unknown) => e instanceof MessageValidationError && e.field === `headers.${name}`,
				`${name}: ${value}`,
			);
		}
		assert.throws(() => fromEnvelopeHeaders([['polku-id', '']], '', defaults), (e: unknown) => e instanceof MessageValidationError && e.field === 'headers.polku-id');
	});
});

describe('escapeHeaderValue / unescapeHeaderValue', () => {
	it('leaves ordinary values alone and escapes %, controls and edge spaces', () => {
		assert.equal(escapeHeaderValue('acme corp ü'), 'acme corp ü');
		assert.equal(escapeHeaderValue('50%\r\n'), '50%25%0D%0A');
		assert.equal(escapeHeaderValue(' a '), '%20a%20');
		assert.equal(unescapeHeaderValue('50%25%0D%0A', 'f'), '50%\r\n');
	});
});

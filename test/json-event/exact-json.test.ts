import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseJsonExact } from '../../src/index.js';

const KEYS = new Set(['timestamp_unix_ns', 'timestampUnixNs', 'timestamp']);

/** What parseJsonExact should return for JSON.stringify(value): event-level integer timestamps as strings. */
function expected(value: unknown): unknown {
	const event = (v: unknown): unknown => {
		if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
		const out: Record<string, unknown> = {};
		for (const [k, x] of Object.entries(v)) {
			const text = typeof x === 'number' ? JSON.stringify(x) : undefined;
			out[k] = KEYS.has(k) && text !== undefined && /^-?(0|[1-9]\d*)$/.test(text) ? text : x;
		}
		return out;
	};
	return Array.isArray(value) ? value.map(event) : event(value);
}

describe('parseJsonExact', () => {
	it('keeps event-level integer timestamps exact, as strings', () => {
		assert.deepEqual(parseJsonExact('{"timestamp_unix_ns":1764216000123456789,"n":1764216000123456789}'), {
			timestamp_unix_ns: '1764216000123456789',
			n: 1764216000123456800,
		});
		assert.deepEqual(parseJsonExact('[ {"timestampUnixNs" : -9223372036854775808} , {"timestamp":\n5}]'), [
			{ timestampUnixNs: '-9223372036854775808' },
			{ timestamp: '5' },
		]);
	});

	it('leaves nested objects, strings that look like keys, floats and leading zeros alone', () => {
		assert.deepEqual(parseJsonExact('{"metadata":{"timestamp":5},"timestamp":"7"}'), { metadata: { timestamp: 5 }, timestamp: '7' });
		assert.deepEqual(parseJsonExact('{"a":"\\"timestamp\\":5","b":"x\\\\","timestamp":6}'), { a: '"timestamp":5', b: 'x\\', timestamp: '6' });
		assert.deepEqual(parseJsonExact('{"timestamp":1.5e18}'), { timestamp: 1.5e18 });
		assert.deepEqual(parseJsonExact('[[{"timestamp":5}]]'), [[{ timestamp: 5 }]]);
		assert.throws(() => parseJsonExact('{"timestamp":01}'), SyntaxError);
		assert.throws(() => parseJsonExact('{"timestamp":12'), SyntaxError);
	});

	it('equals JSON.parse apart from event-level timestamps (property)', () => {
		const withTimestamps = fc.oneof(
			fc.jsonValue(),
			fc.array(fc.record({ timestamp_unix_ns: fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(Number), fc.double()), m: fc.jsonValue() })),
			fc.record({ timestamp: fc.integer(), metadata: fc.dictionary(fc.constantFrom('timestamp', 'k'), fc.integer()) }),
		);
		fc.assert(
			fc.property(withTimestamps, (value) => {
				const text = JSON.stringify(value);
				assert.deepEqual(parseJsonExact(text), expected(JSON.parse(text)));
			}),
			{ numRuns: 500 },
		);
	});

	it('throws exactly when JSON.parse throws (property over mutated JSON)', () => {
		const mutated = fc
			.tuple(fc.jsonValue(), fc.nat(), fc.constantFrom('', '"timestamp":1', '{', '}', '[', ']', '"', '\\', ':', ',', '01', '-'), fc.boolean())
			.map(([v, at, piece, del]) => {
				const text = JSON.stringify({ timestamp: 1, v });
				const i = at % (text.length + 1);
				return del ? text.slice(0, i) + text.slice(i + 1) : text.slice(0, i) + piece + text.slice(i);
			});
		fc.assert(
			fc.property(fc.oneof(mutated, fc.string()), (text) => {
				let native: unknown;
				try {
					JSON.parse(text);
					native = true;
				} catch {
					native = false;
				}
				let exact: unknown;
				try {
					parseJsonExact(text);
					exact = true;
				} catch (error) {
					assert.ok(error instanceof SyntaxError);
					exact = false;
				}
				assert.equal(exact, native, text);
			}),
			{ numRuns: 2000 },
		);
	});
});

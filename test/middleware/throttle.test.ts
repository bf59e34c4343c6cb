import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ConfigError, RejectedError, Rejection, throttle } from '../../src/index.js';
import { msg, startHub } from './support.js';

const passes = (result: unknown): boolean => !(result instanceof Rejection);

describe('throttle()', () => {
	it('limits each source separately and refills over time', () => {
		let now = 0;
		const mw = throttle({ perSecond: 2, burst: 2, now: () => now });
		assert.deepEqual(
			['a', 'a', 'a', 'b', 'b', 'b'].map((source) => passes(mw.process(msg({ source })))),
			[true, true, false, true, true, false],
		);
		const rejection = mw.process(msg({ source: 'a' }));
		assert.ok(rejection instanceof Rejection && rejection.label === 'throttled');
		now = 500;
		assert.deepEqual(
			['a', 'a', 'b'].map((source) => passes(mw.process(msg({ source })))),
			[true, false, true],
		);
		assert.equal(mw.keys, 2);
	});

	it('keys by metadata; messages without the key share one bucket', () => {
		const mw = throttle({ key: 'metadata.tenant', perSecond: 1, burst: 1, now: () => 0 });
		assert.ok(passes(mw.process(msg({ metadata: { tenant: 'acme' } }))));
		assert.ok(!passes(mw.process(msg({ metadata: { tenant: 'acme' } }))));
		assert.ok(passes(mw.process(msg({ metadata: { tenant: 'globex' } }))));
		assert.ok(passes(mw.process(msg())));
		assert.ok(!passes(mw.process(msg({ metadata: { other: 'x' } }))), 'keyless messages share the empty key');
	});

	it('forgets the least recently seen key beyond maxKeys (LRU, not FIFO)', () => {
		const mw = throttle({ perSecond: 1, burst: 1, maxKeys: 2, now: () => 0 });
		mw.process(msg({ source: 'a' }));
		mw.process(msg({ source: 'b' }));
		assert.ok(!passes(mw.process(msg({ source: 'a' }))), 'a is limited and now the most recent');
		mw.process(msg({ source: 'c' })); // evicts b, the least recent
		assert.equal(mw.keys, 2);
		assert.ok(!passes(mw.process(msg({ source: 'a' }))), 'a was kept');
		assert.ok(passes(mw.process(msg({ source: 'b' }))), 'b was forgotten: a fresh bucket');
	});

	it('through a hub: over-limit messages are rejected as throttled, counted and announced', async () => {
		const run = await startHub([throttle({ perSecond: 1, burst: 1, now: () => 0 })]);
		const outcome = await run.input.push([
			{ source: 'a', messageType: 't' },
			{ source: 'a', messageType: 't' },
			{ source: 'b', messageType: 't' },
		]);
		await run.hub.stop();
		assert.equal(outcome.accepted, 2);
		assert.deepEqual(outcome.dropped.map((d) => [d.index, d.reason]), [[1, 'rejected']]);
		const stats = run.hub.stats().middleware['throttle']!;
		assert.equal(stats.rejected, 1);
		assert.equal(stats.counters['throttled'], 1);
		const error = run.drops[0]?.error;
		assert.ok(error instanceof RejectedError && error.label === 'throttled');
	});

	it('memory stays within maxKeys for any key sequence', () => {
		fc.assert(
			fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.string({ maxLength: 3 }), { maxLength: 300 }), (maxKeys, keys) => {
				const mw = throttle({ key: (m) => m.metadata['k'], perSecond: 5, maxKeys, now: () => 0 });
				const distinct = new Set<string>();
				for (const k of keys) {
					mw.process(msg({ metadata: { k } }));
					distinct.add(k);
					assert.ok(mw.keys <= maxKeys);
					assert.equal(mw.keys, Math.min(maxKeys, distinct.size));
				}
			}),
			{ numRuns: 300 },
		);
	});

	it('never lets a key exceed its limit over any window while it stays in the table', () => {
		fc.assert(
			fc.property(
				fc.integer({ min: 1, max: 30 }),
				fc.integer({ min: 1, max: 5 }),
				fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 150 })), { minLength: 1, maxLength: 150 }),
				(perSecond, burst, arrivals) => {
					let now = 0;
					const mw = throttle({ perSecond, burst, maxKeys: 3, now: () => now });
					const passed = new Map<string, number[]>();
					for (const [source, gap] of arrivals) {
						now += gap;
						if (passes(mw.process(msg({ source })))) passed.set(source, [...(passed.get(source) ?? []), now]);
					}
					for (const times of passed.values()) {
						for (let i = 0; i < times.length; i++) {
							for (let j = i; j < times.length; j++) {
								assert.ok(j - i + 1 <= burst + (perSecond * (times[j]! - times[i]!)) / 1000 + 1e-9);
							}
						}
					}
				},
			),
			{ numRuns: 300 },
		);
	});

	it('validates its options with ConfigError naming the field', () => {
		const bad = (fn: () => unknown, field: string): void => assert.throws(fn, (e) => e instanceof ConfigError && e.field === field);
		bad(() => throttle({ perSecond: -1 }), 'throttle.perSecond');
		bad(() => throttle({ perSecond: 1, burst: 0 }), 'throttle.burst');
		bad(() => throttle({ perSecond: 1, maxKeys: 0 }), 'throttle.maxKeys');
		bad(() => throttle({ perSecond: 1, key: 'payload' as never }), 'throttle.key');
		bad(() => throttle({ perSecond: 1, key: 'metadata.' as never }), 'throttle.key');
		bad(() => throttle({ perSecond: 1, name: '' }), 'throttle.name');
	});
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, sample } from '../../src/index.js';
import { hash32 } from '../../src/middleware/internal/hash.js';
import { fakeContext, msg, throughHub } from './support.js';

const sequence = (...values: number[]): (() => number) => {
	let i = 0;
	return () => values[i++ % values.length]!;
};

describe('sample()', () => {
	it('keeps a message when the random draw is below the rate, and counts the others as sampled-out', async () => {
		const mw = sample({ rate: 0.5, random: sequence(0.1, 0.7, 0.49, 0.5) });
		const { context, counters } = fakeContext();
		await mw.start?.(context);
		const kept = [0, 1, 2, 3].map(() => mw.process(msg()) !== null);
		assert.deepEqual(kept, [true, false, true, false]);
		assert.equal(counters['sampled-out'], 2);
	});

	it('rate 0 keeps nothing and rate 1 keeps everything', () => {
		const none = sample({ rate: 0, random: () => 0 });
		const all = sample({ rate: 1, random: () => 0.999_999 });
		assert.equal(none.process(msg()), null);
		const m = msg();
		assert.equal(all.process(m), m);
	});

	it('with a key, the decision is the same for every message of a key, in every instance', () => {
		const a = sample({ rate: 0.3, key: 'metadata.trace', random: () => assert.fail('no randomness with a key') });
		const b = sample({ rate: 0.3, key: 'metadata.trace', random: () => assert.fail('no randomness with a key') });
		for (let i = 0; i < 200; i++) {
			const trace = `trace-${i}`;
			const first = a.process(msg({ metadata: { trace } })) !== null;
			for (let j = 0; j < 3; j++) assert.equal(a.process(msg({ metadata: { trace } })) !== null, first);
			assert.equal(b.process(msg({ metadata: { trace } })) !== null, first);
		}
	});

	it('keeps about `rate` of the keys (the hash spreads keys evenly)', () => {
		for (const rate of [0.01, 0.1, 0.5, 0.9]) {
			const mw = sample({ rate, key: 'metadata.id' });
			let kept = 0;
			const n = 20_000;
			for (let i = 0; i < n; i++) if (mw.process(msg({ metadata: { id: `user-${i}` } })) !== null) kept++;
			assert.ok(Math.abs(kept / n - rate) < 0.01, `rate ${rate}: kept ${kept / n}`);
		}
		assert.notEqual(hash32('a'), hash32('b'));
		assert.equal(hash32('order-1'), hash32('order-1'));
	});

	it('messages without a key fall back to a random draw', () => {
		const mw = sample({ rate: 0.5, key: 'metadata.trace', random: sequence(0.9, 0.1) });
		assert.equal(mw.process(msg()), null);
		assert.notEqual(mw.process(msg()), null);
	});

	it('through a hub: sampled-out messages are filtered, not dropped', async () => {
		const run = await throughHub(
			[sample({ rate: 0.5, random: sequence(0.2, 0.8, 0.2, 0.8) })],
			Array.from({ length: 4 }, () => ({ source: 's', messageType: 't' })),
		);
		assert.equal(run.outputs[0]!.messages.length, 2);
		assert.deepEqual(
			run.outcomes.map((o) => o.status),
			['accepted', 'filtered', 'accepted', 'filtered'],
		);
		const stats = run.stats.middleware['sample']!;
		assert.equal(stats.filtered, 2);
		assert.equal(stats.counters['sampled-out'], 2);
		assert.equal(run.drops.length, 0);
	});

	it('validates its options with ConfigError naming the field', () => {
		const bad = (fn: () => unknown, field: string): void => assert.throws(fn, (e) => e instanceof ConfigError && e.field === field);
		bad(() => sample({ rate: 1.5 }), 'sample.rate');
		bad(() => sample({ rate: -0.1 }), 'sample.rate');
		bad(() => sample({ rate: Number.NaN }), 'sample.rate');
		bad(() => sample({ rate: 0.5, key: 42 as never }), 'sample.key');
		bad(() => sample({ rate: 0.5, random: 'x' as never }), 'sample.random');
	});
});

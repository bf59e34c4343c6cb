import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ConfigError, dedup } from '../../src/index.js';
import { fakeContext, msg, throughHub } from './support.js';

describe('dedup()', () => {
	it('filters out repeats of an id within ttlMs of its first sighting', async () => {
		let now = 0;
		const mw = dedup({ ttlMs: 100, now: () => now });
		const { context, counters } = fakeContext();
		await mw.start?.(context);
		const a = msg({ id: 'a' });
		assert.equal(mw.process(a), a);
		now = 50;
		assert.equal(mw.process(msg({ id: 'a' })), null, 'a repeat inside the window');
		assert.notEqual(mw.process(msg({ id: 'b' })), null);
		now = 100;
		assert.notEqual(mw.process(msg({ id: 'a' })), null, 'the window runs from the first sighting; repeats do not extend it');
		assert.equal(mw.process(msg({ id: 'b' })), null);
		assert.equal(counters['duplicate'], 2);
	});

	it('dedups by a key; messages without one always pass', () => {
		const mw = dedup({ key: 'metadata.event-id', now: () => 0 });
		assert.notEqual(mw.process(msg({ metadata: { 'event-id': 'e1' } })), null);
		assert.equal(mw.process(msg({ metadata: { 'event-id': 'e1' } })), null, 'a different id, the same key');
		assert.notEqual(mw.process(msg()), null);
		assert.notEqual(mw.process(msg()), null);
		assert.equal(mw.entries, 1);
	});

	it('forgets the oldest key when full, and counts it as evicted', async () => {
		const mw = dedup({ maxEntries: 2, ttlMs: 1000, now: () => 0 });
		const { context, counters } = fakeContext();
		await mw.start?.(context);
		for (const id of ['a', 'b', 'c']) mw.process(msg({ id }));
		assert.equal(mw.entries, 2);
		assert.equal(counters['evicted'], 1);
		assert.equal(mw.process(msg({ id: 'c' })), null);
		assert.notEqual(mw.process(msg({ id: 'a' })), null, 'a was evicted, so its repeat passes');
	});

	it('through a hub: duplicates are filtered, counted, and not drops', async () => {
		const run = await throughHub(
			[dedup()],
			['x', 'y', 'x', 'x'].map((id) => ({ id, source: 's', messageType: 't' })),
		);
		assert.deepEqual(
			run.outputs[0]!.messages.map((m) => m.id),
			['x', 'y'],
		);
		assert.deepEqual(
			run.outcomes.map((o) => o.status),
			['accepted', 'accepted', 'filtered', 'filtered'],
		);
		assert.equal(run.stats.middleware['dedup']!.counters['duplicate'], 2);
		assert.equal(run.stats.middleware['dedup']!.filtered, 2);
		assert.equal(run.drops.length, 0);
	});

	it('memory never exceeds maxEntries, for any key sequence and timing', () => {
		fc.assert(
			fc.property(
				fc.integer({ min: 1, max: 16 }),
				fc.integer({ min: 0, max: 200 }),
				fc.array(fc.tuple(fc.string({ maxLength: 2 }), fc.integer({ min: 0, max: 50 })), { maxLength: 300 }),
				(maxEntries, ttlMs, arrivals) => {
					let now = 0;
					const mw = dedup({ maxEntries, ttlMs, key: (m) => m.metadata['k'], now: () => now });
					for (const [k, gap] of arrivals) {
						now += gap;
						mw.process(msg({ metadata: { k } }));
						assert.ok(mw.entries <= maxEntries, `${mw.entries} entries > ${maxEntries}`);
					}
				},
			),
			{ numRuns: 300 },
		);
	});

	it('with room for every key, passes a message exactly when its key did not pass within ttlMs', () => {
		fc.assert(
			fc.property(
				fc.integer({ min: 1, max: 200 }),
				fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 0, max: 80 })), { maxLength: 200 }),
				(ttlMs, arrivals) => {
					let now = 0;
					const mw = dedup({ ttlMs, key: (m) => m.metadata['k'], now: () => now });
					const lastPass = new Map<string, number>();
					for (const [k, gap] of arrivals) {
						now += gap;
						const previous = lastPass.get(k);
						const expected = previous === undefined || now - previous >= ttlMs;
						assert.equal(mw.process(msg({ metadata: { k } })) !== null, expected, `${k} at ${now}`);
						if (expected) lastPass.set(k, now);
					}
				},
			),
			{ numRuns: 300 },
		);
	});

	it('validates its options with ConfigError naming the field', () => {
		const bad = (fn: () => unknown, field: string): void => assert.throws(fn, (e) => e instanceof ConfigError && e.field === field);
		bad(() => dedup({ ttlMs: -1 }), 'dedup.ttlMs');
		bad(() => dedup({ maxEntries: 0 }), 'dedup.maxEntries');
		bad(() => dedup({ maxEntries: 2.5 }), 'dedup.maxEntries');
		bad(() => dedup({ key: 'nope' as never }), 'dedup.key');
		bad(() => dedup({ now: 1 as never }), 'dedup.now');
	});
});

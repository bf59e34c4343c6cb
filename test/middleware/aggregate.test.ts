import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { install } from '@sinonjs/fake-timers';
import fc from 'fast-check';
import { AGGREGATE_ERROR_KEY, AGGREGATED_COUNT_KEY, aggregate, ConfigError, PolkuError, type Message } from '../../src/index.js';
import { fakeContext, msg, startHub, texts } from './support.js';
import { assertInheritsNothing } from '../support/metadata.js';

const text = (m: Message): string => Buffer.from(m.payload).toString('utf8');

async function started(options: Parameters<typeof aggregate>[0]) {
	const mw = aggregate(options);
	const fake = fakeContext();
	await mw.start?.(fake.context);
	return { mw, ...fake };
}

describe('aggregate()', () => {
	it('absorbs messages until count, then replaces the last one with the aggregate', async () => {
		const { mw, counters } = await started({ count: 3, windowMs: 0 });
		const inputs = [msg({ source: 'a', messageType: 'reading', payload: '{"v":1}', metadata: { unit: 'c' }, routeTo: ['ts'] }), msg({ payload: '2' }), msg({ payload: 'plain text' })];
		assert.equal(mw.process(inputs[0]!), null);
		assert.equal(mw.process(inputs[1]!), null);
		assert.equal(mw.pending, 2);
		const out = mw.process(inputs[2]!) as Message;
		assert.equal(text(out), '[{"v":1},2,"plain text"]');
		assert.deepEqual(JSON.parse(text(out)), [{ v: 1 }, 2, 'plain text']);
		assert.equal(out.metadata[AGGREGATED_COUNT_KEY], '3');
		assert.equal(out.metadata['unit'], 'c');
		assertInheritsNothing(out.metadata);
		assert.equal(out.source, 'a');
		assert.equal(out.messageType, 'reading');
		assert.deepEqual(out.routeTo, ['ts']);
		assert.ok(!inputs.some((m) => m.id === out.id), 'a new id');
		assert.equal(mw.pending, 0);
		assert.deepEqual(counters, { aggregated: 2, windows: 1 });
	});

	it('strategies: concat (with a separator), first, last, and a function', async () => {
		const run = async (options: Parameters<typeof aggregate>[0]): Promise<string> => {
			const { mw } = await started({ count: 3, windowMs: 0, ...options });
			mw.process(msg({ payload: 'a' }));
			mw.process(msg({ payload: 'b' }));
			return text(mw.process(msg({ payload: 'c' })) as Message);
		};
		assert.equal(await run({ strategy: 'concat' }), 'abc');
		assert.equal(await run({ strategy: 'concat', separator: '\n' }), 'a\nb\nc');
		assert.equal(await run({ strategy: 'concat', separator: new Uint8Array([44]) }), 'a,b,c');
		assert.equal(await run({ strategy: 'first' }), 'a');
		assert.equal(await run({ strategy: 'last' }), 'c');
		assert.equal(await run({ strategy: (ms) => ms.map(text).join('+') }), 'a+b+c');
		assert.equal(await run({ strategy: 'json-array', messageType: 'batch' }), '["a","b","c"]');
	});

	it('a window closes windowMs after its first message and is emitted; stop() flushes the rest, leaving no timer', async () => {
		const clock = install({ toFake: ['setTimeout', 'clearTimeout'] });
		try {
			const { mw, emitted, counters } = await started({ count: 100, windowMs: 1000 });
			mw.process(msg({ payload: '1' }));
			await clock.tickAsync(500);
			mw.process(msg({ payload: '2' }));
			await clock.tickAsync(499);
			assert.equal(emitted.length, 0);
			await clock.tickAsync(1);
			assert.deepEqual(emitted.map(text), ['[1,2]']);
			mw.process(msg({ payload: '3' }));
			assert.equal(clock.countTimers(), 1);
			await mw.stop?.();
			assert.deepEqual(emitted.map(text), ['[1,2]', '[3]']);
			assert.equal(clock.countTimers(), 0);
			assert.equal(counters['windows'], 2);
		} finally {
			clock.uninstall();
		}
	});

	it('aggregates per key; beyond maxWindows the oldest window is emitted early', async () => {
		const { mw, emitted } = await started({ count: 3, windowMs: 0, key: 'source', maxWindows: 2 });
		mw.process(msg({ source: 'a', payload: 'a1' }));
		mw.process(msg({ source: 'b', payload: 'b1' }));
		mw.process(msg({ source: 'a', payload: 'a2' }));
		mw.process(msg({ source: 'c', payload: 'c1' })); // a third window: a's is emitted
		assert.deepEqual(emitted.map(text), ['["a1","a2"]']);
		mw.process(msg({ source: 'b', payload: 'b2' }));
		const b = mw.process(msg({ source: 'b', payload: 'b3' })) as Message;
		assert.equal(text(b), '["b1","b2","b3"]');
		await mw.stop?.();
		assert.deepEqual(emitted.map(text), ['["a1","a2"]', '["c1"]']);
	});

	it('a custom strategy that throws falls back to json-array, logged and counted', async () => {
		const { mw, counters, errors } = await started({
			count: 2,
			windowMs: 0,
			strategy: () => {
				throw new Error('bad strategy');
			},
		});
		mw.process(msg({ payload: 'x' }));
		const out = mw.process(msg({ payload: 'y' })) as Message;
		assert.equal(text(out), '["x","y"]');
		assert.equal(out.metadata[AGGREGATE_ERROR_KEY], 'bad strategy');
		assert.equal(counters['strategy-failed'], 1);
		assert.equal(errors.length, 1);
	});

	it('refuses to run before start(), since windows are released through the context', () => {
		assert.throws(() => aggregate().process(msg()), (e) => e instanceof PolkuError && e.code === 'ERR_POLKU_NOT_STARTED');
	});

	it('through a hub: windows close by count, by time, and on stop; absorbed deliver() calls resolve as filtered', async () => {
		const run = await startHub([aggregate({ count: 3, windowMs: 20 })]);
		const outcome = await run.input.push(['1', '2', '3', '4'].map((payload) => ({ source: 's', messageType: 't', payload })));
		assert.deepEqual({ accepted: outcome.accepted, filtered: outcome.filtered }, { accepted: 1, filtered: 3 });
		await run.outputs[0]!.waitFor(2); // '[4]' is released by the 20 ms timer
		const delivered = await run.input.deliver({ source: 's', messageType: 't', payload: '5' });
		assert.equal(delivered.status, 'filtered', 'absorbed: its delivery is not tracked');
		await run.hub.stop();
		assert.deepEqual(texts(run.outputs[0]!.messages), ['[1,2,3]', '[4]', '[5]']);
		const stats = run.hub.stats().middleware['aggregate']!;
		assert.equal(stats.counters['aggregated'], 4);
		assert.equal(stats.counters['windows'], 3);
		assert.equal(stats.filtered, 4);
	});

	it('loses nothing: every payload is in exactly one aggregate, for any counts, keys and timings', async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.record({
					count: fc.integer({ min: 1, max: 6 }),
					windowMs: fc.integer({ min: 0, max: 50 }),
					maxWindows: fc.integer({ min: 1, max: 3 }),
					keyed: fc.boolean(),
				}),
				fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 0, max: 30 })), { maxLength: 60 }),
				async ({ count, windowMs, maxWindows, keyed }, arrivals) => {
					const clock = install({ toFake: ['setTimeout', 'clearTimeout'] });
					try {
						const { mw, emitted } = await started({ count, windowMs, maxWindows, key: keyed ? 'source' : undefined });
						const aggregates: Message[] = [];
						for (const [i, [source, gap]] of arrivals.entries()) {
							await clock.tickAsync(gap);
							const out = mw.process(msg({ source, payload: `"${source}${i}"` }));
							if (out !== null) aggregates.push(out as Message);
						}
						await mw.stop?.();
						aggregates.push(...emitted);
						const seen = aggregates.flatMap((m) => JSON.parse(text(m)) as string[]);
						assert.deepEqual(
							[...seen].sort(),
							arrivals.map(([source], i) => `${source}${i}`).sort(),
						);
						for (const m of aggregates) {
							const n = Number(m.metadata[AGGREGATED_COUNT_KEY]);
							assert.ok(n >= 1 && n <= count && n === (JSON.parse(text(m)) as unknown[]).length);
							if (keyed) assert.ok((JSON.parse(text(m)) as string[]).every((p) => p.startsWith(m.source)), 'one key per window');
						}
						assert.equal(mw.pending, 0);
						assert.equal(clock.countTimers(), 0);
					} finally {
						clock.uninstall();
					}
				},
			),
			{ numRuns: 200 },
		);
	});

	it('validates its options with ConfigError naming the field', () => {
		const bad = (fn: () => unknown, field: string): void => assert.throws(fn, (e) => e instanceof ConfigError && e.field === field);
		bad(() => aggregate({ count: 0 }), 'aggregate.count');
		bad(() => aggregate({ windowMs: -1 }), 'aggregate.windowMs');
		bad(() => aggregate({ strategy: 'sum' as never }), 'aggregate.strategy');
		bad(() => aggregate({ separator: 5 as never }), 'aggregate.separator');
		bad(() => aggregate({ maxWindows: 0 }), 'aggregate.maxWindows');
		bad(() => aggregate({ key: 'x' as never }), 'aggregate.key');
		bad(() => aggregate({ messageType: 1 as never }), 'aggregate.messageType');
	});
});

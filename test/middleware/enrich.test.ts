import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { install } from '@sinonjs/fake-timers';
import fc from 'fast-check';
import { ConfigError, enrich, MessageValidationError, RejectedError, Rejection, type Message } from '../../src/index.js';
import { fakeContext, msg, throughHub } from './support.js';
import { assertInheritsNothing } from '../support/metadata.js';

describe('enrich()', () => {
	it('merges a synchronous lookup into fresh null-prototype metadata, without a promise', () => {
		const mw = enrich((m) => ({ team: `team-of-${m.source}`, region: 'eu' }));
		const result = mw.process(msg({ source: 'billing', metadata: { region: 'us' } }));
		assert.ok(!(result instanceof Promise));
		const out = result as Message;
		assert.equal(out.metadata['team'], 'team-of-billing');
		assert.equal(out.metadata['region'], 'us', 'existing entries win by default');
		assertInheritsNothing(out.metadata);
		const proto = enrich(() => JSON.parse('{"__proto__":"data"}') as Record<string, string>).process(msg()) as Message;
		assert.deepEqual(Object.keys(proto.metadata), ['__proto__']);
		assert.equal(proto.metadata['__proto__'], 'data');
	});

	it('overwrite lets looked-up values replace existing ones; an empty result returns the message itself', async () => {
		const over = enrich(async () => ({ region: 'eu' }), { overwrite: true });
		assert.equal(((await over.process(msg({ metadata: { region: 'us' } }))) as Message).metadata['region'], 'eu');
		const m = msg({ metadata: { region: 'us' } });
		assert.equal(enrich(() => ({})).process(m), m);
		assert.equal(enrich(() => ({ region: 'us' })).process(m), m, 'nothing changes: no copy');
	});

	it('caches per key: a hit is synchronous, expires after cacheTtlMs, and counts hits and misses', async () => {
		let now = 0;
		let calls = 0;
		const mw = enrich(
			async (m) => {
				calls++;
				return { owner: `${m.source}#${calls}` };
			},
			{ cacheTtlMs: 1000, now: () => now },
		);
		const { context, counters } = fakeContext();
		await mw.start?.(context);
		const first = mw.process(msg({ source: 'a' }));
		assert.ok(first instanceof Promise);
		assert.equal(((await first) as Message).metadata['owner'], 'a#1');
		const hit = mw.process(msg({ source: 'a' }));
		assert.ok(!(hit instanceof Promise), 'a cache hit creates no promise');
		assert.equal((hit as Message).metadata['owner'], 'a#1');
		now = 1000;
		assert.equal(((await mw.process(msg({ source: 'a' }))) as Message).metadata['owner'], 'a#2', 'expired');
		assert.equal(calls, 2);
		assert.deepEqual({ hit: counters['cache-hit'], miss: counters['cache-miss'] }, { hit: 1, miss: 2 });
	});

	it('concurrent misses for one key share one lookup', async () => {
		let calls = 0;
		let release!: (v: Record<string, string>) => void;
		const mw = enrich(
			() => {
				calls++;
				return new Promise<Record<string, string>>((r) => (release = r));
			},
			{ cacheTtlMs: 1000 },
		);
		const pending = [mw.process(msg({ source: 'a' })), mw.process(msg({ source: 'a' }))];
		assert.equal(calls, 1);
		release({ k: 'v' });
		const results = (await Promise.all(pending)) as Message[];
		assert.deepEqual(
			results.map((m) => m.metadata['k']),
			['v', 'v'],
		);
	});

	it('a lookup slower than timeoutMs fails the message: passed on unchanged, or rejected', async () => {
		const clock = install({ toFake: ['setTimeout', 'clearTimeout'] });
		try {
			const never = (): Promise<Record<string, string>> => new Promise(() => {});
			const pass = enrich(never, { timeoutMs: 50 });
			const { context, counters } = fakeContext();
			await pass.start?.(context);
			const m = msg();
			const passed = pass.process(m) as Promise<Message>;
			await clock.tickAsync(50);
			assert.equal(await passed, m);
			assert.equal(counters['enrich-failed'], 1);

			const drop = enrich(never, { timeoutMs: 50, onError: 'drop' });
			const dropped = drop.process(msg()) as Promise<unknown>;
			await clock.tickAsync(49);
			let settled = false;
			void dropped.then(() => (settled = true));
			await clock.tickAsync(0);
			assert.equal(settled, false, 'not before timeoutMs');
			await clock.tickAsync(1);
			const rejection = await dropped;
			assert.ok(rejection instanceof Rejection && rejection.label === 'enrich-failed');
			assert.match(rejection.cause?.message ?? '', /did not settle within 50 ms/);
			assert.equal(clock.countTimers(), 0, 'no timer left behind');
		} finally {
			clock.uninstall();
		}
	});

	it('a throwing or rejecting lookup, or a result that is not strings, fails the message', async () => {
		const cases: (() => Record<string, string> | Promise<Record<string, string>>)[] = [
			() => {
				throw new Error('db down');
			},
			() => Promise.reject(new Error('db down')),
			() => ({ n: 1 }) as unknown as Record<string, string>,
			() => null as unknown as Record<string, string>,
		];
		for (const lookup of cases) {
			const r = await enrich(lookup, { onError: 'drop' }).process(msg());
			assert.ok(r instanceof Rejection && r.label === 'enrich-failed' && r.cause instanceof Error);
			const m = msg();
			assert.equal(await enrich(lookup).process(m), m);
		}
		const bad = await enrich(() => ({ n: 1 }) as unknown as Record<string, string>, { onError: 'drop' }).process(msg());
		assert.ok(bad instanceof Rejection && bad.cause instanceof MessageValidationError && bad.cause.field === 'enrich result.n');
	});

	it('through a hub: failures are rejected with the cause, or passed and counted', async () => {
		const failing = async (): Promise<Record<string, string>> => {
			throw new Error('lookup failed');
		};
		const dropped = await throughHub([enrich(failing, { onError: 'drop' })], [{ source: 's', messageType: 't' }]);
		assert.equal(dropped.outputs[0]!.messages.length, 0);
		assert.equal(dropped.stats.middleware['enrich']!.counters['enrich-failed'], 1);
		const error = dropped.drops[0]?.error;
		assert.ok(error instanceof RejectedError && error.label === 'enrich-failed');
		assert.match(error.message, /lookup failed/);

		const passed = await throughHub([enrich(failing)], [{ source: 's', messageType: 't' }]);
		assert.equal(passed.outputs[0]!.messages.length, 1);
		assert.equal(passed.stats.middleware['enrich']!.counters['enrich-failed'], 1);
		assert.equal(passed.drops.length, 0);
	});

	it('the cache never holds more than cacheMaxEntries keys', () => {
		fc.assert(
			fc.property(fc.integer({ min: 1, max: 10 }), fc.array(fc.string({ maxLength: 2 }), { maxLength: 200 }), (max, keys) => {
				const mw = enrich(() => ({ x: '1' }), { cacheTtlMs: 60_000, cacheMaxEntries: max, key: (m) => m.metadata['k'] });
				for (const k of keys) {
					mw.process(msg({ metadata: { k } }));
					assert.ok(mw.cached <= max);
				}
			}),
			{ numRuns: 200 },
		);
	});

	it('validates its options with ConfigError naming the field', () => {
		const bad = (fn: () => unknown, field: string): void => assert.throws(fn, (e) => e instanceof ConfigError && e.field === field);
		const ok = (): Record<string, string> => ({});
		bad(() => enrich(null as never), 'enrich.lookup');
		bad(() => enrich(ok, { timeoutMs: -5 }), 'enrich.timeoutMs');
		bad(() => enrich(ok, { cacheTtlMs: Number.NaN }), 'enrich.cacheTtlMs');
		bad(() => enrich(ok, { cacheMaxEntries: 0 }), 'enrich.cacheMaxEntries');
		bad(() => enrich(ok, { onError: 'retry' as never }), 'enrich.onError');
		bad(() => enrich(ok, { key: 'x' as never }), 'enrich.key');
	});
});

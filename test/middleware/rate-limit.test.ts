import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { install } from '@sinonjs/fake-timers';
import fc from 'fast-check';
import { ConfigError, rateLimit, RejectedError, Rejection, type Message, type MiddlewareResult } from '../../src/index.js';
import { fakeContext, msg, startHub } from './support.js';

/** Passes in any window [t_i, t_j] of the sorted pass times stay within burst + perSecond × W / 1000. */
function assertWithinLimit(passTimes: readonly number[], perSecond: number, burst: number): void {
	for (let i = 0; i < passTimes.length; i++) {
		for (let j = i; j < passTimes.length; j++) {
			const allowed = burst + (perSecond * (passTimes[j]! - passTimes[i]!)) / 1000;
			if (j - i + 1 > allowed + 1e-9) assert.fail(`${j - i + 1} passed within [${passTimes[i]}, ${passTimes[j]}] ms, allowed ${allowed}`);
		}
	}
}

describe('rateLimit()', () => {
	it('drop mode: a burst passes, then one message per refilled token; the rest are rejected', () => {
		let now = 0;
		const mw = rateLimit({ perSecond: 10, burst: 3, now: () => now });
		const results = Array.from({ length: 5 }, () => mw.process(msg()));
		assert.deepEqual(
			results.map((r) => (r instanceof Rejection ? r.label : 'pass')),
			['pass', 'pass', 'pass', 'rate-limited', 'rate-limited'],
		);
		now = 99;
		assert.ok(mw.process(msg()) instanceof Rejection, 'not a whole token after 99 ms');
		now = 100;
		assert.ok(!(mw.process(msg()) instanceof Rejection), 'one token after 100 ms');
		now = 10_000;
		const after = Array.from({ length: 4 }, () => mw.process(msg()) instanceof Rejection);
		assert.deepEqual(after, [false, false, false, true], 'refills up to the burst only');
	});

	it('drop mode through a hub: rejected with reason rejected, counted and announced', async () => {
		const run = await startHub([rateLimit({ perSecond: 1, burst: 2, now: () => 0 })]);
		const outcome = await run.input.push(Array.from({ length: 5 }, (_, i) => ({ source: 's', messageType: 't', payload: String(i) })));
		await run.hub.stop();
		assert.equal(outcome.accepted, 2);
		assert.deepEqual(
			outcome.dropped.map((d) => d.reason),
			['rejected', 'rejected', 'rejected'],
		);
		const stats = run.hub.stats();
		assert.equal(stats.middleware['rate-limit']!.rejected, 3);
		assert.equal(stats.middleware['rate-limit']!.counters['rate-limited'], 3);
		assert.equal(stats.dropped.rejected, 3);
		assert.equal(
			run.drops.reduce((n, d) => n + d.messages.length, 0),
			3,
		);
		for (const { reason, error } of run.drops) {
			assert.equal(reason, 'rejected');
			assert.ok(error instanceof RejectedError && error.label === 'rate-limited' && error.middleware === 'rate-limit');
		}
	});

	it('delay mode: holds messages until their token is refilled, in arrival order, bounded by maxDelayMs', async () => {
		const clock = install({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
		try {
			const { context, counters } = fakeContext();
			const mw = rateLimit({ perSecond: 10, burst: 2, mode: 'delay', maxDelayMs: 250 });
			await mw.start?.(context);
			const released: [string, number][] = [];
			const results: MiddlewareResult[] = [];
			for (let i = 0; i < 6; i++) {
				const m = msg({ payload: String(i) });
				const r = mw.process(m);
				results.push(r);
				if (r instanceof Promise) void r.then((x: unknown) => released.push([Buffer.from((x as Message).payload).toString(), clock.now]));
			}
			assert.ok(!(results[0] instanceof Promise) && !(results[1] instanceof Promise), 'the burst passes synchronously');
			assert.ok(results[2] instanceof Promise, 'waits 100 ms');
			assert.ok(results[3] instanceof Promise, 'waits 200 ms');
			assert.ok(results[4] instanceof Rejection && results[4].label === 'rate-limited', 'would wait 300 ms > maxDelayMs');
			assert.ok(results[5] instanceof Rejection);
			assert.equal(counters['delayed'], 2);
			await clock.tickAsync(1000);
			assert.deepEqual(released, [
				['2', 100],
				['3', 200],
			]);
			const later = msg();
			assert.equal(mw.process(later), later, 'tokens again once the queue is empty');
		} finally {
			clock.uninstall();
		}
	});

	it('delay mode through a hub: every message arrives, in order', async () => {
		const run = await startHub([rateLimit({ perSecond: 200, burst: 1, mode: 'delay', maxDelayMs: 5000 })]);
		const outcome = await run.input.push(Array.from({ length: 6 }, (_, i) => ({ source: 's', messageType: 't', payload: String(i) })));
		assert.equal(outcome.accepted, 6);
		await run.hub.stop();
		assert.deepEqual(
			run.outputs[0]!.messages.map((m) => Buffer.from(m.payload).toString()),
			['0', '1', '2', '3', '4', '5'],
		);
		// Messages of a batch enter the middleware one after the other, so how many had to wait depends on the clock.
		const delayed = run.hub.stats().middleware['rate-limit']!.counters['delayed'] ?? 0;
		assert.ok(delayed >= 1 && delayed <= 5, `delayed ${delayed}`);
	});

	it('drop mode never exceeds the limit over any window, for any arrival sequence', () => {
		fc.assert(
			fc.property(
				fc.integer({ min: 1, max: 50 }),
				fc.integer({ min: 1, max: 10 }),
				fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 120 }),
				(perSecond, burst, gaps) => {
					let now = 0;
					const mw = rateLimit({ perSecond, burst, now: () => now });
					const passed: number[] = [];
					for (const gap of gaps) {
						now += gap;
						if (!(mw.process(msg()) instanceof Rejection)) passed.push(now);
					}
					assertWithinLimit(passed, perSecond, burst);
				},
			),
			{ numRuns: 300 },
		);
	});

	it('delay mode never exceeds the limit either, and never holds a message much longer than maxDelayMs', async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.integer({ min: 1, max: 50 }),
				fc.integer({ min: 1, max: 5 }),
				fc.integer({ min: 0, max: 500 }),
				fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 60 }),
				async (perSecond, burst, maxDelayMs, gaps) => {
					const clock = install({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
					try {
						const mw = rateLimit({ perSecond, burst, mode: 'delay', maxDelayMs });
						const passed: number[] = [];
						let rejected = 0;
						let holding = 0;
						let mostHeld = 0;
						const order: number[] = [];
						let longest = 0;
						for (const [i, gap] of gaps.entries()) {
							await clock.tickAsync(gap);
							const arrived = clock.now;
							const r = mw.process(msg());
							if (r instanceof Rejection) rejected++;
							else if (r instanceof Promise) {
								mostHeld = Math.max(mostHeld, ++holding);
								void r.then(() => {
									holding--;
									longest = Math.max(longest, clock.now - arrived);
									passed.push(clock.now);
									order.push(i);
								});
							} else {
								passed.push(clock.now);
								order.push(i);
							}
						}
						await clock.tickAsync(maxDelayMs + 10);
						assert.equal(passed.length + rejected, gaps.length, 'every message passed or was rejected');
						assert.deepEqual(order, [...order].sort((a, b) => a - b), 'released in arrival order');
						// Timers have 1 ms granularity: each message ahead may add up to 1 ms to the estimate.
						assert.ok(longest <= maxDelayMs + mostHeld, `held ${longest} ms with up to ${mostHeld} waiting`);
						assert.ok(mostHeld <= burst + (perSecond * maxDelayMs) / 1000, `held ${mostHeld} at once`);
						assertWithinLimit(
							passed.sort((a, b) => a - b),
							perSecond,
							burst,
						);
					} finally {
						clock.uninstall();
					}
				},
			),
			{ numRuns: 150 },
		);
	});

	it('validates its options with ConfigError naming the field', () => {
		const bad = (fn: () => unknown, field: string): void => assert.throws(fn, (e) => e instanceof ConfigError && e.field === field);
		bad(() => rateLimit({ perSecond: 0 }), 'rateLimit.perSecond');
		bad(() => rateLimit({ perSecond: Infinity }), 'rateLimit.perSecond');
		bad(() => rateLimit({} as never), 'rateLimit.perSecond');
		bad(() => rateLimit({ perSecond: 1, burst: 0 }), 'rateLimit.burst');
		bad(() => rateLimit({ perSecond: 1, burst: 1.5 }), 'rateLimit.burst');
		bad(() => rateLimit({ perSecond: 1, mode: 'queue' as never }), 'rateLimit.mode');
		bad(() => rateLimit({ perSecond: 1, maxDelayMs: -1 }), 'rateLimit.maxDelayMs');
		bad(() => rateLimit({ perSecond: 1, now: 5 as never }), 'rateLimit.now');
		bad(() => rateLimit(undefined as never), 'rateLimit.perSecond');
	});
});

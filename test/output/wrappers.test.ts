import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fallback, retry, SendTimeoutError, timeout, type Message, type Output } from '../../src/index.js';
import { MemoryOutput } from '../../src/testing/index.js';
import { fakeClock } from '../support/hub.js';

describe('timeout()', () => {
	it('rejects a send that does not settle in time and aborts its signal', async () => {
		const clock = fakeClock();
		try {
			let seen: AbortSignal | undefined;
			const never: Output = {
				name: 'never',
				send: (_batch, signal) => {
					seen = signal;
					return new Promise(() => {});
				},
			};
			const sending = timeout(never, 100).send([]);
			const check = assert.rejects(sending, (e: unknown) => e instanceof SendTimeoutError && e.output === 'never' && e.timeoutMs === 100);
			await clock.tickAsync(100);
			await check;
			assert.equal(seen?.aborted, true);
		} finally {
			clock.uninstall();
		}
	});

	it('passes a send that settles in time through', async () => {
		const out = new MemoryOutput('m');
		await timeout(out, 1000).send([]);
		assert.equal(out.sendCalls, 1);
	});

	it('forwards an abort of the caller signal', async () => {
		let seen: AbortSignal | undefined;
		const out: Output = { name: 'x', send: async (_b, signal) => void (seen = signal) };
		const controller = new AbortController();
		const sending = timeout(out, 1000).send([], controller.signal);
		controller.abort();
		await sending;
		assert.equal(seen?.aborted, true);
	});
});

describe('retry()', () => {
	it('retries until success', async () => {
		const out = new MemoryOutput('m').failNext(2);
		await retry(out, { attempts: 3, baseDelayMs: 1 }).send([]);
		assert.equal(out.sendCalls, 3);
	});

	it('gives up after the last attempt with the last error', async () => {
		const out = new MemoryOutput('m').failNext(5, new Error('nope'));
		await assert.rejects(retry(out, { attempts: 2, baseDelayMs: 1 }).send([]), /nope/);
		assert.equal(out.sendCalls, 2);
	});

	it('does not retry what retryable refuses', async () => {
		const out = new MemoryOutput('m').failNext(5, new Error('fatal'));
		await assert.rejects(retry(out, { attempts: 5, retryable: (e) => e.message !== 'fatal' }).send([]), /fatal/);
		assert.equal(out.sendCalls, 1);
	});
});

describe('fallback()', () => {
	const batch: Message[] = [];

	it('uses the secondary only when the primary fails', async () => {
		const primary = new MemoryOutput('p').failNext(1);
		const secondary = new MemoryOutput('s');
		const out = fallback(primary, secondary);
		assert.equal(out.name, 'p');
		await out.send(batch);
		await out.send(batch);
		assert.equal(primary.batches.length, 1);
		assert.equal(secondary.batches.length, 1);
	});

	it('fails when both fail, with the primary error as cause', async () => {
		const primaryError = new Error('primary down');
		const out = fallback(new MemoryOutput('p').failNext(1, primaryError), new MemoryOutput('s').failNext(1, new Error('secondary down')), 'both');
		await assert.rejects(out.send(batch), (e: unknown) => e instanceof Error && e.message === 'secondary down' && e.cause === primaryError);
	});

	it('is healthy when either is, and closes both', async () => {
		const primary = new MemoryOutput('p');
		const secondary = new MemoryOutput('s');
		const out = fallback(primary, secondary);
		primary.healthy = false;
		assert.equal(await out.health!(), true);
		secondary.healthy = false;
		assert.equal(await out.health!(), false);
		await out.close!();
		assert.ok(primary.closed && secondary.closed);
	});
});

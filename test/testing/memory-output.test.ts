import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMessage, PolkuError } from '../../src/index.js';
import { MemoryOutput } from '../../src/testing/index.js';
import { fakeClock } from '../support/hub.js';

const batch = [createMessage({ source: 's', messageType: 't' })];

describe('MemoryOutput', () => {
	it('collects messages and batches', async () => {
		const out = new MemoryOutput({ name: 'm' });
		await out.send(batch);
		await out.send([...batch, ...batch]);
		assert.equal(out.name, 'm');
		assert.equal(out.messages.length, 3);
		assert.deepEqual(out.batches.map((b) => b.length), [1, 2]);
		assert.equal(out.sendCalls, 2);
	});

	it('failNext(n) rejects the next n sends, with the given error', async () => {
		const boom = new Error('boom');
		const out = new MemoryOutput().failNext(2, boom);
		await assert.rejects(out.send(batch), boom);
		await assert.rejects(out.send(batch), boom);
		await out.send(batch);
		assert.equal(out.failures, 2);
		assert.equal(out.messages.length, 1);
	});

	it('failRate fails with the given probability using the given random source', async () => {
		const values = [0.1, 0.9, 0.2, 0.8];
		const out = new MemoryOutput({ failRate: 0.5, random: () => values.shift()! });
		const results = await Promise.allSettled([out.send(batch), out.send(batch), out.send(batch), out.send(batch)]);
		assert.deepEqual(results.map((r) => r.status), ['rejected', 'fulfilled', 'rejected', 'fulfilled']);
		assert.ok((results[0] as PromiseRejectedResult).reason instanceof PolkuError);
	});

	it('latency delays every send', async () => {
		const clock = fakeClock();
		try {
			const out = new MemoryOutput().latency(50);
			let done = false;
			void out.send(batch).then(() => (done = true));
			await clock.tickAsync(49);
			assert.equal(done, false);
			await clock.tickAsync(1);
			assert.equal(done, true);
		} finally {
			clock.uninstall();
		}
	});

	it('hang() holds sends until release()', async () => {
		const out = new MemoryOutput().hang();
		let done = false;
		const sending = out.send(batch).then(() => (done = true));
		await new Promise((r) => setImmediate(r));
		assert.equal(done, false);
		assert.equal(out.hanging, 1);
		out.release();
		await sending;
		assert.equal(out.messages.length, 1);
		assert.equal(out.hanging, 0);
	});

	it('waitFor resolves once enough messages arrived and rejects after its timeout', async () => {
		const out = new MemoryOutput('w');
		const waiting = out.waitFor(2);
		await out.send(batch);
		await out.send(batch);
		await waiting;
		await assert.rejects(out.waitFor(5, 10), /w: 2 of 5 messages after 10 ms/);
	});

	it('health() and close()', async () => {
		const out = new MemoryOutput();
		assert.equal(out.health(), true);
		out.healthy = false;
		assert.equal(out.health(), false);
		await out.close();
		assert.equal(out.closed, true);
	});
});

describe('MemoryOutput signal and unreachable mode', () => {
	it('a send whose signal is already aborted rejects and records nothing', async () => {
		const out = new MemoryOutput();
		const controller = new AbortController();
		controller.abort(new Error('stop'));
		await assert.rejects(out.send(batch, controller.signal), (e: unknown) => e instanceof PolkuError && e.code === 'ERR_POLKU_ABORTED');
		assert.equal(out.messages.length, 0);
		assert.equal(out.failures, 1);
	});

	it('an abort rejects a send waiting for its latency or hanging', async () => {
		const out = new MemoryOutput().latency(10_000);
		const a = new AbortController();
		const slow = out.send(batch, a.signal);
		a.abort();
		await assert.rejects(slow, /send aborted/);
		out.latency(0).hang();
		const b = new AbortController();
		const hung = out.send(batch, b.signal);
		await new Promise((r) => setImmediate(r));
		assert.equal(out.hanging, 1);
		b.abort();
		await assert.rejects(hung, /send aborted/);
		assert.equal(out.hanging, 0);
		out.release();
		assert.equal(out.messages.length, 0);
	});

	it('unreachable(ms) fails sends after ms and makes health() false until reachable()', async () => {
		const clock = fakeClock();
		try {
			const out = new MemoryOutput('db').unreachable(500);
			assert.equal(out.health(), false);
			const result: { error?: unknown } = {};
			out.send(batch).catch((e: unknown) => (result.error = e));
			await clock.tickAsync(499);
			assert.ok(!('error' in result));
			await clock.tickAsync(1);
			const error = result.error;
			assert.ok(error instanceof PolkuError && error.code === 'ERR_POLKU_UNREACHABLE' && /db: destination unreachable/.test(error.message));
			out.reachable();
			assert.equal(out.health(), true);
			await out.send(batch);
			assert.equal(out.messages.length, 1);
		} finally {
			clock.uninstall();
		}
	});
});

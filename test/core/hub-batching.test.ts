import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Clock } from '@sinonjs/fake-timers';
import { Hub } from '../../src/index.js';
import { MemoryInput, MemoryOutput } from '../../src/testing/index.js';
import { fakeClock, inits } from '../support/hub.js';

describe('Hub batching', () => {
	let clock: Clock;
	beforeEach(() => {
		clock = fakeClock();
	});
	afterEach(() => clock.uninstall());

	it('sends a batch as soon as batchSize messages are buffered', async () => {
		const input = new MemoryInput();
		const out = new MemoryOutput();
		const hub = Hub.builder().batchSize(3).flushInterval(1000).input(input).output(out).build();
		await hub.start();
		await input.push(inits(7));
		await clock.tickAsync(0);
		assert.deepEqual(out.batches.map((b) => b.length), [3, 3], 'two full batches, no timer needed');
		await clock.tickAsync(999);
		assert.deepEqual(out.batches.map((b) => b.length), [3, 3]);
		await clock.tickAsync(1);
		assert.deepEqual(out.batches.map((b) => b.length), [3, 3, 1], 'the partial batch after flushInterval');
		await hub.stop();
	});

	it('sends a partial batch flushInterval after its first message', async () => {
		const input = new MemoryInput();
		const out = new MemoryOutput();
		const hub = Hub.builder().batchSize(100).flushInterval(50).input(input).output(out).build();
		await hub.start();
		await input.push(inits(1));
		await clock.tickAsync(30);
		await input.push(inits(2));
		await clock.tickAsync(19);
		assert.equal(out.batches.length, 0);
		await clock.tickAsync(1);
		assert.deepEqual(out.batches.map((b) => b.length), [3]);
		await hub.stop();
	});

	it('applies per-output batchSize and flushInterval independently', async () => {
		const input = new MemoryInput();
		const fast = new MemoryOutput('fast');
		const slow = new MemoryOutput('slow');
		const hub = Hub.builder()
			.input(input)
			.output(fast, { batchSize: 2, flushInterval: 0 })
			.output(slow, { batchSize: 10, flushInterval: 100 })
			.build();
		await hub.start();
		await input.push(inits(5));
		await clock.tickAsync(0);
		assert.deepEqual(fast.batches.map((b) => b.length), [2, 2, 1]);
		assert.equal(slow.batches.length, 0);
		await clock.tickAsync(100);
		assert.deepEqual(slow.batches.map((b) => b.length), [5]);
		await hub.stop();
	});

	it('keeps one batch in flight per output, in order', async () => {
		const input = new MemoryInput();
		const out = new MemoryOutput().latency(10);
		const hub = Hub.builder().batchSize(2).flushInterval(0).input(input).output(out).build();
		await hub.start();
		await input.push(inits(6));
		await clock.tickAsync(0);
		assert.equal(out.sendCalls, 1);
		await clock.tickAsync(10);
		assert.equal(out.sendCalls, 2);
		await clock.tickAsync(20);
		assert.deepEqual(out.messages.map((m) => m.messageType), ['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
		await hub.stop();
	});
});

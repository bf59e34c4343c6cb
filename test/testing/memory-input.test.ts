import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hub, PolkuError } from '../../src/index.js';
import { MemoryInput, MemoryOutput } from '../../src/testing/index.js';
import { init, inits } from '../support/hub.js';

describe('MemoryInput', () => {
	it('push waits for the hub to start, then sends one message or a batch', async () => {
		const input = new MemoryInput('mem');
		const out = new MemoryOutput();
		const hub = Hub.builder().input(input).output(out).build();
		const early = input.push(init(1));
		await hub.start();
		const one = await early;
		assert.equal(one.status, 'accepted');
		const batch = await input.push(inits(3));
		assert.equal(batch.accepted, 3);
		await hub.stop();
		assert.equal(out.messages.length, 4);
		assert.equal(hub.stats().inputs['mem']!.sent, 4);
	});

	it('deliver resolves when the outputs confirmed', async () => {
		const input = new MemoryInput();
		const out = new MemoryOutput();
		const hub = Hub.builder().input(input).output(out).build();
		await hub.start();
		const outcome = await input.deliver(init(1));
		assert.equal(outcome.status, 'delivered');
		assert.equal(out.messages.length, 1, 'already in the output when deliver resolved');
		assert.deepEqual(await input.deliver(inits(2)), { delivered: 2, filtered: 0, failed: [] });
		await hub.stop();
	});

	it('end() makes run() return and further pushes reject', async () => {
		const input = new MemoryInput();
		const hub = Hub.builder().input(input).output(new MemoryOutput()).build();
		await hub.start();
		input.end();
		assert.equal(input.ended, true);
		await assert.rejects(input.push(init(1)), (e: unknown) => e instanceof PolkuError && e.code === 'ERR_POLKU_INPUT_ENDED');
		await new Promise((r) => setImmediate(r));
		assert.equal(hub.stats().inputs['memory']!.running, false);
		await hub.stop();
	});
});

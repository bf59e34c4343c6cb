import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hub } from '../../src/index.js';
import { MemoryInput, MemoryOutput } from '../../src/testing/index.js';
import { conservationErrors, fakeClock, init, inits, recordDrops, turns } from '../support/hub.js';

describe('Hub isolation between outputs', () => {
	it('a hanging output does not delay the others until the buffer is full', async () => {
		const input = new MemoryInput();
		const stuck = new MemoryOutput('stuck').hang();
		const fine = new MemoryOutput('fine');
		const hub = Hub.builder().bufferCapacity(100).batchSize(10).flushInterval(0).input(input).output(stuck).output(fine).build();
		await hub.start();
		await input.push(inits(90));
		await fine.waitFor(90);
		assert.equal(stuck.hanging, 1);
		const s = hub.stats();
		assert.equal(s.outputs['stuck']!.pending, 90);
		assert.equal(s.outputs['stuck']!.inFlight, 10);
		assert.equal(s.buffer.size, 80, 'the stuck output still holds what it has not taken');
		stuck.release();
		await hub.stop();
		assert.equal(stuck.messages.length, 90);
	});

	it('a slow output only slows itself', async () => {
		const clock = fakeClock();
		try {
			const input = new MemoryInput();
			const slow = new MemoryOutput('slow').latency(100);
			const fast = new MemoryOutput('fast');
			const hub = Hub.builder().batchSize(5).flushInterval(0).input(input).output(slow).output(fast).build();
			await hub.start();
			await input.push(inits(20));
			await clock.tickAsync(0);
			assert.equal(fast.messages.length, 20, 'the fast output has everything at once');
			assert.equal(slow.messages.length, 0);
			await clock.tickAsync(100);
			assert.equal(slow.messages.length, 5, 'the slow output advances one batch per 100 ms');
			const stopping = hub.stop();
			await clock.tickAsync(300);
			await stopping;
			assert.equal(slow.messages.length, 20);
		} finally {
			clock.uninstall();
		}
	});

	it('block: senders wait for space while an output lags, and nothing is lost', async () => {
		const input = new MemoryInput();
		const stuck = new MemoryOutput('stuck').hang();
		const fine = new MemoryOutput('fine');
		const hub = Hub.builder().bufferCapacity(10).batchSize(5).flushInterval(0).overflow('block').input(input).output(stuck).output(fine).build();
		await hub.start();
		let settled = false;
		const pushing = input.push(inits(30)).then((o) => {
			settled = true;
			return o;
		});
		await turns(5);
		assert.equal(settled, false, 'the sender is blocked');
		const s = hub.stats();
		assert.equal(s.buffer.size, 10);
		assert.equal(s.pressure, 1);
		assert.ok(s.admitting > 0);
		assert.deepEqual(conservationErrors(s), [], 'identities hold mid-flight');
		stuck.release();
		const outcome = await pushing;
		assert.equal(outcome.accepted, 30);
		await hub.stop();
		assert.equal(stuck.messages.length, 30);
		assert.equal(fine.messages.length, 30);
		assert.deepEqual(fine.messages.map((m) => m.messageType), inits(30).map((m) => m.messageType), 'order kept');
	});

	it('block: later senders queue behind earlier ones (FIFO)', async () => {
		const input = new MemoryInput();
		const out = new MemoryOutput('out').hang();
		const hub = Hub.builder().bufferCapacity(2).batchSize(1).flushInterval(0).input(input).output(out).build();
		await hub.start();
		const first = input.push(inits(5, { source: 'first' }));
		await turns(2);
		const second = input.push(inits(2, { source: 'second' }));
		await turns(2);
		out.release();
		await Promise.all([first, second]);
		await hub.stop();
		assert.deepEqual(out.messages.map((m) => m.source), ['first', 'first', 'first', 'first', 'first', 'second', 'second']);
	});

	it('block: a sender whose signal aborts stops waiting; what was not admitted is dropped as overflow', async () => {
		const input = new MemoryInput();
		const stuck = new MemoryOutput('stuck').hang();
		const hub = Hub.builder().bufferCapacity(4).batchSize(2).flushInterval(0).input(input).output(stuck).build();
		const drops = recordDrops(hub);
		await hub.start();
		const controller = new AbortController();
		const first = hub.sendBatch(inits(10), { signal: controller.signal });
		await turns(3);
		const behind = hub.sendBatch(inits(1, { source: 'behind' })); // queued behind the blocked sender
		await turns(1);
		controller.abort(new Error('client gone'));
		const outcome = await first;
		assert.equal(outcome.accepted, 6, '2 in flight + 4 buffered');
		assert.deepEqual(outcome.dropped.map((d) => d.index), [6, 7, 8, 9]);
		assert.ok(outcome.dropped.every((d) => d.reason === 'overflow' && (d.error as { code?: string }).code === 'ERR_POLKU_SEND_ABORTED'));
		assert.deepEqual(drops.map((d) => [d.reason, d.messages.length]), [['overflow', 4]]);
		stuck.release();
		assert.equal((await behind).accepted, 1, 'the sender behind it still gets in');
		await hub.stop();
		assert.equal(stuck.messages.length, 7);
		assert.deepEqual(conservationErrors(hub.stats()), []);
		// Already aborted: nothing waits at all.
		const late = await hub.sendBatch(inits(1), { signal: AbortSignal.abort() });
		assert.equal(late.dropped[0]!.reason, 'shutdown', 'after stop, shutdown wins');
	});

	it('maxPending: a stalled output keeps only its newest messages and never blocks the senders', async () => {
		const input = new MemoryInput();
		const stuck = new MemoryOutput('stuck').hang();
		const fine = new MemoryOutput('fine');
		const hub = Hub.builder()
			.bufferCapacity(100)
			.batchSize(5)
			.flushInterval(0)
			.overflow('block')
			.input(input)
			.output(stuck, { maxPending: 10 })
			.output(fine)
			.build();
		const drops = recordDrops(hub);
		await hub.start();
		const outcome = await input.push(inits(500)); // far more than the buffer holds: it must not block
		assert.equal(outcome.accepted, 500);
		await fine.waitFor(500);
		const s = hub.stats();
		const pending = s.outputs['stuck']!.pending - 5; // 5 in flight
		assert.ok(pending >= 9 && pending <= 10, `between 7/8 of maxPending and maxPending wait, got ${pending}`);
		assert.equal(s.outputs['stuck']!.dropped.overflow, 495 - pending);
		assert.ok(s.buffer.size <= 10);
		assert.ok(drops.every((d) => d.reason === 'overflow' && d.output === 'stuck'));
		assert.deepEqual(conservationErrors(s), []);
		stuck.release();
		await hub.stop();
		assert.deepEqual(stuck.messages.map((m) => m.messageType), ['m0', 'm1', 'm2', 'm3', 'm4', ...inits(500).slice(500 - pending).map((m) => m.messageType)]);
	});

	it('maxPending must be between the batch size and the capacity, and is not for dead-letter outputs', () => {
		assert.throws(() => Hub.builder().bufferCapacity(100).output(new MemoryOutput('o'), { batchSize: 10, maxPending: 9 }).build(), { field: 'output "o".maxPending' });
		assert.throws(() => Hub.builder().bufferCapacity(100).output(new MemoryOutput('o'), { maxPending: 101 }).build(), { field: 'output "o".maxPending' });
	});

	it('drop-newest: new messages are dropped with reason overflow before the buffer', async () => {
		const input = new MemoryInput();
		const out = new MemoryOutput('out').hang();
		const hub = Hub.builder().bufferCapacity(4).batchSize(2).flushInterval(0).overflow('drop-newest').input(input).output(out).build();
		const drops = recordDrops(hub);
		await hub.start();
		await input.push(inits(2)); // taken into the hanging batch
		await turns();
		const outcome = await input.push(inits(6));
		assert.equal(outcome.accepted, 4);
		assert.deepEqual(outcome.dropped.map((d) => [d.index, d.reason]), [
			[4, 'overflow'],
			[5, 'overflow'],
		]);
		assert.equal(drops.length, 1);
		assert.equal(drops[0]!.reason, 'overflow');
		assert.equal(drops[0]!.output, undefined);
		assert.deepEqual(drops[0]!.messages.map((m) => m.messageType), ['m4', 'm5']);
		assert.equal(hub.stats().dropped.overflow, 2);
		out.release();
		await hub.stop();
		assert.equal(out.messages.length, 6);
	});

	it('drop-oldest: drops from the lagging output view only, naming it, and counts per output', async () => {
		const input = new MemoryInput();
		const stuck = new MemoryOutput('stuck').hang();
		const fine = new MemoryOutput('fine');
		const hub = Hub.builder().bufferCapacity(5).batchSize(1).flushInterval(0).overflow('drop-oldest').input(input).output(stuck).output(fine).build();
		const drops = recordDrops(hub);
		await hub.start();
		for (let i = 0; i < 12; i++) {
			assert.equal((await input.push(init(i))).status, 'accepted');
			await turns(1);
		}
		await fine.waitFor(12);
		const s = hub.stats();
		assert.equal(s.dropped.overflow, 0, 'nothing dropped before the buffer');
		assert.equal(s.outputs['fine']!.dropped.overflow, 0);
		assert.equal(s.outputs['stuck']!.dropped.overflow, 6, '12 - 1 in flight - 5 buffered');
		assert.ok(drops.every((d) => d.reason === 'overflow' && d.output === 'stuck'));
		assert.deepEqual(drops.flatMap((d) => d.messages.map((m) => m.messageType)), ['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
		stuck.release();
		await hub.stop();
		assert.deepEqual(stuck.messages.map((m) => m.messageType), ['m0', 'm7', 'm8', 'm9', 'm10', 'm11'], 'it keeps the newest');
		assert.deepEqual(conservationErrors(hub.stats()), []);
	});
});

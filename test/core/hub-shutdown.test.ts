import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hub, type Input, type Message, type Middleware, type MiddlewareContext } from '../../src/index.js';
import { MemoryInput, MemoryOutput } from '../../src/testing/index.js';
import { conservationErrors, fakeClock, init, inits, recordDrops, sum, turns } from '../support/hub.js';

describe('Hub.stop', () => {
	it('aborts the inputs, drains everything buffered, then closes the outputs', async () => {
		const order: string[] = [];
		const input: Input = {
			name: 'ticker',
			run: async (sink, signal) => {
				await sink.sendBatch(inits(5));
				await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
				order.push('input returned');
				await sink.send(init(99)); // a last message on the way out is still accepted
			},
		};
		const out = new MemoryOutput();
		const close = out.close.bind(out);
		out.close = async () => {
			order.push(`close with ${out.messages.length} delivered`);
			await close();
		};
		const hub = Hub.builder().batchSize(100).flushInterval(60_000).input(input).output(out).build();
		await hub.start();
		await turns();
		assert.equal(out.messages.length, 0, 'held by the long flush interval');
		const result = await hub.stop();
		assert.equal(result.drained, true);
		assert.deepEqual(order, ['input returned', 'close with 6 delivered']);
		assert.equal(hub.state, 'stopped');
		const s = hub.stats();
		assert.equal(s.outputs['memory']!.pending, 0);
		assert.equal(s.buffer.size, 0);
	});

	it('retries during the drain', async () => {
		const input = new MemoryInput();
		const out = new MemoryOutput().failNext(2);
		const hub = Hub.builder().flushInterval(60_000).input(input).output(out, { retry: { attempts: 3, baseDelayMs: 5 } }).build();
		await hub.start();
		await input.push(inits(3));
		await hub.stop();
		assert.equal(out.messages.length, 3);
	});

	it('at the deadline drops what is left with reason shutdown, naming the output, in-flight batch included', async () => {
		const clock = fakeClock();
		try {
			const input = new MemoryInput();
			const stuck = new MemoryOutput('stuck').hang();
			const fine = new MemoryOutput('fine');
			const hub = Hub.builder().bufferCapacity(10).batchSize(4).flushInterval(0).input(input).output(stuck).output(fine).build();
			const drops = recordDrops(hub);
			await hub.start();
			await input.push(inits(9));
			await clock.tickAsync(0);
			const stopping = hub.stop({ timeoutMs: 1000 });
			await clock.tickAsync(999);
			assert.equal(hub.state, 'stopping');
			await clock.tickAsync(1);
			const result = await stopping;
			assert.equal(result.drained, false);
			assert.equal(fine.messages.length, 9);
			const shutdown = drops.filter((d) => d.reason === 'shutdown');
			assert.ok(shutdown.every((d) => d.output === 'stuck'));
			assert.equal(shutdown.reduce((n, d) => n + d.messages.length, 0), 9, '4 in flight + 5 buffered');
			const s = hub.stats();
			assert.equal(s.outputs['stuck']!.dropped.shutdown, 9);
			assert.equal(s.outputs['stuck']!.pending, 0);
			assert.deepEqual(conservationErrors(s), []);
			assert.equal(stuck.closed, true);
			// The hanging send completing late changes nothing.
			stuck.release();
			await clock.tickAsync(10);
			assert.equal(hub.stats().outputs['stuck']!.delivered, 0);
		} finally {
			clock.uninstall();
		}
	});

	it('drops senders still blocked at the deadline with reason shutdown', async () => {
		const input = new MemoryInput();
		const stuck = new MemoryOutput('stuck').hang();
		const hub = Hub.builder().bufferCapacity(2).batchSize(1).flushInterval(0).input(input).output(stuck).build();
		await hub.start();
		const pushing = input.push(inits(10));
		await turns();
		await hub.stop({ timeoutMs: 20 });
		const outcome = await pushing;
		assert.equal(outcome.accepted, 3, 'one in flight and two buffered');
		assert.equal(outcome.dropped.length, 7);
		assert.ok(outcome.dropped.every((d) => d.reason === 'shutdown'));
		const s = hub.stats();
		assert.equal(s.admitting, 0);
		assert.equal(s.received, 10);
		assert.deepEqual(conservationErrors(s), []);
	});

	it('sends after stop resolve as dropped with reason shutdown', async () => {
		const hub = Hub.builder().output(new MemoryOutput()).build();
		await hub.start();
		await hub.stop();
		const outcome = await hub.send(init(1));
		assert.equal(outcome.status, 'dropped');
		assert.equal(outcome.status === 'dropped' && outcome.reason, 'shutdown');
		assert.equal(hub.stats().dropped.shutdown, 1);
	});

	it('is idempotent: a second call returns the same promise', async () => {
		const hub = Hub.builder().output(new MemoryOutput()).build();
		await hub.start();
		assert.equal(hub.stop(), hub.stop());
		await hub.stop();
	});

	it('lets middleware release held messages before draining', async () => {
		let held: Message[] = [];
		let context: MiddlewareContext | undefined;
		const holder: Middleware = {
			name: 'holder',
			start: (c) => {
				context = c;
			},
			process: (m) => {
				held.push(m);
				return null;
			},
			stop: async () => {
				const release = held;
				held = [];
				for (const m of release) await context!.emit({ ...m, messageType: 'released' });
			},
		};
		const input = new MemoryInput();
		const out = new MemoryOutput();
		const hub = Hub.builder().input(input).middleware(holder).output(out).build();
		await hub.start();
		await input.push(inits(3));
		await hub.stop();
		assert.deepEqual(out.messages.map((m) => m.messageType), ['released', 'released', 'released']);
		const s = hub.stats();
		assert.equal(s.received, 6, '3 absorbed (filtered) + 3 emitted');
		assert.equal(s.filtered, 3);
		assert.equal(sum(s.dropped), 0);
	});

	it('reports an output whose close() hangs and still stops', async () => {
		const hanging = new MemoryOutput('h');
		hanging.close = () => new Promise(() => {});
		const hub = Hub.builder().output(hanging).build();
		const errors: string[] = [];
		hub.on('error', (_error, ctx) => errors.push(`${ctx.kind}:${ctx.name}`));
		await hub.start();
		await hub.stop({ timeoutMs: 0 });
		assert.deepEqual(errors, ['output:h']);
		assert.equal(hub.state, 'stopped');
	});
});

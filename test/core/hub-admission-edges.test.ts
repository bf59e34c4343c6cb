// Admission and accounting edges found by an outside review (hardening issue, items 1, 2, 6 and 8-12).
import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { describe, it } from 'node:test';
import { dedup, enrich, Hub, PolkuError, type Logger, type Message, type Middleware, type Output } from '../../src/index.js';
import { MemoryInput, MemoryOutput } from '../../src/testing/index.js';
import { conservationErrors, fakeClock, init, inits, recordDrops, turns } from '../support/hub.js';

class CountingOutput implements Output {
	count = 0;
	sends = 0;
	constructor(readonly name: string) {}
	async send(batch: readonly Message[]): Promise<void> {
		this.sends++;
		this.count += batch.length;
	}
}

function capturingLogger(): { logger: Logger; warnings: { fields: Record<string, unknown>; msg: string | undefined }[] } {
	const warnings: { fields: Record<string, unknown>; msg: string | undefined }[] = [];
	const noop = (): void => {};
	return {
		warnings,
		logger: { debug: noop, info: noop, error: noop, warn: (fields: object, msg?: string) => void warnings.push({ fields: fields as Record<string, unknown>, msg }) },
	};
}

describe('Hub.send under block (blocked senders wait in one FIFO)', () => {
	it('stop() with 100 000 blocked senders drops them all as shutdown, announced in one drop event', async () => {
		const hub = Hub.builder().bufferCapacity(100).output(new MemoryOutput().hang()).build();
		const drops = recordDrops(hub);
		await hub.start();
		const pending = Array.from({ length: 100_100 }, (_, i) => hub.send(init(i)));
		await turns();
		const result = await hub.stop({ timeoutMs: 50 });
		const outcomes = await Promise.all(pending);
		assert.equal(result.drained, false);
		const blocked = outcomes.filter((o) => o.status === 'dropped').length;
		assert.ok(blocked >= 99_000, `${blocked} senders were still blocked at the deadline`);
		const shutdown = drops.filter((d) => d.reason === 'shutdown' && d.output === undefined);
		assert.equal(shutdown.length, 1, 'the blocked senders are announced together');
		assert.equal(shutdown[0]!.messages.length, blocked);
		assert.deepEqual(conservationErrors(hub.stats()), []);
	});

	it('a sender whose signal aborts leaves the middle of the queue; the others keep their order', async () => {
		const out = new MemoryOutput().hang();
		const hub = Hub.builder().bufferCapacity(10).batchSize(10).output(out).build();
		await hub.start();
		await hub.sendBatch(inits(20)); // 10 in flight, 10 buffered: full
		const controllers = Array.from({ length: 5 }, () => new AbortController());
		const calls = controllers.map((c, i) => hub.sendBatch([init(100 + i)], { signal: c.signal }));
		controllers[2]!.abort();
		const withdrawn = await calls[2]!;
		assert.equal(withdrawn.dropped[0]!.reason, 'overflow');
		out.release();
		await Promise.all(calls);
		await hub.stop();
		assert.deepEqual(
			out.messages.slice(20).map((m) => m.messageType),
			['m100', 'm101', 'm103', 'm104'],
		);
	});
});

describe('Hub.send (the one-message path)', () => {
	it('creates one promise per call when every middleware is synchronous', async () => {
		const stamp: Middleware = { name: 'stamp', process: (m) => ({ ...m, metadata: { ...m.metadata, k: 'v' } }) };
		const keep: Middleware = { name: 'keep', process: (m) => m };
		const out = new CountingOutput('out');
		const hub = Hub.builder().bufferCapacity(10_000).middleware(stamp, keep).output(out).build();
		await hub.start();
		const messages = inits(2_000).map((m) => ({ ...m }));
		let promises = 0;
		const hook = createHook({
			init(_id, type) {
				if (type === 'PROMISE') promises++;
			},
		});
		hook.enable();
		for (const m of messages) await hub.send(m);
		hook.disable();
		await hub.stop();
		assert.equal(out.count, 2_000);
		// The caller's `await` adds one of its own per call; polku adds one (the returned promise).
		assert.ok(promises / messages.length <= 2.05, `${(promises / messages.length).toFixed(2)} promises per send`);
	});
});

describe('dedup() and at-least-once delivery', () => {
	it('a redelivery of a message whose delivery failed passes (the key is forgotten) and is delivered', async () => {
		const out = new MemoryOutput().failNext(1);
		const hub = Hub.builder().middleware(dedup()).output(out, { retry: false }).build();
		await hub.start();
		const message = { id: 'order-1', source: 'kafka', messageType: 'order', payload: '{}' };
		await assert.rejects(hub.deliver(message), { reason: 'output-failed' });
		assert.deepEqual(await hub.deliver(message), { status: 'delivered', id: 'order-1' });
		assert.equal((await hub.deliver(message)).status, 'filtered', 'once delivered, a repeat is a duplicate');
		await hub.stop();
		assert.equal(out.messages.length, 1);
	});

	it('a repeat that arrives while the first is still being delivered waits for its fate', async () => {
		const out = new MemoryOutput().hang();
		const hub = Hub.builder().middleware(dedup()).output(out, { retry: false }).build();
		await hub.start();
		const message = { id: 'order-2', source: 'kafka', messageType: 'order' };
		const first = hub.deliver(message).catch((e: unknown) => e);
		const second = hub.deliver(message);
		await turns();
		out.failNext(1).release();
		assert.equal(((await first) as { reason: string }).reason, 'output-failed');
		assert.deepEqual(await second, { status: 'delivered', id: 'order-2' }, 'the repeat took the failed one’s place');
		await hub.stop();
	});

	it('a message rejected by a later middleware is forgotten too', async () => {
		let fail = true;
		const flaky: Middleware = { name: 'flaky', process: (m) => (fail ? ((fail = false), Promise.reject(new Error('down'))) : m) };
		const out = new MemoryOutput();
		const hub = Hub.builder().middleware(dedup(), flaky).output(out).build();
		await hub.start();
		const message = { id: 'x', source: 's', messageType: 't' };
		assert.equal((await hub.send(message)).status, 'dropped');
		assert.equal((await hub.send(message)).status, 'accepted');
		await hub.stop();
		assert.equal(out.messages.length, 1);
	});
});

describe('Hub flushInterval', () => {
	it('is honoured while messages are inside async middleware (they no longer make the lanes send at once)', async () => {
		const clock = fakeClock();
		try {
			const out = new CountingOutput('out');
			const hanging = enrich(() => new Promise(() => {}), { timeoutMs: Infinity });
			const gate: Middleware = { name: 'gate', process: (m) => (m.messageType === 'slow' ? hanging.process(m) : m) };
			const hub = Hub.builder().batchSize(100).flushInterval(50).middleware(gate).output(out).build();
			await hub.start();
			void hub.send({ source: 's', messageType: 'slow' });
			await hub.send(init(1));
			await clock.tickAsync(10);
			assert.equal(out.sends, 0, 'a partial batch waits for flushInterval');
			await clock.tickAsync(45);
			assert.equal(out.sends, 1);
			void hub.stop({ timeoutMs: 10 });
			await clock.tickAsync(20);
		} finally {
			clock.uninstall();
		}
	});
});

describe('Hub.sendBatch', () => {
	it("works on its own copy: a caller shortening its array while the batch waits does not wedge the hub", async () => {
		const out = new MemoryOutput().hang();
		const hub = Hub.builder().bufferCapacity(10).batchSize(5).output(out).build();
		await hub.start();
		const batch = inits(25).map((m) => ({ ...m }));
		const messages = batch.map((m, i) => ({ ...m, id: `b${i}`, timestamp: 1n, metadata: {}, payload: new Uint8Array(0), routeTo: [] }));
		const sent = hub.sendBatch(messages);
		await turns();
		messages.length = 3;
		out.release();
		const outcome = await sent;
		assert.equal(outcome.accepted, 25);
		assert.equal((await hub.send(init(99))).status, 'accepted', 'a later send is not stuck behind it');
		await hub.stop();
		assert.equal(out.messages.length, 26);
	});
});

describe('Output failures', () => {
	it('an output rejecting with a null-prototype object fails the batch cleanly (no unhandled rejection, lane not stuck)', async () => {
		const weird = Object.create(null) as object;
		let calls = 0;
		const output: Output = {
			name: 'weird',
			send: async () => {
				calls++;
				if (calls === 1) throw weird;
			},
		};
		const unhandled: unknown[] = [];
		const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
		process.on('unhandledRejection', onUnhandled);
		try {
			const hub = Hub.builder().flushInterval(0).output(output, { retry: false }).build();
			const drops = recordDrops(hub);
			await hub.start();
			await hub.send(init(1));
			await turns(5);
			await hub.send(init(2));
			await hub.stop({ timeoutMs: 1_000 });
			assert.equal(drops[0]!.reason, 'output-failed');
			assert.ok(drops[0]!.error instanceof PolkuError);
			assert.equal((drops[0]!.error as PolkuError).cause, weird);
			assert.equal(calls, 2, 'the lane went on to the next batch');
			assert.deepEqual(unhandled, []);
		} finally {
			process.off('unhandledRejection', onUnhandled);
		}
	});
});

describe('Drop logging', () => {
	it('drop-oldest and maxPending evictions reach the logger without any drop listener', async () => {
		const { logger, warnings } = capturingLogger();
		const input = new MemoryInput();
		const stuck = new MemoryOutput('stuck').hang();
		const hub = Hub.builder().bufferCapacity(100).batchSize(10).overflow('drop-oldest').logger(logger).input(input).output(stuck).output(new MemoryOutput('lagging').hang(), { maxPending: 20 }).build();
		await hub.start();
		await input.push(inits(300));
		await turns();
		await hub.stop({ timeoutMs: 10 });
		const overflow = warnings.filter((w) => w.fields['reason'] === 'overflow');
		const counted = (name: string): number => overflow.filter((w) => w.fields['output'] === name).reduce((n, w) => n + (w.fields['count'] as number), 0);
		assert.equal(counted('stuck'), hub.stats().outputs['stuck']!.dropped.overflow);
		assert.equal(counted('lagging'), hub.stats().outputs['lagging']!.dropped.overflow);
		assert.ok(counted('lagging') > 0 && counted('stuck') > 0);
	});

	it('is rate-limited: a flood of drops is logged as the first drop and then one summary per second', async () => {
		const { logger, warnings } = capturingLogger();
		const hub = Hub.builder().logger(logger).middleware({ name: 'no', process: () => Promise.reject(new Error('no')) }).output(new MemoryOutput()).build();
		await hub.start();
		for (let i = 0; i < 2_000; i++) await hub.send(init(i));
		await hub.stop();
		const logged = warnings.filter((w) => w.fields['reason'] === 'middleware-error');
		assert.ok(logged.length <= 3, `${logged.length} log lines for 2 000 drops`);
		assert.equal(
			logged.reduce((n, w) => n + (w.fields['count'] as number), 0),
			2_000,
			'every drop is counted in the lines',
		);
	});
});

// Lifecycle edges found by an outside review (hardening issue, items 3-7): stop() during start(), sends while
// stopping, middleware stopped in order behind async steps, a start() that fails half way, and timers that
// must not keep a process alive once stop() began.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregate, enrich, HubStateError, Hub, rateLimit, type Input, type Middleware, type MiddlewareContext } from '../../src/index.js';
import { MemoryInput, MemoryOutput } from '../../src/testing/index.js';
import { conservationErrors, init, inits, recordDrops, turns } from '../support/hub.js';

const refTimers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('Hub.start and Hub.stop', () => {
	it('stop() while an async middleware start() is pending: start() rejects, nothing starts, the hub ends stopped', async () => {
		let release!: () => void;
		const events: string[] = [];
		const slow: Middleware = {
			name: 'slow-start',
			process: (m) => m,
			start: () => new Promise<void>((r) => (release = r)),
			stop: () => void events.push('slow-start stopped'),
		};
		const later: Middleware = { name: 'later', process: (m) => m, start: () => void events.push('later started') };
		let inputRan = false;
		const input: Input = { name: 'in', run: async () => void (inputRan = true) };
		const out = new MemoryOutput();
		const hub = Hub.builder().input(input).middleware(slow, later).output(out).build();
		const starting = hub.start();
		await turns();
		const stopping = hub.stop({ timeoutMs: 1000 });
		release();
		await assert.rejects(starting, HubStateError);
		const result = await stopping;
		assert.equal(result.drained, true);
		assert.equal(hub.state, 'stopped');
		assert.equal(inputRan, false, 'the inputs never start');
		assert.deepEqual(events, ['slow-start stopped'], 'the middleware that started is stopped; the next one never starts');
		assert.equal(out.closed, true);
		assert.equal(await hub.stop(), result, 'a second stop() returns the same result');
		assert.deepEqual(await hub.send(init(1)).then((o) => o.status), 'dropped');
	});

	it('a start() hanging past the stop deadline: stop() returns, and the late middleware is stopped when it starts', async () => {
		let release!: () => void;
		const events: string[] = [];
		const hanging: Middleware = {
			name: 'hanging',
			process: (m) => m,
			start: () => new Promise<void>((r) => (release = r)),
			stop: () => void events.push('hanging stopped'),
		};
		const hub = Hub.builder().middleware(hanging).output(new MemoryOutput()).build();
		const starting = hub.start();
		const result = await hub.stop({ timeoutMs: 20 });
		assert.equal(hub.state, 'stopped');
		assert.equal(result.drained, true);
		release();
		await assert.rejects(starting, HubStateError);
		assert.deepEqual(events, ['hanging stopped']);
	});

	it('a start() that fails half way stops the middleware that started (in reverse) and closes the outputs', async () => {
		const events: string[] = [];
		const mw = (name: string, fail = false): Middleware => ({
			name,
			process: (m) => m,
			start: async () => {
				if (fail) throw new Error(`${name} cannot start`);
				events.push(`${name} started`);
			},
			stop: () => void events.push(`${name} stopped`),
		});
		const out = new MemoryOutput();
		const dlq = new MemoryOutput('dlq');
		const hub = Hub.builder().middleware(mw('a'), mw('b'), mw('c', true), mw('d')).output(out, { deadLetter: 'dlq' }).deadLetter(dlq).build();
		await assert.rejects(hub.start(), /c cannot start/);
		assert.deepEqual(events, ['a started', 'b started', 'b stopped', 'a stopped']);
		assert.equal(hub.state, 'stopped');
		assert.equal(out.closed, true);
		assert.equal(dlq.closed, true);
		assert.equal((await hub.stop()).drained, true);
	});

	it('hub.send() while the hub is stopping is dropped with reason shutdown, so host code that keeps sending cannot hold up the drain', async () => {
		const out = new MemoryOutput().latency(5);
		const hub = Hub.builder().bufferCapacity(100).flushInterval(1).output(out).build();
		const drops = recordDrops(hub);
		await hub.start();
		await hub.sendBatch(inits(50));
		let sending = true;
		let afterStop = 0;
		const statuses = new Set<string>();
		const loop = (async () => {
			while (sending) {
				const outcome = await hub.send(init(afterStop++));
				statuses.add(outcome.status);
				await new Promise((r) => setImmediate(r));
			}
		})();
		await turns(2);
		const result = await hub.stop({ timeoutMs: 5_000 });
		sending = false;
		await loop;
		assert.equal(result.drained, true, 'the drain finished instead of running to its deadline');
		assert.ok(result.durationMs < 4_000, `stop took ${result.durationMs} ms`);
		assert.ok(statuses.has('dropped'), 'sends after stop() began were dropped');
		const shutdown = drops.filter((d) => d.reason === 'shutdown').reduce((n, d) => n + d.messages.length, 0);
		assert.equal(shutdown, hub.stats().dropped.shutdown);
		assert.deepEqual(conservationErrors(hub.stats()), []);
	});

	it("an input's sink stays open until its run() returns, then refuses with shutdown", async () => {
		let lateSink: Parameters<Input['run']>[0] | undefined;
		const input: Input = {
			name: 'late',
			run: async (sink, signal) => {
				lateSink = sink;
				await new Promise<void>((r) => signal.addEventListener('abort', () => r()));
				assert.equal((await sink.send(init(1))).status, 'accepted', 'still open on the way out');
			},
		};
		const out = new MemoryOutput();
		const hub = Hub.builder().input(input).output(out).build();
		await hub.start();
		await hub.stop();
		assert.equal(out.messages.length, 1);
		assert.equal((await lateSink!.send(init(2))).status, 'dropped');
	});

	it('stops each middleware only once the messages inside an earlier async step have passed it (aggregate behind an async enrich)', async () => {
		const out = new MemoryOutput();
		const lookup = (): Promise<Record<string, string>> => new Promise((r) => setTimeout(() => r({ region: 'eu' }), 30));
		const hub = Hub.builder()
			.middleware(enrich(lookup), aggregate({ count: 100, windowMs: 0 }))
			.output(out)
			.build();
		await hub.start();
		const sent = hub.sendBatch(inits(5));
		await turns(2);
		await hub.stop({ timeoutMs: 2_000 });
		const outcome = await sent;
		assert.equal(outcome.filtered, 5, 'the aggregated messages are absorbed into the window');
		assert.equal(out.messages.length, 1, 'the window (windowMs: 0) was flushed on stop');
		assert.equal(hub.stats().middleware['aggregate']!.counters['aggregated'], 5);
		assert.equal(out.messages[0]!.metadata['region'], 'eu');
	});

	it('timers of aggregate windows, rate-limit delays and enrich lookups no longer keep the process alive once stop() began', async () => {
		const before = refTimers();
		let release!: () => void;
		const stuck: Middleware = { name: 'stuck', process: (m) => m, stop: () => new Promise<void>((r) => (release = r)) };
		const hub = Hub.builder()
			.middleware(
				stuck,
				enrich(() => new Promise(() => {}), { timeoutMs: 60_000 }),
				rateLimit({ perSecond: 1, burst: 1, mode: 'delay', maxDelayMs: 60_000 }),
				aggregate({ count: 100, windowMs: 60_000 }),
			)
			.output(new MemoryOutput())
			.build();
		await hub.start();
		void hub.sendBatch(inits(3, { metadata: { k: 'x' } }));
		await turns(3);
		const result = await hub.stop({ timeoutMs: 50 });
		assert.equal(result.drained, false, 'cut short by the deadline: the first middleware never stopped');
		await turns(3);
		assert.ok(refTimers() <= before, `ref'd timers after stop: ${refTimers()} (before: ${before})`);
		release();
	});
});

describe('MiddlewareContext', () => {
	it('emit() during stop reaches the middleware after the emitter (they are stopped later)', async () => {
		const seen: string[] = [];
		let context: MiddlewareContext | undefined;
		const holder: Middleware = {
			name: 'holder',
			process: () => null,
			start: (c) => void (context = c),
			stop: async () => {
				await context!.emit((await import('../../src/index.js')).createMessage(init(7)));
			},
		};
		const after: Middleware = { name: 'after', process: (m) => (seen.push(m.messageType), m) };
		const out = new MemoryOutput();
		const hub = Hub.builder().input(new MemoryInput()).middleware(holder, after).output(out).build();
		await hub.start();
		await hub.stop();
		assert.deepEqual(seen, ['m7']);
		assert.equal(out.messages.length, 1);
	});
});

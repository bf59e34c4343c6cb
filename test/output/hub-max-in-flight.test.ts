import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, Hub, type Message, type Output } from '../../src/index.js';
import { conservationErrors, inits, recordDrops } from '../support/hub.js';

/** An output whose sends each take `ms`, recording how many ran at once; `fail` decides per call whether it rejects. */
class ConcurrentOutput implements Output {
	running = 0;
	maxRunning = 0;
	calls = 0;
	readonly received: Message[] = [];
	readonly #timers: (() => void)[] = [];
	constructor(
		readonly name: string,
		readonly ms: (call: number) => number,
		readonly fail: (call: number) => boolean = () => false,
	) {}
	/** Ends every send still waiting (so a test leaves no timers behind). */
	finishAll(): void {
		for (const finish of this.#timers.splice(0)) finish();
	}

	async send(batch: readonly Message[]): Promise<void> {
		const call = this.calls++;
		this.running++;
		this.maxRunning = Math.max(this.maxRunning, this.running);
		try {
			await new Promise<void>((r) => {
				const timer = setTimeout(r, this.ms(call));
				this.#timers.push(() => {
					clearTimeout(timer);
					r();
				});
			});
			if (this.fail(call)) throw new Error(`call ${call} failed`);
			this.received.push(...batch);
		} finally {
			this.running--;
		}
	}
}

describe('OutputOptions.maxInFlight', () => {
	it('defaults to 1: one batch at a time, in order', async () => {
		const out = new ConcurrentOutput('out', () => 5);
		const hub = Hub.builder().batchSize(10).flushInterval(0).output(out).build();
		await hub.start();
		await hub.sendBatch(inits(100));
		await hub.stop();
		assert.equal(out.maxRunning, 1);
		assert.deepEqual(
			out.received.map((m) => m.messageType),
			inits(100).map((m) => m.messageType),
		);
		assert.equal(hub.manifest().outputs[0]!.maxInFlight, 1);
	});

	it('sends up to maxInFlight batches at once, never more', async () => {
		const out = new ConcurrentOutput('out', (call) => 20 - (call % 4) * 4);
		const hub = Hub.builder().batchSize(10).flushInterval(0).output(out, { maxInFlight: 4 }).build();
		await hub.start();
		await hub.sendBatch(inits(200));
		await hub.stop();
		assert.equal(out.maxRunning, 4);
		assert.equal(out.received.length, 200);
		assert.equal(new Set(out.received.map((m) => m.id)).size, 200);
		const s = hub.stats().outputs['out']!;
		assert.equal(s.delivered, 200);
		assert.equal(s.batches, 20);
		assert.deepEqual(conservationErrors(hub.stats()), []);
	});

	it('retries a failed batch on its own while the others go on, and confirms every deliver()', async () => {
		const out = new ConcurrentOutput('out', () => 5, (call) => call === 1 || call === 2);
		const hub = Hub.builder().batchSize(5).flushInterval(0).output(out, { maxInFlight: 3, retry: { attempts: 3, baseDelayMs: 1 } }).build();
		await hub.start();
		const outcome = await hub.deliverBatch(inits(30));
		assert.deepEqual(outcome, { delivered: 30, filtered: 0, failed: [] });
		await hub.stop();
		const s = hub.stats().outputs['out']!;
		assert.equal(s.delivered, 30);
		assert.equal(s.failedSends, 2);
		assert.equal(s.retries, 2);
	});

	it('dead-letters and drops batch by batch', async () => {
		const out = new ConcurrentOutput('out', () => 2, (call) => call % 2 === 0);
		const dlq = new ConcurrentOutput('dlq', () => 1);
		const hub = Hub.builder().batchSize(4).flushInterval(0).output(out, { maxInFlight: 2, retry: false, deadLetter: 'dlq' }).deadLetter(dlq).build();
		await hub.start();
		const outcome = await hub.deliverBatch(inits(16));
		await hub.stop();
		assert.equal(outcome.delivered + outcome.failed.length, 16);
		assert.ok(outcome.failed.every((f) => f.reason === 'dead-lettered'));
		const s = hub.stats().outputs['out']!;
		assert.equal(s.delivered + s.deadLettered, 16);
		assert.equal(dlq.received.length, s.deadLettered);
		assert.deepEqual(conservationErrors(hub.stats()), []);
	});

	it('at the stop deadline drops every batch in flight as shutdown', async () => {
		const out = new ConcurrentOutput('out', () => 60_000);
		const hub = Hub.builder().batchSize(5).flushInterval(0).output(out, { maxInFlight: 3 }).build();
		const drops = recordDrops(hub);
		await hub.start();
		await hub.sendBatch(inits(40));
		const result = await hub.stop({ timeoutMs: 30 });
		assert.equal(result.drained, false);
		const s = hub.stats().outputs['out']!;
		assert.equal(s.dropped.shutdown, 40);
		assert.equal(s.inFlight, 0);
		assert.equal(drops.filter((d) => d.reason === 'shutdown').reduce((n, d) => n + d.messages.length, 0), 40);
		assert.deepEqual(conservationErrors(hub.stats()), []);
		out.finishAll();
	});

	it('is validated', () => {
		for (const bad of [0, 1.5, 2000]) {
			assert.throws(
				() => Hub.builder().output({ name: 'x', send: async () => {} }, { maxInFlight: bad }).build(),
				(e: unknown) => e instanceof ConfigError && e.field === 'output "x".maxInFlight',
			);
		}
	});
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, Hub, type StallEvent } from '../../src/index.js';
import { MemoryInput, MemoryOutput } from '../../src/testing/index.js';
import { conservationErrors, fakeClock, inits, recordDrops } from '../support/hub.js';

describe('OutputOptions.stall', () => {
	it('bounds a hanging output to its stall share of the buffer, so under block the senders and the healthy output go on', async () => {
		const clock = fakeClock();
		try {
			const input = new MemoryInput();
			const hanging = new MemoryOutput('hanging').hang();
			const healthy = new MemoryOutput('healthy');
			const hub = Hub.builder().bufferCapacity(160).batchSize(10).flushInterval(0).input(input).output(hanging).output(healthy).build();
			const stalls: StallEvent[] = [];
			hub.on('stall', (e) => stalls.push(e));
			const drops = recordDrops(hub);
			await hub.start();
			assert.deepEqual(hub.manifest().outputs.find((o) => o.name === 'hanging')!.stall, { afterMs: 2000, maxPending: 10 });
			let pushed = 0;
			const pushing = (async () => {
				for (let i = 0; i < 50; i++) {
					await input.push(inits(10));
					pushed += 10;
				}
			})();
			await clock.tickAsync(100);
			assert.ok(pushed < 500, 'the senders block while the hanging output holds the buffer');
			assert.equal(hub.stats().outputs['hanging']!.stalled, false);
			await clock.tickAsync(2_000);
			await pushing;
			assert.equal(pushed, 500, 'once stalled, the hanging output no longer blocks anyone');
			assert.equal(healthy.messages.length, 500);
			assert.deepEqual(stalls.map((s) => [s.output, s.stalled]), [['hanging', true]]);
			assert.ok(stalls[0]!.sinceMs >= 2_000);
			const s = hub.stats().outputs['hanging']!;
			assert.equal(s.stalled, true);
			assert.ok(s.pending <= 10 + 10, `pending ${s.pending}: its bound plus the batch in flight`);
			assert.ok(s.dropped.overflow > 0);
			assert.equal(drops.filter((d) => d.output === 'hanging' && d.reason === 'overflow').reduce((n, d) => n + d.messages.length, 0), s.dropped.overflow);

			hanging.release();
			await clock.tickAsync(10);
			assert.deepEqual(stalls.map((e) => [e.output, e.stalled]), [['hanging', true], ['hanging', false]]);
			assert.equal(hub.stats().outputs['hanging']!.stalled, false);
			hanging.hang();
			await input.push(inits(100));
			await clock.tickAsync(10);
			assert.ok(hub.stats().outputs['hanging']!.pending > 20, 'after recovery the output may use the whole buffer again');
			hanging.release();
			const stopping = hub.stop();
			await clock.tickAsync(100);
			await stopping;
			assert.deepEqual(conservationErrors(hub.stats()), []);
		} finally {
			clock.uninstall();
		}
	});

	it('never stalls an output that keeps making progress, however slowly', async () => {
		const clock = fakeClock();
		try {
			const slow = new MemoryOutput('slow').latency(900);
			const hub = Hub.builder().bufferCapacity(1_000).batchSize(10).flushInterval(0).output(slow, { stall: { afterMs: 1_000 } }).build();
			let stalls = 0;
			hub.on('stall', () => stalls++);
			await hub.start();
			const sent = hub.sendBatch(inits(500));
			await clock.tickAsync(60_000);
			await sent;
			assert.equal(stalls, 0);
			assert.equal(slow.messages.length, 500);
			assert.equal(hub.stats().outputs['slow']!.dropped.overflow, 0);
			await hub.stop();
		} finally {
			clock.uninstall();
		}
	});

	it('stalls an output whose sends keep failing (no success), and ends the stall on its first success', async () => {
		const clock = fakeClock();
		try {
			const failing = new MemoryOutput('failing').failNext(1_000_000);
			const hub = Hub.builder().bufferCapacity(200).batchSize(10).flushInterval(0).output(failing, { retry: { attempts: 2, baseDelayMs: 100 }, stall: { afterMs: 500 } }).build();
			await hub.start();
			void hub.sendBatch(inits(150));
			await clock.tickAsync(600);
			assert.equal(hub.stats().outputs['failing']!.stalled, true);
			failing.failNext(0);
			await clock.tickAsync(500);
			assert.equal(hub.stats().outputs['failing']!.stalled, false);
			const stopping = hub.stop();
			await clock.tickAsync(1_000);
			await stopping;
		} finally {
			clock.uninstall();
		}
	});

	it('stall: false keeps the old behaviour: a hanging output may hold the whole buffer', async () => {
		const clock = fakeClock();
		try {
			const hanging = new MemoryOutput('hanging').hang();
			const hub = Hub.builder().bufferCapacity(50).batchSize(10).flushInterval(0).overflow('drop-newest').output(hanging, { stall: false }).build();
			await hub.start();
			await hub.sendBatch(inits(60));
			await clock.tickAsync(10_000);
			const s = hub.stats().outputs['hanging']!;
			assert.equal(s.stalled, false);
			assert.equal(s.pending, 60);
			assert.equal(s.dropped.overflow, 0);
			void hub.stop({ timeoutMs: 10 });
			await clock.tickAsync(20);
		} finally {
			clock.uninstall();
		}
	});

	it('is validated', () => {
		const out = { name: 'x', send: async () => {} };
		const field = (f: () => unknown): string => {
			try {
				f();
			} catch (e) {
				if (e instanceof ConfigError) return e.field;
			}
			return 'no error';
		};
		assert.equal(field(() => Hub.builder().batchSize(10).output(out, { stall: { maxPending: 5 } }).build()), 'output "x".stall.maxPending');
		assert.equal(field(() => Hub.builder().output(out, { stall: { afterMs: 0 } }).build()), 'output "x".stall.afterMs');
		assert.equal(field(() => Hub.builder().output(out, { stall: 'yes' as never }).build()), 'output "x".stall');
		assert.equal(field(() => Hub.builder().output(out, { deadLetter: 'd' }).deadLetter({ name: 'd', send: async () => {} }, { stall: {} } as never).build()), 'output "d".stall');
		assert.equal(Hub.builder().bufferCapacity(100).batchSize(10).output(out, { maxPending: 20 }).build().manifest().outputs[0]!.stall && 'ok', 'ok');
	});
});

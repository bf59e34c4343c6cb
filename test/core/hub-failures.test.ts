import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Clock } from '@sinonjs/fake-timers';
import { DEAD_LETTER_KEYS, Hub, MessageValidationError, PolkuError, reject, RejectedError, type Message } from '../../src/index.js';
import { MemoryInput, MemoryOutput } from '../../src/testing/index.js';
import { conservationErrors, fakeClock, init, inits, recordDrops, turns } from '../support/hub.js';

describe('Hub output failures', () => {
	let clock: Clock;
	beforeEach(() => {
		clock = fakeClock();
	});
	afterEach(() => clock.uninstall());

	it('retries a failed send with exponential backoff, then delivers', async () => {
		const input = new MemoryInput();
		const out = new MemoryOutput().failNext(3);
		const hub = Hub.builder()
			.flushInterval(0)
			.input(input)
			.output(out, { retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000, jitter: 0 } })
			.build();
		const retries: [number, number][] = [];
		hub.on('retry', (e) => retries.push([e.attempt, e.delayMs]));
		await hub.start();
		await input.push(inits(2));
		await clock.tickAsync(0);
		assert.equal(out.sendCalls, 1);
		await clock.tickAsync(99);
		assert.equal(out.sendCalls, 1);
		await clock.tickAsync(1);
		assert.equal(out.sendCalls, 2, 'second try after 100 ms');
		await clock.tickAsync(200);
		assert.equal(out.sendCalls, 3, 'third try 200 ms later');
		await clock.tickAsync(400);
		assert.equal(out.sendCalls, 4, 'fourth try 400 ms later');
		assert.deepEqual(retries, [
			[1, 100],
			[2, 200],
			[3, 400],
		]);
		assert.equal(out.messages.length, 2);
		const s = hub.stats().outputs['memory']!;
		assert.equal(s.failedSends, 3);
		assert.equal(s.retries, 3);
		assert.equal(s.delivered, 2);
		await hub.stop();
	});

	it('caps the delay at maxDelayMs and applies jitter below the exact delay', async () => {
		const input = new MemoryInput();
		const out = new MemoryOutput().failNext(6);
		const hub = Hub.builder()
			.flushInterval(0)
			.input(input)
			.output(out, { retry: { attempts: 7, baseDelayMs: 100, maxDelayMs: 500, jitter: 0.5 } })
			.build();
		const delays: number[] = [];
		hub.on('retry', (e) => delays.push(e.delayMs));
		await hub.start();
		await input.push(init(1));
		await clock.tickAsync(10_000);
		assert.equal(delays.length, 6);
		const exact = [100, 200, 400, 500, 500, 500];
		delays.forEach((d, i) => assert.ok(d <= exact[i]! && d >= exact[i]! / 2, `delay ${i}: ${d} within [${exact[i]! / 2}, ${exact[i]}]`));
		await hub.stop();
	});

	it('drops with reason output-failed after the last attempt, naming the output', async () => {
		const input = new MemoryInput();
		const bad = new MemoryOutput('bad').failNext(10, new Error('disk full'));
		const good = new MemoryOutput('good');
		const hub = Hub.builder().flushInterval(0).input(input).output(bad, { retry: { attempts: 2, baseDelayMs: 10 } }).output(good).build();
		const drops = recordDrops(hub);
		await hub.start();
		await input.push(inits(3));
		await clock.tickAsync(100);
		assert.equal(drops.length, 1);
		assert.equal(drops[0]!.reason, 'output-failed');
		assert.equal(drops[0]!.output, 'bad');
		assert.equal(drops[0]!.error?.message, 'disk full');
		assert.equal(drops[0]!.messages.length, 3);
		const s = hub.stats();
		assert.equal(s.outputs['bad']!.dropped['output-failed'], 3);
		assert.equal(s.outputs['good']!.delivered, 3);
		assert.deepEqual(conservationErrors(s), []);
		await hub.stop();
	});

	it('does not retry an error the retryable predicate refuses', async () => {
		const input = new MemoryInput();
		const out = new MemoryOutput().failNext(1, new PolkuError('E_FATAL', 'bad request'));
		const hub = Hub.builder()
			.flushInterval(0)
			.input(input)
			.output(out, { retry: { attempts: 5, retryable: (e) => !(e instanceof PolkuError && e.code === 'E_FATAL') } })
			.build();
		await hub.start();
		await input.push(init(1));
		await clock.tickAsync(1000);
		assert.equal(out.sendCalls, 1);
		assert.equal(hub.stats().outputs['memory']!.dropped['output-failed'], 1);
		await hub.stop();
	});

	it('hands a finally failed batch to the dead-letter output with error, output and attempts in metadata', async () => {
		const input = new MemoryInput();
		const bad = new MemoryOutput('bad').failNext(10, new Error('connection refused'));
		const dlq = new MemoryOutput('dlq');
		const hub = Hub.builder()
			.flushInterval(0)
			.input(input)
			.output(bad, { retry: { attempts: 3, baseDelayMs: 1, jitter: 0 }, deadLetter: 'dlq' })
			.deadLetter(dlq)
			.build();
		const deadLetters: string[] = [];
		hub.on('dead-letter', (e) => deadLetters.push(`${e.output}->${e.deadLetter}:${e.messages.length}:${e.attempts}`));
		await hub.start();
		const original = await input.push(init(1, { metadata: { tenant: 'acme' } }));
		await clock.tickAsync(100);
		assert.deepEqual(deadLetters, ['bad->dlq:1:3']);
		assert.equal(dlq.messages.length, 1);
		const m = dlq.messages[0]!;
		assert.equal(m.id, original.id, 'same message id');
		assert.equal(m.metadata['tenant'], 'acme');
		assert.equal(m.metadata[DEAD_LETTER_KEYS.error], 'connection refused');
		assert.equal(m.metadata[DEAD_LETTER_KEYS.output], 'bad');
		assert.equal(m.metadata[DEAD_LETTER_KEYS.attempts], '3');
		const s = hub.stats();
		assert.equal(s.outputs['bad']!.deadLettered, 1);
		assert.equal(s.outputs['dlq']!.routed, 1);
		assert.equal(s.outputs['dlq']!.delivered, 1);
		assert.equal(s.outputs['dlq']!.deadLetter, true);
		assert.deepEqual(conservationErrors(s), []);
		await hub.stop();
	});

	it('drops with output-failed, naming the dead-letter output, when the dead-letter output fails too', async () => {
		const input = new MemoryInput();
		const bad = new MemoryOutput('bad').failNext(10);
		const dlq = new MemoryOutput('dlq').failNext(10);
		const hub = Hub.builder()
			.flushInterval(0)
			.retry({ attempts: 1 })
			.input(input)
			.output(bad, { deadLetter: 'dlq' })
			.deadLetter(dlq)
			.build();
		const drops = recordDrops(hub);
		await hub.start();
		await input.push(init(1));
		await clock.tickAsync(10);
		assert.deepEqual(drops.map((d) => [d.reason, d.output]), [['output-failed', 'dlq']]);
		assert.deepEqual(conservationErrors(hub.stats()), []);
		await hub.stop();
	});

	it('a failing output waits while its dead-letter queue is full, losing nothing', async () => {
		const input = new MemoryInput();
		const bad = new MemoryOutput('bad').failNext(100);
		const dlq = new MemoryOutput('dlq').hang();
		const hub = Hub.builder()
			.bufferCapacity(4)
			.batchSize(2)
			.flushInterval(0)
			.retry({ attempts: 1 })
			.input(input)
			.output(bad, { deadLetter: 'dlq' })
			.deadLetter(dlq)
			.build();
		await hub.start();
		const pushing = input.push(inits(12));
		await clock.tickAsync(10);
		assert.equal(hub.stats().outputs['bad']!.state, 'parked');
		dlq.release();
		await pushing;
		await clock.tickAsync(10);
		await hub.stop();
		assert.equal(dlq.messages.length, 12);
		assert.deepEqual(conservationErrors(hub.stats()), []);
	});
});

describe('Hub middleware failures', () => {
	it('drops a message whose middleware throws with reason middleware-error and keeps running', async () => {
		const input = new MemoryInput();
		const out = new MemoryOutput();
		const hub = Hub.builder()
			.input(input)
			.middleware({
				name: 'picky',
				process: (m) => {
					if (m.messageType === 'm1') throw new Error('boom');
					return m;
				},
			})
			.output(out)
			.build();
		const drops = recordDrops(hub);
		await hub.start();
		const outcome = await input.push(inits(3));
		assert.equal(outcome.accepted, 2);
		assert.deepEqual(outcome.dropped.map((d) => [d.index, d.reason, d.error?.message]), [[1, 'middleware-error', 'boom']]);
		await hub.stop();
		assert.deepEqual(out.messages.map((m) => m.messageType), ['m0', 'm2']);
		assert.deepEqual(drops.map((d) => [d.reason, d.messages[0]!.messageType]), [['middleware-error', 'm1']]);
		const s = hub.stats();
		assert.equal(s.dropped['middleware-error'], 1);
		assert.equal(s.middleware['picky']!.errors, 1);
		assert.equal(s.middleware['picky']!.processed, 3);
	});

	it('treats an async rejection and a non-message result as middleware errors', async () => {
		const input = new MemoryInput();
		const out = new MemoryOutput();
		const hub = Hub.builder()
			.input(input)
			.middleware({
				name: 'weird',
				process: (m) => {
					if (m.messageType === 'm0') return Promise.reject(new Error('async boom'));
					if (m.messageType === 'm1') return { ...m, payload: 'not bytes' } as unknown as Message;
					if (m.messageType === 'm2') return Promise.resolve({ nope: true } as unknown as Message);
					return m;
				},
			})
			.output(out)
			.build();
		await hub.start();
		const outcome = await input.push(inits(4));
		await hub.stop();
		assert.deepEqual(outcome.dropped.map((d) => d.reason), ['middleware-error', 'middleware-error', 'middleware-error']);
		assert.equal(outcome.dropped[0]!.error?.message, 'async boom');
		assert.ok(outcome.dropped[1]!.error instanceof MessageValidationError);
		assert.equal((outcome.dropped[1]!.error as MessageValidationError).field, 'payload');
		assert.equal((outcome.dropped[2]!.error as MessageValidationError).field, 'id');
		assert.deepEqual(out.messages.map((m) => m.messageType), ['m3']);
	});

	it('reject(label) drops with reason rejected and counts the label', async () => {
		const input = new MemoryInput();
		const out = new MemoryOutput();
		const hub = Hub.builder()
			.input(input)
			.middleware({ name: 'gate', process: (m) => (m.metadata['token'] === 'ok' ? m : reject('unauthorized')) })
			.output(out)
			.build();
		const drops = recordDrops(hub);
		await hub.start();
		const outcome = await input.push([init(1, { metadata: { token: 'ok' } }), init(2), init(3)]);
		await hub.stop();
		assert.equal(outcome.accepted, 1);
		assert.deepEqual(outcome.dropped.map((d) => d.reason), ['rejected', 'rejected']);
		assert.equal(drops.length, 1, 'one event for the call');
		assert.ok(drops[0]!.error instanceof RejectedError);
		assert.equal((drops[0]!.error as RejectedError).label, 'unauthorized');
		assert.equal((drops[0]!.error as RejectedError).middleware, 'gate');
		const s = hub.stats();
		assert.equal(s.dropped.rejected, 2);
		assert.equal(s.middleware['gate']!.rejected, 2);
		assert.equal(s.middleware['gate']!.counters['unauthorized'], 2);
	});

	it('filtering is not a drop, and mixed sync/async middleware keep order within a call', async () => {
		const input = new MemoryInput();
		const out = new MemoryOutput();
		const hub = Hub.builder()
			.input(input)
			.middleware(
				{ name: 'odd-async', process: (m) => (Number(m.messageType.slice(1)) % 2 === 1 ? new Promise((r) => setTimeout(() => r(m), 5)) : m) },
				{ name: 'drop-m4', process: (m) => (m.messageType === 'm4' ? null : m) },
			)
			.output(out)
			.build();
		const drops = recordDrops(hub);
		await hub.start();
		const outcome = await input.push(inits(6));
		await hub.stop();
		assert.equal(outcome.filtered, 1);
		assert.deepEqual(out.messages.map((m) => m.messageType), ['m0', 'm1', 'm2', 'm3', 'm5']);
		assert.equal(drops.length, 0);
		assert.equal(hub.stats().filtered, 1);
		assert.equal(hub.stats().middleware['drop-m4']!.filtered, 1);
	});

	it('names duplicate middleware apart in stats', async () => {
		const hub = Hub.builder()
			.middleware({ name: 'f', process: (m) => m }, { name: 'f', process: (m) => m })
			.output(new MemoryOutput())
			.build();
		assert.deepEqual(Object.keys(hub.stats().middleware), ['f', 'f#2']);
	});
});

describe('Hub inputs and listeners', () => {
	it('an input whose run() rejects raises error and does not stop the others', async () => {
		const good = new MemoryInput('good');
		const out = new MemoryOutput();
		const hub = Hub.builder()
			.input({ name: 'bad', run: async () => Promise.reject(new Error('cannot connect')) })
			.input(good)
			.output(out)
			.build();
		const errors: string[] = [];
		hub.on('error', (e, ctx) => errors.push(`${ctx.kind}:${ctx.name}:${e.message}`));
		await hub.start();
		await turns();
		await good.push(init(1));
		await hub.stop();
		assert.deepEqual(errors, ['input:bad:cannot connect']);
		assert.equal(out.messages.length, 1);
		assert.deepEqual(hub.stats().inputs['bad'], { sent: 0, invalid: 0, running: false, failures: 1, restarts: 0 });
	});

	it('restarts a failing input with backoff when asked', async () => {
		let runs = 0;
		const out = new MemoryOutput();
		const hub = Hub.builder()
			.input(
				{
					name: 'flaky',
					run: async (sink) => {
						runs++;
						if (runs < 3) throw new Error(`attempt ${runs}`);
						await sink.send(init(runs));
					},
				},
				{ restart: { baseDelayMs: 1, maxDelayMs: 2 } },
			)
			.output(out)
			.build();
		const errors: string[] = [];
		hub.on('error', (e) => errors.push(e.message));
		await hub.start();
		await out.waitFor(1);
		await hub.stop();
		assert.equal(runs, 3);
		assert.deepEqual(errors, ['attempt 1', 'attempt 2']);
		assert.equal(hub.stats().inputs['flaky']!.restarts, 2);
	});

	it('a throwing event listener becomes an error event instead of breaking the pipeline', async () => {
		const input = new MemoryInput();
		const out = new MemoryOutput();
		const hub = Hub.builder().input(input).output(out).build();
		hub.on('flush', () => {
			throw new Error('listener bug');
		});
		const errors: string[] = [];
		hub.on('error', (e, ctx) => errors.push(`${ctx.kind}:${ctx.name}:${e.message}`));
		await hub.start();
		await input.push(inits(3));
		await hub.stop();
		assert.equal(out.messages.length, 3);
		assert.deepEqual(errors, ['listener:flush:listener bug']);
		assert.equal(hub.stats().outputs['memory']!.delivered, 3);
	});
});

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Clock } from '@sinonjs/fake-timers';
import { CircuitOpenError, DEAD_LETTER_KEYS, Hub, SendTimeoutError, type Output } from '../../src/index.js';
import { MemoryInput, MemoryOutput } from '../../src/testing/index.js';
import { conservationErrors, fakeClock, inits, recordDrops } from '../support/hub.js';

describe('per-output timeoutMs', () => {
	let clock: Clock;
	beforeEach(() => {
		clock = fakeClock();
	});
	afterEach(() => clock.uninstall());

	it('fails a send that does not settle in time, aborts its signal, and retries', async () => {
		const signals: AbortSignal[] = [];
		const never: Output = {
			name: 'never',
			send: (_batch, signal) => {
				signals.push(signal!);
				return new Promise(() => {});
			},
		};
		const input = new MemoryInput();
		const hub = Hub.builder()
			.flushInterval(0)
			.input(input)
			.output(never, { timeoutMs: 100, retry: { attempts: 2, baseDelayMs: 10, jitter: 0 } })
			.build();
		const retries: Error[] = [];
		hub.on('retry', (e) => retries.push(e.error));
		const drops = recordDrops(hub);
		await hub.start();
		await input.push(inits(2));
		await clock.tickAsync(100);
		assert.equal(signals.length, 1);
		assert.equal(signals[0]!.aborted, true);
		assert.ok(retries[0] instanceof SendTimeoutError);
		await clock.tickAsync(110);
		assert.equal(signals.length, 2);
		assert.equal(drops.length, 1);
		assert.equal(drops[0]!.reason, 'output-failed');
		assert.ok(drops[0]!.error instanceof SendTimeoutError);
		assert.deepEqual(conservationErrors(hub.stats()), []);
		await hub.stop();
	});
});

describe('per-output circuitBreaker', () => {
	let clock: Clock;
	beforeEach(() => {
		clock = fakeClock();
	});
	afterEach(() => clock.uninstall());

	it('wait: holds batches in the buffer while open, then recovers through a half-open trial', async () => {
		const input = new MemoryInput();
		const out = new MemoryOutput('flaky').failNext(2);
		const hub = Hub.builder()
			.batchSize(1)
			.flushInterval(0)
			.retry({ attempts: 1 })
			.input(input)
			.output(out, { circuitBreaker: { failureThreshold: 2, openMs: 1000 } })
			.build();
		const circuit: string[] = [];
		hub.on('circuit', (e) => circuit.push(`${e.previous}->${e.state}`));
		await hub.start();
		await input.push(inits(2)); // both fail and open the circuit
		await clock.tickAsync(0);
		assert.deepEqual(circuit, ['closed->open']);
		await input.push(inits(5));
		await clock.tickAsync(500);
		assert.equal(out.sendCalls, 2, 'nothing sent while open');
		let s = hub.stats().outputs['flaky']!;
		assert.equal(s.circuit, 'open');
		assert.equal(s.pending, 5, 'held in the buffer');
		await clock.tickAsync(500);
		await clock.tickAsync(0);
		assert.deepEqual(circuit, ['closed->open', 'open->half-open', 'half-open->closed']);
		assert.equal(out.messages.length, 5);
		s = hub.stats().outputs['flaky']!;
		assert.equal(s.circuit, 'closed');
		assert.equal(s.dropped['output-failed'], 2);
		await hub.stop();
	});

	it('dead-letter: while open, batches go to the dead-letter output without calling the output', async () => {
		const input = new MemoryInput();
		const out = new MemoryOutput('down').failNext(1000);
		const dlq = new MemoryOutput('dlq');
		const hub = Hub.builder()
			.batchSize(1)
			.flushInterval(0)
			.retry({ attempts: 1 })
			.input(input)
			.output(out, { circuitBreaker: { failureThreshold: 1, openMs: 10_000, whenOpen: 'dead-letter' }, deadLetter: 'dlq' })
			.deadLetter(dlq)
			.build();
		await hub.start();
		await input.push(inits(4));
		await clock.tickAsync(10);
		assert.equal(out.sendCalls, 1, 'only the first send reached the output');
		assert.equal(dlq.messages.length, 4);
		assert.equal(dlq.messages[3]!.metadata[DEAD_LETTER_KEYS.error], new CircuitOpenError('down').message);
		assert.equal(hub.stats().outputs['down']!.deadLettered, 4);
		await hub.stop();
	});

	it('rejects invalid circuit options at build()', () => {
		assert.throws(() => Hub.builder().output(new MemoryOutput('o'), { circuitBreaker: { failureThreshold: 0 } }).build(), {
			field: 'output "o".circuitBreaker.failureThreshold',
		});
		assert.throws(() => Hub.builder().output(new MemoryOutput('o'), { circuitBreaker: { whenOpen: 'never' as never } }).build(), {
			field: 'output "o".circuitBreaker.whenOpen',
		});
		assert.throws(() => Hub.builder().output(new MemoryOutput('o'), { timeoutMs: 0 }).build(), { field: 'output "o".timeoutMs' });
	});
});

describe('RetryOptions defaults', () => {
	it('do not retry an error marked retryable: false (a permanent failure), and retry others', async () => {
		const permanent = Object.assign(new Error('400 bad request'), { retryable: false });
		const out = new MemoryOutput('out').failNext(1, permanent);
		const hub = Hub.builder().flushInterval(0).output(out, { retry: { attempts: 5, baseDelayMs: 1 } }).build();
		await hub.start();
		await assert.rejects(hub.deliver({ source: 's', messageType: 't' }), { reason: 'output-failed' });
		assert.equal(out.failures, 1, 'not retried');
		out.failNext(1, new Error('503'));
		assert.equal((await hub.deliver({ source: 's', messageType: 't' })).status, 'delivered', 'a plain error is retried');
		await hub.stop();
	});

	it("wait at least an error's retryAfterMs before the next try", async () => {
		const clock = fakeClock();
		try {
			const busy = Object.assign(new Error('429 slow down'), { retryAfterMs: 5_000 });
			const out = new MemoryOutput('out').failNext(1, busy);
			const hub = Hub.builder().flushInterval(0).output(out, { retry: { attempts: 3, baseDelayMs: 10, jitter: 0 } }).build();
			const retries: number[] = [];
			hub.on('retry', (e) => retries.push(e.delayMs));
			await hub.start();
			const delivered = hub.deliver({ source: 's', messageType: 't' });
			await clock.tickAsync(4_999);
			assert.equal(out.messages.length, 0);
			await clock.tickAsync(2);
			assert.equal((await delivered).status, 'delivered');
			assert.deepEqual(retries, [5_000]);
			await hub.stop();
		} finally {
			clock.uninstall();
		}
	});
});

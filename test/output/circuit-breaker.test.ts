import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CircuitBreaker, CircuitOpenError, circuitBreaker, ConfigError, type CircuitState } from '../../src/index.js';
import { MemoryOutput } from '../../src/testing/index.js';

const clock = () => {
	let t = 0;
	return { now: () => t, advance: (ms: number) => (t += ms) };
};

describe('CircuitBreaker', () => {
	it('opens after failureThreshold consecutive failures, half-opens after openMs, closes after successThreshold', () => {
		const c = clock();
		const changes: string[] = [];
		const b = new CircuitBreaker({ failureThreshold: 3, successThreshold: 2, openMs: 100 }, (to, from) => changes.push(`${from}->${to}`), c.now);
		b.failure();
		b.failure();
		b.success(); // resets the count
		b.failure();
		b.failure();
		assert.equal(b.state, 'closed');
		b.failure();
		assert.equal(b.state, 'open');
		assert.equal(b.allow(), false);
		assert.equal(b.waitMs(), 100);
		c.advance(99);
		assert.equal(b.allow(), false);
		c.advance(1);
		assert.equal(b.state, 'half-open');
		assert.equal(b.allow(), true, 'one trial');
		assert.equal(b.allow(), false, 'only one trial at a time');
		b.success();
		assert.equal(b.state, 'half-open');
		assert.equal(b.allow(), true);
		b.success();
		assert.equal(b.state, 'closed');
		assert.deepEqual(changes, ['closed->open', 'open->half-open', 'half-open->closed']);
	});

	it('a failed trial opens the circuit again for another openMs', () => {
		const c = clock();
		const b = new CircuitBreaker({ failureThreshold: 1, openMs: 50 }, undefined, c.now);
		b.failure();
		c.advance(50);
		assert.ok(b.allow());
		b.failure();
		assert.equal(b.state, 'open');
		assert.equal(b.waitMs(), 50);
	});

	it('validates its options with ConfigError naming the field', () => {
		assert.throws(() => new CircuitBreaker({ failureThreshold: 0 }), (e: unknown) => e instanceof ConfigError && e.field === 'circuitBreaker.failureThreshold');
		assert.throws(() => new CircuitBreaker({ openMs: -1 }), (e: unknown) => e instanceof ConfigError && e.field === 'circuitBreaker.openMs');
	});

	it('never lets a call through while open, for any sequence of outcomes and clock steps', () => {
		type Step = { kind: 'call'; ok: boolean } | { kind: 'wait'; ms: number };
		const step = fc.oneof(
			fc.record({ kind: fc.constant('call' as const), ok: fc.boolean() }),
			fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 120 }) }),
		);
		fc.assert(
			fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.array(step, { maxLength: 80 }), (failures, successes, steps: Step[]) => {
				const c = clock();
				let openedAt = -1;
				let state = 'closed' as CircuitState;
				const b = new CircuitBreaker({ failureThreshold: failures, successThreshold: successes, openMs: 100 }, (to) => {
					state = to;
					if (to === 'open') openedAt = c.now();
				}, c.now);
				let consecutive = 0;
				for (const s of steps) {
					if (s.kind === 'wait') {
						c.advance(s.ms);
						continue;
					}
					const allowed = b.allow();
					if (openedAt >= 0 && c.now() - openedAt < 100 && state === 'open') assert.equal(allowed, false);
					if (!allowed) continue;
					if (s.ok) {
						consecutive = 0;
						b.success();
					} else {
						consecutive++;
						b.failure();
						if (state === 'closed') assert.ok(consecutive < failures);
					}
				}
			}),
		);
	});
});

describe('circuitBreaker()', () => {
	it('fails fast with CircuitOpenError while open and passes name, health and close through', async () => {
		const inner = new MemoryOutput('inner').failNext(2);
		const states: CircuitState[] = [];
		const guarded = circuitBreaker(inner, { failureThreshold: 2, openMs: 60_000, onStateChange: (s) => states.push(s) });
		assert.equal(guarded.name, 'inner');
		await assert.rejects(guarded.send([]));
		await assert.rejects(guarded.send([]));
		await assert.rejects(guarded.send([]), CircuitOpenError);
		assert.equal(inner.sendCalls, 2, 'the open circuit did not call the output');
		assert.deepEqual(states, ['open']);
		assert.equal(guarded.breaker.state, 'open');
		assert.equal(await guarded.health!(), true);
		await guarded.close!();
		assert.equal(inner.closed, true);
	});
});

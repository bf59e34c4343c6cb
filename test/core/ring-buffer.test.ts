import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RingBuffer } from '../../src/index.js';
import { isCollected } from '../support/gc.js';

describe('RingBuffer', () => {
	it('rejects a capacity that is not a positive integer', () => {
		for (const bad of [0, -1, 1.5, Number.NaN, Infinity]) assert.throws(() => new RingBuffer(bad), RangeError);
	});

	it('push returns false when full; shift, peek and at read in order', () => {
		const ring = new RingBuffer<number>(3);
		assert.equal(ring.capacity, 3);
		assert.ok(ring.push(1) && ring.push(2) && ring.push(3));
		assert.equal(ring.push(4), false);
		assert.equal(ring.isFull, true);
		assert.equal(ring.free, 0);
		assert.equal(ring.peek(), 1);
		assert.equal(ring.at(2), 3);
		assert.equal(ring.at(3), undefined);
		assert.equal(ring.shift(), 1);
		assert.ok(ring.push(4), 'wraps around');
		assert.deepEqual([...ring], [2, 3, 4]);
		assert.deepEqual(ring.drain(2), [2, 3]);
		assert.equal(ring.length, 1);
		ring.clear();
		assert.equal(ring.length, 0);
		assert.equal(ring.shift(), undefined);
	});

	it('drain appends into a given array', () => {
		const ring = new RingBuffer<string>(4);
		ring.push('a');
		ring.push('b');
		const into = ['x'];
		assert.equal(ring.drain(10, into), into);
		assert.deepEqual(into, ['x', 'a', 'b']);
	});

	it('does not keep shifted or drained items alive', async () => {
		const ring = new RingBuffer<object>(4);
		const refs: WeakRef<object>[] = [];
		(() => {
			for (let i = 0; i < 3; i++) {
				const item = { i };
				refs.push(new WeakRef(item));
				ring.push(item);
			}
		})();
		ring.shift();
		ring.drain(1);
		assert.equal(await isCollected(refs[0]!), true, 'shifted item collected');
		assert.equal(await isCollected(refs[1]!), true, 'drained item collected');
		assert.equal(await isCollected(refs[2]!), false, 'held item alive');
		assert.equal(ring.length, 1);
	});

	it('behaves like an array queue bounded by capacity (model-based)', () => {
		type Op = { kind: 'push'; value: number } | { kind: 'shift' } | { kind: 'drain'; max: number };
		const op = fc.oneof(
			fc.record({ kind: fc.constant('push' as const), value: fc.integer() }),
			fc.record({ kind: fc.constant('shift' as const) }),
			fc.record({ kind: fc.constant('drain' as const), max: fc.integer({ min: 0, max: 8 }) }),
		);
		fc.assert(
			fc.property(fc.integer({ min: 1, max: 8 }), fc.array(op, { maxLength: 200 }), (capacity, ops: Op[]) => {
				const ring = new RingBuffer<number>(capacity);
				const model: number[] = [];
				for (const o of ops) {
					if (o.kind === 'push') {
						const ok = ring.push(o.value);
						assert.equal(ok, model.length < capacity);
						if (ok) model.push(o.value);
					} else if (o.kind === 'shift') {
						assert.equal(ring.shift(), model.shift());
					} else {
						assert.deepEqual(ring.drain(o.max), model.splice(0, o.max));
					}
					assert.equal(ring.length, model.length);
					assert.deepEqual([...ring], model);
				}
			}),
		);
	});
});

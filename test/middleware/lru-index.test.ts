import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LruIndex } from '../../src/middleware/internal/lru-index.js';

type Op = { op: 'touch' | 'peek' | 'insert' | 'remove-oldest'; key: string };

describe('LruIndex (the bounded table behind throttle, dedup, enrich and aggregate)', () => {
	it('behaves like a reference LRU map for any sequence of operations, and never exceeds its capacity', () => {
		fc.assert(
			fc.property(
				fc.integer({ min: 1, max: 6 }),
				fc.array(
					fc.record({ op: fc.constantFrom<Op['op']>('touch', 'peek', 'insert', 'remove-oldest'), key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h') }),
					{ maxLength: 200 },
				),
				(capacity, ops) => {
					const index = new LruIndex(capacity);
					const model: string[] = []; // least recent first
					const slotOf = new Map<string, number>();
					for (const { op, key } of ops) {
						if (op === 'touch' || op === 'peek') {
							const slot = op === 'touch' ? index.touch(key) : index.peek(key);
							const at = model.indexOf(key);
							assert.equal(slot >= 0, at >= 0);
							if (slot >= 0) assert.equal(slot, slotOf.get(key), 'a key keeps its slot');
							if (op === 'touch' && at >= 0) model.push(...model.splice(at, 1));
						} else if (op === 'insert') {
							if (model.includes(key)) continue;
							if (model.length === capacity) slotOf.delete(model.shift()!);
							const slot = index.insert(key);
							assert.ok(slot >= 0 && slot < capacity);
							assert.ok(![...slotOf.values()].includes(slot), 'slots are not shared');
							slotOf.set(key, slot);
							model.push(key);
						} else {
							const oldest = index.oldest();
							if (model.length === 0) assert.equal(oldest, -1);
							else {
								assert.equal(index.keyAt(oldest), model[0]);
								index.removeSlot(oldest);
								slotOf.delete(model.shift()!);
							}
						}
						assert.equal(index.size, model.length);
						assert.ok(index.size <= capacity);
						const order: string[] = [];
						for (let s = index.oldest(); s >= 0; s = index.newer(s)) order.push(index.keyAt(s));
						assert.deepEqual(order, model);
					}
				},
			),
			{ numRuns: 500 },
		);
	});
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FanoutBuffer } from '../../src/buffer/fanout-buffer.js';
import { createMessage, type Message } from '../../src/index.js';

const msg = (n: number): Message => createMessage({ source: 's', messageType: String(n) });
const mask = (readers: number[], words: number): Uint32Array => {
	const m = new Uint32Array(words);
	for (const r of readers) m[r >> 5]! |= 1 << (r & 31);
	return m;
};

describe('FanoutBuffer', () => {
	it('gives each reader its own view and frees a slot once every routed reader took it', () => {
		const buf = new FanoutBuffer<string>(3, 2);
		assert.ok(buf.push(msg(1), mask([0, 1], 1), undefined));
		assert.ok(buf.push(msg(2), mask([1], 1), 'k2'));
		assert.ok(buf.push(msg(3), mask([0], 1), undefined));
		assert.equal(buf.isFull, true);
		assert.equal(buf.push(msg(4), mask([0], 1), undefined), false);
		const a: Message[] = [];
		assert.equal(buf.take(0, 10, a, undefined), 2);
		assert.deepEqual(a.map((m) => m.messageType), ['1', '3']);
		assert.equal(buf.size, 3, 'reader 1 still holds slot 1');
		const b: Message[] = [];
		const keys: (string | undefined)[] = [];
		assert.equal(buf.take(1, 1, b, keys), 1);
		assert.deepEqual(keys, [undefined]);
		assert.equal(buf.size, 2);
		assert.equal(buf.take(1, 1, b, keys), 1);
		assert.deepEqual(keys, [undefined, 'k2']);
		assert.equal(buf.size, 0);
		assert.equal(buf.routed(0), 2);
		assert.equal(buf.routed(1), 2);
	});

	it('evictOldest drops the head only from the readers still holding it', () => {
		const dropped: [number, string][] = [];
		const buf = new FanoutBuffer<undefined>(2, 2, (reader, m) => dropped.push([reader, m.messageType]));
		buf.push(msg(1), mask([0, 1], 1), undefined);
		buf.push(msg(2), mask([0, 1], 1), undefined);
		buf.take(0, 1, [], undefined); // reader 0 took message 1
		assert.ok(buf.evictOldest());
		assert.deepEqual(dropped, [[1, '1']]);
		assert.equal(buf.size, 1);
		assert.equal(buf.pending(0), 1);
		assert.equal(buf.pending(1), 1);
	});

	it('drops the oldest of a reader over its limit, down to 7/8 of it, from its view only', () => {
		const dropped: [number, string][] = [];
		const buf = new FanoutBuffer<undefined>(20, 2, (reader, m) => dropped.push([reader, m.messageType]), [8, 20]);
		for (let i = 0; i < 9; i++) buf.push(msg(i), mask([0, 1], 1), undefined);
		assert.deepEqual(dropped, [
			[0, '0'],
			[0, '1'],
		]);
		assert.equal(buf.pending(0), 7);
		assert.equal(buf.pending(1), 9);
		const out: Message[] = [];
		buf.take(0, 10, out, undefined);
		assert.deepEqual(out.map((m) => m.messageType), ['2', '3', '4', '5', '6', '7', '8']);
	});

	it('supports more than 32 readers', () => {
		const buf = new FanoutBuffer<undefined>(4, 40);
		buf.push(msg(1), mask([3, 35, 39], 2), undefined);
		for (let r = 0; r < 40; r++) assert.equal(buf.pending(r), [3, 35, 39].includes(r) ? 1 : 0);
		const out: Message[] = [];
		buf.take(35, 5, out, undefined);
		assert.equal(out.length, 1);
	});

	it('matches a per-reader queue model under any operations', () => {
		type Op =
			| { kind: 'push'; readers: number[] }
			| { kind: 'take'; reader: number; max: number }
			| { kind: 'evict' }
			| { kind: 'clear'; reader: number };
		const R = 5;
		const reader = fc.integer({ min: 0, max: R - 1 });
		const op: fc.Arbitrary<Op> = fc.oneof(
			fc.record({ kind: fc.constant('push' as const), readers: fc.uniqueArray(reader, { minLength: 1, maxLength: R }) }),
			fc.record({ kind: fc.constant('take' as const), reader, max: fc.integer({ min: 1, max: 6 }) }),
			fc.record({ kind: fc.constant('evict' as const) }),
			fc.record({ kind: fc.constant('clear' as const), reader }),
		);
		fc.assert(
			fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.integer({ min: 1, max: 8 }), { minLength: R, maxLength: R }), fc.array(op, { maxLength: 150 }), (capacity, limits, ops) => {
				const evicted: [number, number][] = [];
				const buf = new FanoutBuffer<number>(capacity, R, (r, _m, key) => evicted.push([r, key!]), limits);
				// Model: each entry is [seq, readers still holding it].
				const model: { seq: number; holders: Set<number> }[] = [];
				const messages = new Map<number, Message>();
				let seq = 0;
				const tidy = (): void => {
					while (model.length > 0 && model[0]!.holders.size === 0) model.shift();
				};
				for (const o of ops) {
					if (o.kind === 'push') {
						const m = msg(seq);
						const ok = buf.push(m, mask(o.readers, 1), seq);
						assert.equal(ok, model.length < capacity, `push ${seq}`);
						if (ok) {
							messages.set(seq, m);
							model.push({ seq, holders: new Set(o.readers) });
							// A reader over its limit loses its oldest messages, down to 7/8 of the limit.
							const expected: [number, number][] = [];
							for (const r of [...o.readers].sort((a, b) => a - b)) {
								const held = model.filter((e) => e.holders.has(r));
								const limit = limits[r]!;
								if (held.length > limit) {
									for (const e of held.slice(0, held.length - Math.max(1, limit - (limit >> 3)))) {
										e.holders.delete(r);
										expected.push([r, e.seq]);
									}
								}
							}
							assert.deepEqual(evicted.splice(0), expected);
							seq++;
						}
					} else if (o.kind === 'take') {
						const out: Message[] = [];
						const keys: (number | undefined)[] = [];
						buf.take(o.reader, o.max, out, keys);
						const expected = model.filter((e) => e.holders.has(o.reader)).slice(0, o.max);
						for (const e of expected) e.holders.delete(o.reader);
						assert.deepEqual(out, expected.map((e) => messages.get(e.seq)));
						assert.deepEqual(keys, expected.map((e) => e.seq));
					} else if (o.kind === 'evict') {
						const did = buf.evictOldest();
						const dropped = evicted.splice(0);
						assert.equal(did, model.length > 0);
						if (model.length > 0) {
							const head = model.shift()!;
							assert.deepEqual(dropped.sort(), [...head.holders].sort().map((r) => [r, head.seq]));
						}
					} else {
						const dropped: number[] = [];
						buf.clearReader(o.reader, (_m, key) => dropped.push(key!));
						const expected = model.filter((e) => e.holders.has(o.reader));
						for (const e of expected) e.holders.delete(o.reader);
						assert.deepEqual(dropped, expected.map((e) => e.seq));
					}
					// A slot is freed as soon as no reader needs it and no older slot is still needed.
					tidy();
					for (let r = 0; r < R; r++) {
						assert.equal(buf.pending(r), model.filter((e) => e.holders.has(r)).length, `pending(${r})`);
					}
					assert.equal(buf.size, model.length);
				}
			}),
			{ numRuns: 300 },
		);
	});
});

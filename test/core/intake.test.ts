// The intake's admission machinery, driven directly: states that the hub reaches only under exact timing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FanoutBuffer } from '../../src/buffer/fanout-buffer.js';
import { createMessage, type DropReason, type Message } from '../../src/index.js';
import type { Delivery } from '../../src/hub/delivery.js';
import { Intake } from '../../src/hub/intake.js';
import { Router } from '../../src/hub/router.js';
import { WaitQueue, type Queued } from '../../src/hub/wait-queue.js';
import { MiddlewareChain } from '../../src/middleware/chain.js';
import { inits } from '../support/hub.js';

function rig(capacity: number, slice: number) {
	const buffer = new FanoutBuffer<Delivery>(capacity, 1);
	const reports: { reason: DropReason; ids: string[] }[] = [];
	const intake = new Intake(new MiddlewareChain([]), new Router(['out']), buffer, 'block', {
		accepted: () => {},
		urgent: false,
		finished: () => {},
		dropped: (reason, messages) => void reports.push({ reason, ids: messages.map((m) => m.id) }),
	}, slice);
	const take = (n: number): Message[] => {
		const into: Message[] = [];
		buffer.take(0, n, into, undefined);
		return into;
	};
	return { buffer, intake, reports, take };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('Intake.close', () => {
	it('finishes an admission that is both queued and paused after a slice exactly once', async () => {
		const { intake, reports, take } = rig(20, 5);
		const messages = inits(100).map((m) => createMessage(m));
		let resolutions = 0;
		const done = intake.submit(messages, 0, undefined).then((o) => {
			resolutions++;
			return o;
		});
		await tick(); // admits slices until the buffer is full, then queues
		assert.equal(intake.blocked, true);
		take(10);
		intake.spaceFreed(); // resumes the head: it admits a slice and pauses, still first in the queue...
		queueMicrotask(() => intake.close()); // ...and close() runs before its pause ends
		const outcome = await done;
		await tick();
		assert.equal(resolutions, 1);
		const ids = reports.flatMap((r) => r.ids);
		assert.equal(new Set(ids).size, ids.length, 'an id was announced twice');
		assert.equal(ids.length, outcome.dropped.length);
		assert.equal(intake.dropped.shutdown, outcome.dropped.length);
		assert.equal(intake.received, 100);
		assert.equal(outcome.accepted + outcome.dropped.length, 100);
	});
});

describe('WaitQueue', () => {
	interface Item extends Queued<Item> {
		readonly n: number;
	}
	const item = (n: number): Item => ({ n, prev: undefined, next: undefined, queued: false });

	it('is a FIFO whose items leave from anywhere in O(1), and ignores double pushes and removes', () => {
		const q = new WaitQueue<Item>();
		const items = Array.from({ length: 6 }, (_, i) => item(i));
		for (const it of items) q.push(it);
		q.push(items[0]!);
		assert.equal(q.size, 6);
		q.remove(items[3]!);
		q.remove(items[3]!);
		q.remove(items[0]!);
		q.remove(items[5]!);
		assert.deepEqual(q.toArray().map((i) => i.n), [1, 2, 4]);
		assert.equal(q.head?.n, 1);
		q.push(items[0]!);
		assert.deepEqual(q.toArray().map((i) => i.n), [1, 2, 4, 0]);
		for (const it of q.toArray()) q.remove(it);
		assert.equal(q.size, 0);
		assert.equal(q.head, undefined);
	});

	it('holds a million items and empties from the head and the middle without slowing down (no array shifting)', () => {
		const q = new WaitQueue<Item>();
		const items = Array.from({ length: 1_000_000 }, (_, i) => item(i));
		for (const it of items) q.push(it);
		for (let i = 1; i < items.length; i += 2) q.remove(items[i]!);
		let expected = 0;
		while (q.head !== undefined) {
			assert.equal(q.head.n, expected);
			q.remove(q.head);
			expected += 2;
		}
		assert.equal(expected, 1_000_000);
	});
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, createMessage, fromEnvelopeHeaders, MessageValidationError, PolkuError, type EnvelopeHeader } from '../../src/index.js';
import { MemoryQueue, type DeadLetter, type QueueDelivery } from '../../src/testing/index.js';
import { fakeClock, turns } from '../support/hub.js';

const text = (d: QueueDelivery): string => Buffer.from(d.payload).toString('utf8');

function publishAll(queue: MemoryQueue, ...payloads: string[]): void {
	for (const p of payloads) queue.publish(p);
}

describe('MemoryQueue', () => {
	it('delivers in publish order with sequence numbers, headers and payload', async () => {
		const queue = new MemoryQueue({ name: 'q' });
		const headers: EnvelopeHeader[] = [['k', 'v']];
		assert.equal(queue.publish('a', headers), 1);
		assert.equal(queue.publish(new Uint8Array([0xff])), 2);
		headers.push(['later', 'x']); // the queue copied them
		const batch = await queue.consumer().fetch(10);
		assert.deepEqual(batch.map((d) => d.seq), [1, 2]);
		assert.deepEqual(batch[0]!.headers, [['k', 'v']]);
		assert.equal(text(batch[0]!), 'a');
		assert.deepEqual([...batch[1]!.payload], [0xff]);
		assert.deepEqual(batch.map((d) => [d.deliveryCount, d.redelivered]), [[1, false], [1, false]]);
		assert.deepEqual(queue.stats(), { published: 2, ready: 0, delayed: 0, unacked: 2, acked: 0, nacked: 0, expired: 0, redelivered: 0, deadLettered: 0, consumers: 1 });
	});

	it('publishMessages writes the envelope as headers (toEnvelopeHeaders)', async () => {
		const queue = new MemoryQueue();
		const message = createMessage({ source: 's', messageType: 't', metadata: JSON.parse('{"__proto__":"1","a b":"%"}') as Record<string, string>, payload: 'body' });
		queue.publishMessages([message]);
		const [d] = await queue.consumer().fetch(1);
		assert.deepEqual(fromEnvelopeHeaders(d!.headers, d!.payload, { source: 'x', messageType: 'y' }), message);
	});

	it('ack() forgets the message; settling twice returns false', async () => {
		const queue = new MemoryQueue();
		publishAll(queue, 'a');
		const [d] = await queue.consumer().fetch(1);
		assert.equal(queue.size, 1);
		assert.equal(d!.ack(), true);
		assert.equal(d!.ack(), false);
		assert.equal(d!.nack(), false);
		assert.equal(queue.size, 0);
		assert.equal(queue.stats().acked, 1);
	});

	it('fetch waits for a publish, and resolves [] on expiresMs, on abort and on close', async () => {
		const queue = new MemoryQueue();
		const consumer = queue.consumer();
		const waiting = consumer.fetch(5);
		await turns();
		queue.publish('late');
		assert.deepEqual((await waiting).map(text), ['late']);
		assert.deepEqual(await consumer.fetch(5, { expiresMs: 10 }), []);
		const controller = new AbortController();
		const aborted = consumer.fetch(5, { signal: controller.signal });
		controller.abort();
		assert.deepEqual(await aborted, []);
		assert.deepEqual(await consumer.fetch(5, { signal: controller.signal }), [], 'an already-aborted signal');
		const closing = consumer.fetch(5);
		consumer.close();
		assert.deepEqual(await closing, []);
		assert.deepEqual(await consumer.fetch(5), [], 'a closed consumer');
	});

	it('a consumer holds at most prefetch unsettled deliveries; fetch waits for room', async () => {
		const queue = new MemoryQueue();
		publishAll(queue, '1', '2', '3', '4', '5');
		const consumer = queue.consumer({ prefetch: 2 });
		const first = await consumer.fetch(10);
		assert.deepEqual(first.map(text), ['1', '2']);
		let next: QueueDelivery[] | undefined;
		void consumer.fetch(10).then((b) => (next = b));
		await turns();
		assert.equal(next, undefined, 'no room: waiting');
		assert.equal(queue.stats().ready, 3);
		first[0]!.ack();
		await turns();
		assert.deepEqual(next!.map(text), ['3']);
		assert.equal(consumer.unacked, 2);
	});

	it('competing consumers share the messages, each delivered to one', async () => {
		const queue = new MemoryQueue();
		const a = queue.consumer({ prefetch: 3 });
		const b = queue.consumer({ prefetch: 3 });
		const fa = a.fetch(10);
		const fb = b.fetch(10);
		publishAll(queue, '1', '2', '3', '4', '5', '6');
		const [ba, bb] = await Promise.all([fa, fb]);
		assert.deepEqual(ba.map(text), ['1', '2', '3']);
		assert.deepEqual(bb.map(text), ['4', '5', '6']);
	});

	it('nack(delayMs) delivers again after the delay, redeliveries first and in sequence order', async () => {
		const clock = fakeClock();
		try {
			const queue = new MemoryQueue();
			publishAll(queue, '1', '2', '3', '4');
			const consumer = queue.consumer();
			const batch = await consumer.fetch(3);
			batch[2]!.nack(100);
			batch[0]!.nack(100);
			let next: QueueDelivery[] | undefined;
			void consumer.fetch(10).then((b) => (next = b));
			await clock.tickAsync(0);
			assert.deepEqual(next!.map(text), ['4']);
			assert.equal(queue.stats().delayed, 2);
			await clock.tickAsync(99);
			assert.equal(queue.stats().delayed, 2);
			await clock.tickAsync(1);
			const again = await consumer.fetch(10);
			assert.deepEqual(again.map(text), ['1', '3']);
			assert.deepEqual(again.map((d) => [d.deliveryCount, d.redelivered]), [[2, true], [2, true]]);
			assert.equal(queue.stats().redelivered, 2);
			assert.equal(queue.stats().nacked, 2);
		} finally {
			clock.uninstall();
		}
	});

	it('nack() without a delay uses redeliveryDelayMs', async () => {
		const clock = fakeClock();
		try {
			const queue = new MemoryQueue({ redeliveryDelayMs: 50 });
			publishAll(queue, 'a');
			const consumer = queue.consumer();
			(await consumer.fetch(1))[0]!.nack();
			await clock.tickAsync(49);
			assert.equal(queue.stats().ready, 0);
			await clock.tickAsync(1);
			assert.equal(queue.stats().ready, 1);
		} finally {
			clock.uninstall();
		}
	});

	it('a delivery not settled within ackWaitMs goes back to the queue; working() extends it', async () => {
		const clock = fakeClock();
		try {
			const queue = new MemoryQueue({ ackWaitMs: 1_000 });
			publishAll(queue, 'slow', 'stuck');
			const a = queue.consumer();
			const [slow, stuck] = await a.fetch(2);
			await clock.tickAsync(600);
			assert.equal(slow!.working(), true);
			await clock.tickAsync(400);
			assert.equal(queue.stats().expired, 1, 'stuck expired at 1000 ms');
			assert.equal(stuck!.ack(), false, 'a late ack changes nothing');
			const [again] = await queue.consumer().fetch(5);
			assert.equal(text(again!), 'stuck');
			assert.equal(again!.deliveryCount, 2);
			await clock.tickAsync(599);
			assert.equal(slow!.ack(), true, 'extended to 1600 ms');
		} finally {
			clock.uninstall();
		}
	});

	it('term() dead-letters for good, with the error, and announces it', async () => {
		const queue = new MemoryQueue();
		const letters: DeadLetter[] = [];
		queue.on('dead-letter', (l) => letters.push(l));
		publishAll(queue, 'poison', 'next');
		const consumer = queue.consumer();
		const [poison] = await consumer.fetch(1);
		const error = new Error('cannot decode');
		assert.equal(poison!.term(error), true);
		assert.deepEqual(letters.map((l) => [l.seq, l.reason, l.deliveries, l.error]), [[1, 'terminated', 1, error]]);
		assert.deepEqual(queue.deadLetters, letters);
		assert.deepEqual((await consumer.fetch(5)).map(text), ['next']);
		assert.equal(queue.stats().deadLettered, 1);
	});

	it('a message delivered maxDeliveries times is dead-lettered instead of delivered again', async () => {
		const clock = fakeClock();
		try {
			const queue = new MemoryQueue({ maxDeliveries: 2, ackWaitMs: 100 });
			publishAll(queue, 'flaky');
			const consumer = queue.consumer();
			(await consumer.fetch(1))[0]!.nack(0);
			await clock.tickAsync(1);
			const [second] = await consumer.fetch(1);
			assert.equal(second!.deliveryCount, 2);
			await clock.tickAsync(100); // the ack wait passes: a third delivery is not allowed
			assert.deepEqual(queue.deadLetters.map((l) => [l.reason, l.deliveries]), [['max-deliveries', 2]]);
			assert.equal(queue.size, 0);
		} finally {
			clock.uninstall();
		}
	});

	it('close() of a consumer returns its unsettled deliveries at once', async () => {
		const queue = new MemoryQueue();
		publishAll(queue, '1', '2', '3');
		const a = queue.consumer();
		const held = await a.fetch(2);
		a.close();
		a.close();
		assert.equal(held[0]!.ack(), false);
		const b = await queue.consumer().fetch(5);
		assert.deepEqual(b.map(text), ['1', '2', '3']);
		assert.deepEqual(b.map((d) => d.deliveryCount), [2, 2, 1]);
		assert.equal(queue.stats().consumers, 1);
	});

	it('close() closes every consumer and refuses publishing; what is queued stays counted', async () => {
		const queue = new MemoryQueue({ name: 'orders' });
		publishAll(queue, '1', '2');
		const consumer = queue.consumer();
		await consumer.fetch(1);
		queue.close();
		queue.close();
		assert.equal(consumer.closed, true);
		assert.equal(queue.stats().ready, 2);
		assert.throws(() => queue.publish('x'), (e: unknown) => e instanceof PolkuError && e.code === 'ERR_POLKU_QUEUE_CLOSED' && /"orders"/.test(e.message));
		assert.deepEqual(await queue.consumer().fetch(1), []);
	});

	it('rejects bad options and arguments with errors naming the field', async () => {
		assert.throws(() => new MemoryQueue({ ackWaitMs: 0 }), (e: unknown) => e instanceof ConfigError && e.field === 'ackWaitMs');
		assert.throws(() => new MemoryQueue({ maxDeliveries: 0 }), (e: unknown) => e instanceof ConfigError && e.field === 'maxDeliveries');
		assert.throws(() => new MemoryQueue({ redeliveryDelayMs: -1 }), (e: unknown) => e instanceof ConfigError && e.field === 'redeliveryDelayMs');
		const queue = new MemoryQueue();
		assert.throws(() => queue.consumer({ prefetch: 0 }), (e: unknown) => e instanceof ConfigError && e.field === 'prefetch');
		assert.throws(() => queue.publish(42 as unknown as string), (e: unknown) => e instanceof MessageValidationError && e.field === 'payload');
		assert.throws(() => queue.publish('x', [['k', 1]] as unknown as EnvelopeHeader[]), (e: unknown) => e instanceof MessageValidationError && e.field === 'headers[0]');
		assert.throws(() => queue.publishMessages([{ source: 's' }] as never), (e: unknown) => e instanceof MessageValidationError && e.field === '[0].messageType');
		await assert.rejects(queue.consumer().fetch(0), (e: unknown) => e instanceof ConfigError && e.field === 'fetch(max)');
		queue.publish('x');
		const [d] = await queue.consumer().fetch(1);
		assert.throws(() => d!.nack(-5), (e: unknown) => e instanceof ConfigError && e.field === 'nack(delayMs)');
	});
});

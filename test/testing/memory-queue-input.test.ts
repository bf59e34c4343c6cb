import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, createMessage, Hub, type DropEvent, type Logger } from '../../src/index.js';
import { MemoryOutput, MemoryQueue, MemoryQueueInput } from '../../src/testing/index.js';
import { turns } from '../support/hub.js';

const messages = (n: number, tag = 'm') => Array.from({ length: n }, (_, i) => createMessage({ source: 'test', messageType: tag, payload: String(i) }));

async function until(check: () => boolean, ms = 5_000): Promise<void> {
	const deadline = performance.now() + ms;
	while (!check()) {
		if (performance.now() > deadline) throw new Error('condition not reached');
		await new Promise((r) => setTimeout(r, 5));
	}
}

function hubWith(input: MemoryQueueInput, out: MemoryOutput, options: { capacity?: number; batchSize?: number } = {}): Hub {
	return Hub.builder()
		.bufferCapacity(options.capacity ?? 1000)
		.input(input)
		.output(out, { retry: false, batchSize: options.batchSize ?? 100, flushInterval: 1 })
		.build();
}

describe('MemoryQueueInput', () => {
	it('delivers queued messages with their envelope and acks them after delivery', async () => {
		const queue = new MemoryQueue({ name: 'orders' });
		const sent = messages(25);
		queue.publishMessages(sent);
		const input = new MemoryQueueInput({ queue, batchSize: 10 });
		const out = new MemoryOutput();
		const hub = hubWith(input, out);
		await hub.start();
		await out.waitFor(25);
		await until(() => queue.size === 0);
		await hub.stop();
		assert.equal(input.name, 'orders');
		assert.deepEqual(out.messages, sent);
		assert.deepEqual(input.stats(), { acked: 25, nacked: 0, invalid: 0 });
		assert.equal(queue.stats().acked, 25);
		assert.equal(hub.stats().inputs['orders']!.sent, 25);
	});

	it("gives a plain producer's message an id from its sequence, source and type from the options, headers as metadata", async () => {
		const queue = new MemoryQueue({ name: 'raw', redeliveryDelayMs: 1 });
		queue.publish('hello', [['content-type', 'text/plain']]);
		const input = new MemoryQueueInput({ queue, source: 'legacy', messageType: 'greeting' });
		const out = new MemoryOutput().failNext(1);
		const hub = hubWith(input, out);
		await hub.start();
		await out.waitFor(1);
		await hub.stop();
		const [m] = out.messages;
		assert.equal(m!.id, 'raw/1', 'stable across the redelivery');
		assert.equal(m!.source, 'legacy');
		assert.equal(m!.messageType, 'greeting');
		assert.deepEqual({ ...m!.metadata }, { 'content-type': 'text/plain' });
		assert.equal(Buffer.from(m!.payload).toString(), 'hello');
	});

	it('nacks what the hub failed to deliver; the queue delivers it again', async () => {
		const queue = new MemoryQueue();
		queue.publishMessages(messages(10));
		const warnings: string[] = [];
		const logger: Logger = { debug() {}, info() {}, warn: (_o, msg) => warnings.push(msg ?? ''), error() {} };
		const input = new MemoryQueueInput({ queue, nackDelayMs: 20, logger });
		const out = new MemoryOutput().failNext(1);
		const hub = hubWith(input, out);
		await hub.start();
		await out.waitFor(10);
		await until(() => queue.size === 0);
		await hub.stop();
		assert.deepEqual(input.stats(), { acked: 10, nacked: 10, invalid: 0 });
		assert.equal(queue.stats().redelivered, 10);
		assert.equal(new Set(out.messages.map((m) => m.id)).size, 10);
		assert.match(warnings.join('\n'), /delivery failed; nacking/);
	});

	it('terminates a poison message at the queue and reports it with dropInvalid', async () => {
		const queue = new MemoryQueue({ name: 'q' });
		queue.publish('garbage', [['polku-id', 'x'], ['polku-timestamp', 'soon']]);
		queue.publishMessages(messages(1));
		const input = new MemoryQueueInput({ queue });
		const out = new MemoryOutput();
		const hub = hubWith(input, out);
		const drops: DropEvent[] = [];
		hub.on('drop', (e) => drops.push(e));
		await hub.start();
		await out.waitFor(1);
		await hub.stop();
		assert.deepEqual(drops.map((d) => [d.reason, d.messages.length]), [['invalid', 1]]);
		assert.equal(Buffer.from(drops[0]!.messages[0]!.payload).toString(), 'garbage');
		assert.match(drops[0]!.error!.message, /polku-timestamp/);
		assert.deepEqual(queue.deadLetters.map((l) => [l.seq, l.reason]), [[1, 'terminated']]);
		assert.equal(hub.stats().inputs['q']!.invalid, 1);
		assert.equal(input.stats().invalid, 1);
	});

	it('stops fetching at prefetch while the hub blocks; the queue holds the rest', async () => {
		const queue = new MemoryQueue();
		queue.publishMessages(messages(500));
		const input = new MemoryQueueInput({ queue, prefetch: 30, batchSize: 10 });
		const out = new MemoryOutput().hang();
		const hub = hubWith(input, out, { capacity: 10, batchSize: 5 });
		await hub.start();
		await until(() => out.hanging > 0 && hub.bufferSize === 10);
		await new Promise((r) => setTimeout(r, 100));
		assert.equal(queue.stats().unacked, 30);
		assert.equal(queue.stats().ready, 470);
		assert.ok(hub.stats().inputs[input.name]!.sent <= 30);
		out.release();
		await out.waitFor(500);
		await hub.stop();
		assert.equal(queue.size, 0);
	});

	it('keeps deliveries that wait in a slow hub from expiring (working() heartbeats)', async () => {
		const queue = new MemoryQueue({ ackWaitMs: 60 });
		queue.publishMessages(messages(6));
		const input = new MemoryQueueInput({ queue, batchSize: 2 });
		const out = new MemoryOutput({ latencyMs: 100 });
		const hub = hubWith(input, out, { batchSize: 2 });
		await hub.start();
		await out.waitFor(6);
		await hub.stop();
		assert.equal(queue.stats().expired, 0);
		assert.equal(out.messages.length, 6, 'no redelivery');
	});

	it('on stop, finishes its in-flight deliveries and returns what the hub could not deliver to the queue', async () => {
		const queue = new MemoryQueue();
		queue.publishMessages(messages(20));
		const input = new MemoryQueueInput({ queue, prefetch: 20, batchSize: 20 });
		const out = new MemoryOutput().hang();
		const hub = hubWith(input, out);
		await hub.start();
		await until(() => out.hanging > 0);
		await hub.stop({ timeoutMs: 50 });
		// The deadline passed with the deliveries in flight: the hub failed them, and the input nacks and returns.
		await until(() => hub.stats().inputs[input.name]!.running === false);
		assert.equal(queue.stats().consumers, 0);
		assert.equal(queue.size, 20, 'nothing lost');
		assert.equal(queue.stats().acked, 0);
	});

	it('run() returns when its queue closes', async () => {
		const queue = new MemoryQueue();
		const input = new MemoryQueueInput({ queue });
		const hub = hubWith(input, new MemoryOutput());
		await hub.start();
		await turns();
		queue.close();
		await until(() => hub.stats().inputs[input.name]!.running === false);
		await hub.stop();
	});

	it('rejects bad options with a ConfigError naming the field', () => {
		const queue = new MemoryQueue();
		assert.throws(() => new MemoryQueueInput({} as never), (e: unknown) => e instanceof ConfigError && e.field === 'queue');
		assert.throws(() => new MemoryQueueInput({ queue, prefetch: 0 }), (e: unknown) => e instanceof ConfigError && e.field === 'prefetch');
		assert.throws(() => new MemoryQueueInput({ queue, batchSize: 1.5 }), (e: unknown) => e instanceof ConfigError && e.field === 'batchSize');
		assert.throws(() => new MemoryQueueInput({ queue, nackDelayMs: -1 }), (e: unknown) => e instanceof ConfigError && e.field === 'nackDelayMs');
		assert.throws(() => new MemoryQueueInput({ queue, name: '' }), (e: unknown) => e instanceof ConfigError && e.field === 'name');
	});
});

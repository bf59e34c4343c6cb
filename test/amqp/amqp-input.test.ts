// AmqpInput against the real RabbitMQ: batching and multiple acks, requeue and attempt counting, the
// queue's dead-letter exchange, x-death counting through a broker-side retry loop, poison messages,
// plain producers, and reconnecting after the broker closed the connection mid-stream.
import assert from 'node:assert/strict';
import type { Channel, ChannelModel } from 'amqplib';
import { after, before, describe, it } from 'node:test';
import { AmqpInput, AmqpOutput, type AmqpConnection, type AmqpInputOptions } from '../../src/adapters/amqp/index.js';
import { ConfigError, createMessage, Hub, type DropEvent, type Message } from '../../src/index.js';
import { MemoryOutput } from '../../src/testing/index.js';
import { skipUnless } from '../support/services.js';
import { closeFromServer, connect, localPort, publishRaw, QueueReader, uniqueName, until } from './helpers.js';

const skip = await skipUnless('rabbitmq');

const messages = (n: number, prefix = 'm'): Message[] => Array.from({ length: n }, (_, i) => createMessage({ source: 'test', messageType: `${prefix}${i}`, payload: `p${i}` }));

describe('AmqpInput', { skip }, () => {
	let connection: ChannelModel;
	let admin: Channel;
	const cleanups: (() => Promise<unknown>)[] = [];

	before(async () => {
		connection = await connect('amqp-input-test');
		admin = await connection.createChannel();
		admin.on('error', () => {});
	});
	after(async () => {
		for (const c of cleanups.reverse()) await c().catch(() => {});
		await connection.close().catch(() => {});
	});

	async function declare(prefix: string, args: Record<string, unknown> = {}): Promise<string> {
		const name = uniqueName(prefix);
		await admin.assertQueue(name, { durable: false, arguments: args });
		cleanups.push(() => admin.deleteQueue(name));
		return name;
	}

	async function publish(queue: string, batch: readonly Message[]): Promise<void> {
		const output = new AmqpOutput({ connection, exchange: '', routingKey: queue, name: 'publisher' });
		await output.send(batch);
		await output.close();
	}

	async function startHub(options: AmqpInputOptions, out: MemoryOutput, outputOptions: { retry?: false } = { retry: false }) {
		const input = new AmqpInput(options);
		const hub = Hub.builder().input(input).output(out, { batchSize: 100, flushInterval: 5, ...(outputOptions.retry === false ? { retry: false } : {}) }).build();
		const drops: DropEvent[] = [];
		hub.on('drop', (e) => drops.push(e));
		await hub.start();
		cleanups.push(() => hub.stop({ timeoutMs: 1000 }));
		return { input, hub, drops };
	}

	it('rejects bad options naming the field', () => {
		assert.throws(() => new AmqpInput({ connection, queue: '' }), (e: unknown) => e instanceof ConfigError && /queue/.test(e.field));
		assert.throws(() => new AmqpInput({ connection, queue: 'q', prefetch: 0 }), (e: unknown) => e instanceof ConfigError && /prefetch/.test(e.field));
		assert.throws(() => new AmqpInput({ connection, queue: 'q', retryVia: 'dead-letter-exchange' }), (e: unknown) => e instanceof ConfigError && /parkingQueue/.test(e.field));
		assert.throws(() => new AmqpInput({ connection, queue: 'q', maxAttempts: 1.5 }), (e: unknown) => e instanceof ConfigError && /maxAttempts/.test(e.field));
	});

	it('run: acks what the hub delivered, a run of deliveries with one multiple ack', async () => {
		const queue = await declare('multiple');
		let acks = 0;
		let multiples = 0;
		const counting = new Proxy(connection, {
			get(target, key, receiver) {
				if (key === 'createChannel') {
					return async () => {
						const channel = await target.createChannel();
						const ack = channel.ack.bind(channel);
						channel.ack = (message, allUpTo) => {
							acks++;
							if (allUpTo === true) multiples++;
							ack(message, allUpTo);
						};
						return channel;
					};
				}
				const value = Reflect.get(target, key, receiver) as unknown;
				return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
			},
		}) as unknown as AmqpConnection;
		await publish(queue, messages(1000));
		const out = new MemoryOutput();
		const { input } = await startHub({ connection: counting, queue, prefetch: 200 }, out);
		await out.waitFor(1000, 20_000);
		await until(() => input.stats().acked === 1000, 5_000, 'every delivery acked');
		assert.ok(acks < 200, `${acks} ack calls for 1000 deliveries`);
		assert.ok(multiples > 0);
		assert.deepEqual(
			out.messages.map((m) => m.messageType),
			messages(1000).map((m) => m.messageType),
		);
		const check = await admin.checkQueue(queue);
		assert.equal(check.messageCount, 0);
	});

	it('run: a plain producer’s message gets messageId, timestamp, appId, type and headers as its envelope', async () => {
		const queue = await declare('plain');
		await publishRaw(connection, queue, [
			{ content: Buffer.from('hello'), options: { messageId: 'order-7', timestamp: 1_700_000_000, appId: 'legacy', type: 'order.created', contentType: 'text/plain', headers: { tenant: 'acme', n: 3 } } },
			{ content: Buffer.from('bare') },
		]);
		const out = new MemoryOutput();
		await startHub({ connection, queue }, out);
		await out.waitFor(2, 10_000);
		const [a, b] = out.messages;
		assert.equal(a!.id, 'order-7');
		assert.equal(a!.timestamp, 1_700_000_000_000_000_000n);
		assert.equal(a!.source, 'legacy');
		assert.equal(a!.messageType, 'order.created');
		assert.deepEqual({ ...a!.metadata }, { tenant: 'acme', n: '3', 'content-type': 'text/plain' });
		assert.equal(Buffer.from(a!.payload).toString(), 'hello');
		assert.equal(b!.source, queue);
		assert.equal(b!.messageType, queue, 'no type property: the routing key (the queue name on the default exchange)');
		assert.match(b!.id, /^[0-9A-Z]{26}$/);
	});

	it('run: a failed delivery is requeued after retryDelayMs and redelivered (counted)', async () => {
		const queue = await declare('requeue');
		await publish(queue, messages(5));
		const out = new MemoryOutput().failNext(1);
		const { input } = await startHub({ connection, queue, retryDelayMs: 100 }, out);
		await until(() => new Set(out.messages.map((m) => m.id)).size === 5, 10_000, 'all five delivered');
		const s = input.stats();
		assert.equal(s.retried, 5);
		assert.equal(s.redelivered, 5);
		assert.equal(s.deadLettered, 0);
		await until(() => input.stats().acked === 5, 5_000, 'acked');
	});

	it('run: after maxAttempts a failing message goes to the queue’s dead-letter exchange (event, counter); x-death records it', async () => {
		const dlq = await declare('dlq');
		const queue = await declare('with-dlx', { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq });
		await publish(queue, messages(1));
		const out = new MemoryOutput().failNext(100);
		const { input } = await startHub({ connection, queue, retryDelayMs: 50, maxAttempts: 3 }, out);
		const events: { attempts: number; parked: boolean }[] = [];
		input.on('dead-letter', (e) => events.push(e));
		const reader = await QueueReader.start(connection, dlq);
		cleanups.push(() => reader.stop());
		await reader.waitFor(1, 10_000);
		assert.equal(out.failures, 3);
		assert.deepEqual(events, [{ ...events[0]!, attempts: 3, parked: false }]);
		assert.equal(input.stats().deadLettered, 1);
		assert.equal(input.stats().retried, 2);
		const death = (reader.raw[0]!.properties.headers?.['x-death'] as { queue: string; reason: string; count: number }[])[0]!;
		assert.deepEqual([death.queue, death.reason, death.count], [queue, 'rejected', 1]);
	});

	it("run: retryVia 'dead-letter-exchange' retries through a broker-side loop counted by x-death, then parks the message", async () => {
		const parking = await declare('parking');
		const queue = uniqueName('loop');
		const wait = await declare('wait', { 'x-message-ttl': 50, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': queue });
		await admin.assertQueue(queue, { durable: false, arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': wait } });
		cleanups.push(() => admin.deleteQueue(queue));
		const [message] = messages(1);
		await publish(queue, [message!]);
		const out = new MemoryOutput().failNext(100);
		const { input } = await startHub({ connection, queue, retryVia: 'dead-letter-exchange', maxAttempts: 3, parkingQueue: parking }, out);
		const reader = await QueueReader.start(connection, parking);
		cleanups.push(() => reader.stop());
		await reader.waitFor(1, 10_000);
		assert.equal(out.failures, 3, 'three attempts: the first, and two rounds through the wait queue');
		const parked = reader.raw[0]!;
		assert.equal(parked.properties.headers?.['polku.dlq.attempts'], '3');
		assert.match(String(parked.properties.headers?.['polku.dlq.error']), /.+/);
		const deaths = parked.properties.headers?.['x-death'] as { queue: string; reason: string; count: number }[];
		assert.equal(deaths.find((d) => d.queue === queue && d.reason === 'rejected')?.count, 2);
		assert.equal(reader.messages[0]!.id, message!.id, 'the parked message keeps its envelope');
		await until(async () => (await admin.checkQueue(queue)).messageCount === 0 && input.stats().acked === 1, 5_000, 'the original acked');
		assert.equal(input.stats().deadLettered, 1);
		assert.equal(input.stats().retried, 2);
	});

	it('run: a poison message is rejected without requeue (the DLX gets it) and dropped as invalid, once', async () => {
		const dlq = await declare('poison-dlq');
		const queue = await declare('poison', { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq });
		await publishRaw(connection, queue, [{ content: Buffer.from('bad'), options: { messageId: 'bad-1', headers: { 'polku-id': 'x', 'polku-timestamp': 'soon' } } }]);
		await publish(queue, messages(1, 'after'));
		const out = new MemoryOutput();
		const { input, hub, drops } = await startHub({ connection, queue }, out);
		const invalid: unknown[] = [];
		input.on('invalid', (e) => invalid.push(e));
		await out.waitFor(1, 10_000);
		const reader = await QueueReader.start(connection, dlq);
		cleanups.push(() => reader.stop());
		await until(() => reader.raw.length === 1, 10_000, 'the poison message at the DLX');
		assert.equal(Buffer.from(reader.raw[0]!.content).toString(), 'bad');
		assert.equal(input.stats().invalid, 1);
		assert.equal(hub.stats().dropped.invalid, 1);
		assert.equal(drops.filter((d) => d.reason === 'invalid').length, 1);
		assert.equal(out.messages.length, 1);
	});

	it('run: stop cancels, finishes in-flight deliveries and acks them; nothing is left unacked', async () => {
		const queue = await declare('stop');
		await publish(queue, messages(300));
		const out = new MemoryOutput({ latencyMs: 30 });
		const { input, hub } = await startHub({ connection, queue, prefetch: 100 }, out);
		await until(() => out.messages.length > 0, 10_000, 'deliveries started');
		await hub.stop({ timeoutMs: 10_000 });
		assert.equal(input.stats().consuming, false);
		const delivered = out.messages.length;
		const check = await admin.checkQueue(queue);
		assert.equal(check.messageCount, 300 - delivered, 'everything delivered was acked, everything else is back in the queue');
	});

	it('run: reconnects with backoff after the broker closed the connection mid-stream; nothing lost, acks never doubled', async () => {
		const queue = await declare('reconnect');
		const total = 3000;
		const sent = messages(total, 'r');
		await publish(queue, sent);
		const made: ChannelModel[] = [];
		// ~400 messages a second: the stream is still flowing when the broker closes the connection (rabbitmqctl takes seconds).
		const out = new MemoryOutput({ latencyMs: 250 });
		const { input } = await startHub(
			{
				connect: async () => {
					const c = await connect('amqp-input-reconnect');
					made.push(c);
					return c;
				},
				queue,
				prefetch: 100,
				reconnect: { baseDelayMs: 50, maxDelayMs: 500 },
			},
			out,
		);
		const disconnects: number[] = [];
		input.on('disconnect', (e) => disconnects.push(e.abandoned));
		await until(() => out.messages.length >= 300, 20_000, 'a first part delivered');
		await closeFromServer([localPort(made[0]!)]);
		await until(() => new Set(out.messages.map((m) => m.id)).size === total, 60_000, 'every message delivered after the reconnect');
		await until(async () => (await admin.checkQueue(queue)).messageCount === 0 && input.stats().consuming, 10_000, 'the queue drained');
		const s = input.stats();
		assert.equal(made.length, 2, 'one new connection');
		assert.equal(s.reconnects, 1);
		assert.equal(disconnects.length, 1);
		assert.ok(s.abandoned > 0, 'the close came mid-stream: deliveries of the dead channel were abandoned to the broker');
		const duplicates = out.messages.length - total;
		assert.ok(duplicates <= s.abandoned, `${duplicates} duplicates, ${s.abandoned} abandoned`);
		assert.equal(s.received, s.acked + s.abandoned + s.retried, 'every delivery acked once, or abandoned with its channel');
		assert.equal(s.acked, total, 'each message acked exactly once');
		console.log(`reconnect: ${s.abandoned} deliveries abandoned with the channel, ${duplicates} duplicates, ${s.redelivered} flagged redelivered`);
	});

	it('run: with only a user connection, a closed connection ends run() with a clear error', async () => {
		const own = await connect('amqp-input-only-connection');
		const queue = await declare('only-connection');
		const input = new AmqpInput({ connection: own, queue });
		const hub = Hub.builder().input(input).output(new MemoryOutput()).build();
		const errors: Error[] = [];
		hub.on('error', (e) => errors.push(e));
		await hub.start();
		cleanups.push(() => hub.stop({ timeoutMs: 1000 }));
		await until(() => input.stats().consuming, 5_000, 'consuming');
		await closeFromServer([localPort(own)]);
		await until(() => errors.length > 0, 10_000, 'run() rejected');
		assert.match(errors[0]!.message, /connection closed and no connect function/);
	});
});

// AmqpOutput against the real RabbitMQ: mandatory returns, per-message routing keys, properties, publisher
// flow control (drain), a missing exchange, and reconnecting after the broker closed the connection.
import assert from 'node:assert/strict';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { after, before, describe, it } from 'node:test';
import { AmqpOutput, AmqpUnroutableError, type AmqpConfirmChannel, type AmqpConnection } from '../../src/adapters/amqp/index.js';
import { ConfigError, createMessage, OutputError, type Message } from '../../src/index.js';
import { skipUnless } from '../support/services.js';
import { closeFromServer, connect, localPort, QueueReader, uniqueName, until } from './helpers.js';

const skip = await skipUnless('rabbitmq');

const messages = (n: number, extra: Partial<Parameters<typeof createMessage>[0]> = {}): Message[] =>
	Array.from({ length: n }, (_, i) => createMessage({ source: 'test', messageType: `m${i}`, payload: `p${i}`, ...extra }));

/** The connection with every confirm channel passed through `wrap` (a proxy over the real channel). */
function wrapped(connection: ChannelModel, wrap: (channel: ConfirmChannel) => AmqpConfirmChannel): AmqpConnection {
	return new Proxy(connection, {
		get(target, key, receiver) {
			if (key === 'createConfirmChannel') return async () => wrap(await target.createConfirmChannel());
			const value = Reflect.get(target, key, receiver) as unknown;
			return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
		},
	}) as unknown as AmqpConnection;
}

/** A channel proxy whose publish is `publish(real, args)`. */
function withPublish(channel: ConfirmChannel, publish: (real: ConfirmChannel, args: Parameters<ConfirmChannel['publish']>) => boolean): AmqpConfirmChannel {
	return new Proxy(channel, {
		get(target, key, receiver) {
			if (key === 'publish') return (...args: Parameters<ConfirmChannel['publish']>) => publish(target, args);
			const value = Reflect.get(target, key, receiver) as unknown;
			return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
		},
	}) as unknown as AmqpConfirmChannel;
}

describe('AmqpOutput', { skip }, () => {
	let connection: ChannelModel;
	before(async () => {
		connection = await connect('amqp-output-test');
	});
	after(() => connection.close().catch(() => {}));

	async function queue(prefix: string): Promise<{ name: string; reader: QueueReader; drop(): Promise<void> }> {
		const name = uniqueName(prefix);
		const admin = await connection.createChannel();
		await admin.assertQueue(name, { durable: false });
		const reader = await QueueReader.start(connection, name);
		return {
			name,
			reader,
			drop: async () => {
				await reader.stop();
				await admin.deleteQueue(name).catch(() => {});
				await admin.close().catch(() => {});
			},
		};
	}

	it('rejects options that are not an output: no connection, bad exchange, bad routing key', () => {
		assert.throws(() => new AmqpOutput({ exchange: '', routingKey: 'q' }), (e: unknown) => e instanceof ConfigError && /connection/.test(e.field));
		assert.throws(() => new AmqpOutput({ connection, exchange: 7 as unknown as string, routingKey: 'q' }), (e: unknown) => e instanceof ConfigError && /exchange/.test(e.field));
		assert.throws(() => new AmqpOutput({ connection, exchange: '', routingKey: 1 as unknown as string }), (e: unknown) => e instanceof ConfigError && /routingKey/.test(e.field));
		assert.throws(() => new AmqpOutput({ connection, exchange: '', routingKey: 'q', timeoutMs: 0 }), (e: unknown) => e instanceof ConfigError && /timeoutMs/.test(e.field));
	});

	it('send: the envelope in headers, and messageId, timestamp (seconds), type, appId, contentType, persistent in the properties', async () => {
		const q = await queue('props');
		try {
			const output = new AmqpOutput({ connection, exchange: '', routingKey: q.name, contentType: (m) => m.metadata['ct'] });
			const message = createMessage({ source: 'shop', messageType: 'order.created', timestamp: 1_764_216_000_123_456_789n, metadata: { ct: 'application/json', __proto__x: 'y' }, payload: '{}' });
			await output.send([message]);
			await q.reader.waitFor(1, 5_000);
			const raw = q.reader.raw[0]!;
			assert.equal(raw.properties.messageId, message.id);
			assert.equal(raw.properties.timestamp, 1_764_216_000);
			assert.equal(raw.properties.type, 'order.created');
			assert.equal(raw.properties.appId, 'shop');
			assert.equal(raw.properties.contentType, 'application/json');
			assert.equal(raw.properties.deliveryMode, 2);
			assert.equal(raw.properties.headers?.['polku-timestamp'], '1764216000123456789');
			assert.deepEqual(q.reader.messages[0], message);
			await output.close();
		} finally {
			await q.drop();
		}
	});

	it('send: a metadata key __proto__ survives amqplib (sent as polku-meta-__proto__)', async () => {
		const q = await queue('proto');
		try {
			const metadata = Object.defineProperty({}, '__proto__', { value: 'x', enumerable: true }) as Record<string, string>;
			const message = createMessage({ source: 's', messageType: 't', metadata });
			await new AmqpOutput({ connection, exchange: '', routingKey: q.name }).send([message]);
			await q.reader.waitFor(1, 5_000);
			assert.equal(q.reader.raw[0]!.properties.headers?.['polku-meta-__proto__'], 'x');
			assert.equal(Object.hasOwn(q.reader.messages[0]!.metadata, '__proto__'), true);
			assert.equal(q.reader.messages[0]!.metadata['__proto__'], 'x');
		} finally {
			await q.drop();
		}
	});

	it('send: a routing key per message routes through a topic exchange', async () => {
		const exchange = uniqueName('topic');
		const a = await queue('topic-a');
		const b = await queue('topic-b');
		const admin = await connection.createChannel();
		try {
			await admin.assertExchange(exchange, 'topic', { durable: false, autoDelete: false });
			await admin.bindQueue(a.name, exchange, 'order.*');
			await admin.bindQueue(b.name, exchange, 'invoice.*');
			const output = new AmqpOutput({ connection, exchange, routingKey: (m) => m.messageType });
			await output.send([
				createMessage({ source: 's', messageType: 'order.created' }),
				createMessage({ source: 's', messageType: 'invoice.paid' }),
				createMessage({ source: 's', messageType: 'order.shipped' }),
			]);
			assert.deepEqual((await a.reader.waitFor(2, 5_000)).map((m) => m.messageType), ['order.created', 'order.shipped']);
			assert.deepEqual((await b.reader.waitFor(1, 5_000)).map((m) => m.messageType), ['invoice.paid']);
		} finally {
			await admin.deleteExchange(exchange).catch(() => {});
			await admin.close().catch(() => {});
			await a.drop();
			await b.drop();
		}
	});

	it('send: messages the broker cannot route fail the send with AmqpUnroutableError (mandatory); the routed ones arrive', async () => {
		const exchange = uniqueName('direct');
		const a = await queue('routed');
		const admin = await connection.createChannel();
		try {
			await admin.assertExchange(exchange, 'direct', { durable: false });
			await admin.bindQueue(a.name, exchange, 'known');
			const output = new AmqpOutput({ connection, exchange, routingKey: (m) => m.messageType });
			const batch = [createMessage({ source: 's', messageType: 'known' }), createMessage({ source: 's', messageType: 'nobody' }), createMessage({ source: 's', messageType: 'nobody' })];
			const error = await output.send(batch).then(
				() => assert.fail('send resolved'),
				(e: unknown) => e,
			);
			assert.ok(error instanceof AmqpUnroutableError, String(error));
			assert.equal(error.returned, 2);
			assert.equal(error.routingKey, 'nobody');
			assert.match(error.message, /2 message\(s\) unroutable.*NO_ROUTE.*"nobody"/);
			assert.equal(output.health(), false);
			await a.reader.waitFor(1, 5_000);
			// The next send on the same channel is not confused by the earlier returns.
			await output.send([createMessage({ source: 's', messageType: 'known' })]);
			assert.equal(output.health(), true);
			await a.reader.waitFor(2, 5_000);
		} finally {
			await admin.deleteExchange(exchange).catch(() => {});
			await admin.close().catch(() => {});
			await a.drop();
		}
	});

	it('send: with mandatory false an unroutable message is confirmed (the broker discards it)', async () => {
		const output = new AmqpOutput({ connection, exchange: '', routingKey: uniqueName('nowhere'), mandatory: false });
		await output.send(messages(2));
	});

	it('send: a missing exchange fails the send (the broker closes the channel); the next send opens a new channel', async () => {
		const exchange = uniqueName('later');
		const a = await queue('later');
		const admin = await connection.createChannel();
		try {
			const output = new AmqpOutput({ connection, exchange, routingKey: 'k' });
			await assert.rejects(output.send(messages(1)), (e: unknown) => e instanceof OutputError && /NOT_FOUND|closed/.test(e.message));
			await admin.assertExchange(exchange, 'direct', { durable: false });
			await admin.bindQueue(a.name, exchange, 'k');
			await output.send(messages(3));
			await a.reader.waitFor(3, 5_000);
		} finally {
			await admin.deleteExchange(exchange).catch(() => {});
			await admin.close().catch(() => {});
			await a.drop();
		}
	});

	it('send: when publish returns false, waits for the channel to drain before publishing more', async () => {
		const q = await queue('drain-forced');
		const timeline: string[] = [];
		let channel: ConfirmChannel | undefined;
		try {
			const conn = wrapped(connection, (real) => {
				channel = real;
				return withPublish(real, (r, args) => {
					const writable = r.publish(...args);
					timeline.push(`publish ${String(args[3]?.type)}`);
					return args[3]?.type === 'm0' ? false : writable;
				});
			});
			const output = new AmqpOutput({ connection: conn, exchange: '', routingKey: q.name });
			const sending = output.send(messages(3));
			await until(() => timeline.length > 0, 5_000, 'the first publish');
			await new Promise((r) => setTimeout(r, 100));
			assert.deepEqual(timeline, ['publish m0'], 'nothing more is published before drain');
			timeline.push('drain');
			channel!.emit('drain');
			await sending;
			assert.deepEqual(timeline, ['publish m0', 'drain', 'publish m1', 'publish m2']);
			await q.reader.waitFor(3, 5_000);
		} finally {
			await q.drop();
		}
	});

	it('send: a drain that never comes is bounded by the send signal; the channel is replaced', async () => {
		const q = await queue('drain-never');
		let channels = 0;
		try {
			const conn = wrapped(connection, (real) => {
				channels++;
				return withPublish(real, (r, args) => (r.publish(...args), channels > 1));
			});
			const output = new AmqpOutput({ connection: conn, exchange: '', routingKey: q.name });
			await assert.rejects(output.send(messages(2), AbortSignal.timeout(200)), /abandoned/);
			await output.send(messages(2));
			assert.equal(channels, 2);
		} finally {
			await q.drop();
		}
	});

	it('send: a batch larger than the channel write buffer (1024 frames) hits real flow control and all arrives', async () => {
		const q = await queue('drain-real');
		let falses = 0;
		try {
			const conn = wrapped(connection, (real) =>
				withPublish(real, (r, args) => {
					const writable = r.publish(...args);
					if (!writable) falses++;
					return writable;
				}),
			);
			const output = new AmqpOutput({ connection: conn, exchange: '', routingKey: q.name, persistent: false });
			await output.send(messages(3000));
			await q.reader.waitFor(3000, 20_000);
			assert.ok(falses > 0, 'publish never returned false: the test did not exercise flow control');
		} finally {
			await q.drop();
		}
	});

	it('send: reconnects through connect() after the broker closed the connection', async () => {
		const q = await queue('reconnect');
		const made: ChannelModel[] = [];
		try {
			const output = new AmqpOutput({
				connect: async () => {
					const c = await connect('amqp-output-reconnect');
					made.push(c);
					return c;
				},
				exchange: '',
				routingKey: q.name,
			});
			await output.send(messages(2));
			await closeFromServer([localPort(made[0]!)]);
			await until(() => !output.health() || made.length > 0, 5_000, 'the close is noticed');
			// The first send after the close may fail (the hub retries it); a retry succeeds on a new connection.
			await output.send(messages(2)).catch(() => output.send(messages(2)));
			assert.equal(made.length, 2);
			await q.reader.waitFor(4, 5_000);
			await output.close();
			await output.close();
		} finally {
			await q.drop();
			for (const c of made) await c.close().catch(() => {});
		}
	});
});

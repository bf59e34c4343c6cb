// AmqpOutput and AmqpInput against the real RabbitMQ (127.0.0.1:5672), through the shared conformance suite.
import type { ChannelModel } from 'amqplib';
import { after, before, describe, it } from 'node:test';
import { AmqpInput, AmqpOutput } from '../../src/adapters/amqp/index.js';
import { inputConformance, outputConformance, type InputHarness, type OutputHarness } from '../../src/testing/index.js';
import { skipUnless } from '../support/services.js';
import { connect, publishRaw, QueueReader, silentServer, uniqueName } from './helpers.js';

const skip = await skipUnless('rabbitmq');

describe('AmqpOutput / AmqpInput conformance (RabbitMQ)', { skip }, () => {
	let connection: ChannelModel;
	let silent: Awaited<ReturnType<typeof silentServer>>;

	before(async () => {
		connection = await connect('conformance');
		silent = await silentServer();
	});
	after(async () => {
		await connection.close().catch(() => {});
		await silent.close();
	});

	const outputHarness: OutputHarness = {
		name: 'AmqpOutput',
		features: { ordering: 'total', envelope: true },
		async setup() {
			const queue = uniqueName('conformance-out');
			const admin = await connection.createChannel();
			await admin.assertQueue(queue, { durable: false });
			const reader = await QueueReader.start(connection, queue);
			return {
				output: new AmqpOutput({ connection, exchange: '', routingKey: queue, timeoutMs: 5_000 }),
				received: (count, timeoutMs) => reader.waitFor(count, timeoutMs),
				// A broker that accepts the TCP connection and never answers: connect() hangs until the send's timeoutMs.
				unreachable: () => new AmqpOutput({ connect: () => import('amqplib').then((amqp) => amqp.connect(`amqp://guest:guest@127.0.0.1:${silent.port}`)), exchange: '', routingKey: queue, timeoutMs: 3_000 }),
				async teardown() {
					await reader.stop();
					await admin.deleteQueue(queue).catch(() => {});
					await admin.close().catch(() => {});
				},
			};
		},
	};

	const inputHarness: InputHarness = {
		name: 'AmqpInput',
		features: { ordering: 'total', envelope: true, redelivery: true, backpressure: true, poison: true, maxInFlight: 50, redeliveryMs: 1_500 },
		async setup() {
			const queue = uniqueName('conformance-in');
			const admin = await connection.createChannel();
			await admin.assertQueue(queue, { durable: false });
			const publisher = new AmqpOutput({ connection, exchange: '', routingKey: queue, name: 'publisher' });
			return {
				createInput: (name) => new AmqpInput({ connection, queue, ...(name === undefined ? {} : { name }), prefetch: 50, retryDelayMs: 200 }),
				publish: (messages) => publisher.send(messages),
				publishPoison: () =>
					publishRaw(connection, queue, [{ content: Buffer.from('poison'), options: { headers: { 'polku-id': 'poison-1', 'polku-timestamp': 'yesterday' } } }]),
				async teardown() {
					await publisher.close();
					await admin.deleteQueue(queue).catch(() => {});
					await admin.close().catch(() => {});
				},
			};
		},
	};

	for (const c of outputConformance(outputHarness)) it(c.name, { skip: c.skip ?? false, timeout: c.timeoutMs }, () => c.run());
	for (const c of inputConformance(inputHarness)) it(c.name, { skip: c.skip ?? false, timeout: c.timeoutMs }, () => c.run());
});

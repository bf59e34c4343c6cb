// JetStream at-least-once: JetStreamOutput publishes with acks (Nats-Msg-Id = message id), and a
// JetStreamInput on a durable pull consumer acks each message only after the hub delivered it. The
// warehouse output fails its first two sends: those messages are nakked with a delay and come back.
// Needs a NATS server with JetStream on 127.0.0.1:4222 (or NATS_URL).
// expect: at-least-once: 100 of 100 orders reached the warehouse
// expect: redelivered after a nak: [1-9]\d* messages
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Hub, type Message, type Output } from 'polku';
import { JetStreamInput, JetStreamOutput } from 'polku/nats';
import { MemoryInput } from 'polku/testing';

const nc = await connect({ servers: process.env['NATS_URL'] ?? '127.0.0.1:4222' });
const js = jetstream(nc);
const jsm = await jetstreamManager(nc);
const stream = `ORDERS_${Date.now().toString(36).toUpperCase()}`;
await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });

try {
	// 1. Publish 100 orders through a hub, with acks.
	const orders = new MemoryInput('orders');
	const publisher = new JetStreamOutput({ js, subject: `${stream}.created` });
	const publish = Hub.builder().input(orders).output(publisher).build();
	await publish.start();
	await orders.deliver(Array.from({ length: 100 }, (_, i) => ({ source: 'checkout', messageType: 'order.created', payload: JSON.stringify({ order: i }) })));
	await publish.stop();

	// 2. Consume them: the warehouse fails twice, the input naks and the server redelivers.
	let failures = 2;
	const received: Message[] = [];
	const warehouse: Output = {
		name: 'warehouse',
		async send(batch) {
			if (failures-- > 0) throw new Error('warehouse is restarting');
			received.push(...batch);
		},
	};
	const input = new JetStreamInput({ js, stream, consumer: 'warehouse', nakDelayMs: 200 });
	const consume = Hub.builder().input(input).output(warehouse, { retry: false, batchSize: 20 }).build();
	await consume.start();
	const deadline = Date.now() + 30_000;
	while (new Set(received.map((m) => m.id)).size < 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
	await consume.stop();

	console.log(`at-least-once: ${new Set(received.map((m) => m.id)).size} of 100 orders reached the warehouse`);
	console.log(`redelivered after a nak: ${input.stats().nakked} messages; acked ${input.stats().acked}`);
} finally {
	await jsm.streams.delete(stream);
	await nc.drain();
}

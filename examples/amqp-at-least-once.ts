// RabbitMQ in and out, at least once: a hub consumes the queue "orders" (ack after delivery) and publishes
// what it got to the queue "orders.audit" (publisher confirms). A flaky output in between fails a few
// sends: the messages are nacked, requeued by the broker and delivered again; nothing is lost.
// Needs RabbitMQ on 127.0.0.1:5672 (guest/guest). Run: npm run build && node --import tsx examples/amqp-at-least-once.ts
// expect: 100 of 100 orders reached orders\.audit
// expect: retried \d+, acked 100
import amqp from 'amqplib';
import { createMessage, Hub, type Message, type Output } from 'polku';
import { AmqpInput, AmqpOutput } from 'polku/amqp';

const url = 'amqp://guest:guest@127.0.0.1:5672';
const suffix = Date.now().toString(36);
const orders = `orders-${suffix}`;
const audit = `orders.audit-${suffix}`;

const connection = await amqp.connect(url);
connection.on('error', (error) => console.error('connection error', error.message));
const admin = await connection.createChannel();
await admin.assertQueue(orders, { durable: true });
await admin.assertQueue(audit, { durable: true });

// Something publishes orders (here: polku's own output, straight to the queue on the default exchange).
const producer = new AmqpOutput({ connection, exchange: '', routingKey: orders });
const sent = Array.from({ length: 100 }, (_, i) => createMessage({ source: 'checkout', messageType: 'order.created', payload: JSON.stringify({ id: i }) }));
await producer.send(sent);

// A flaky step: its first three sends fail.
let failures = 3;
const flaky: Output = {
	name: 'flaky',
	async send(batch: readonly Message[]) {
		if (failures-- > 0) throw new Error(`flaky: lost ${batch.length} messages`);
	},
};

// The pipeline: consume "orders", deliver to the flaky step and publish to "orders.audit".
const input = new AmqpInput({ connect: () => amqp.connect(url), queue: orders, prefetch: 50, retryDelayMs: 100 });
const output = new AmqpOutput({ connection, exchange: '', routingKey: audit });
const hub = Hub.builder().input(input).output(flaky, { retry: false }).output(output).build();
await hub.start();

// Read back what reached "orders.audit".
const seen = new Set<string>();
const reader = await connection.createChannel();
await reader.consume(audit, (m) => m !== null && seen.add(String(m.properties.messageId)), { noAck: true });
while (seen.size < sent.length) await new Promise((r) => setTimeout(r, 50));

await hub.stop();
const stats = input.stats();
console.log(`${seen.size} of ${sent.length} orders reached orders.audit (${stats.redelivered} redelivered by the broker)`);
console.log(`retried ${stats.retried}, acked ${stats.acked}`);

await admin.deleteQueue(orders);
await admin.deleteQueue(audit);
await producer.close();
await connection.close();

// Redis Streams in and out: a hub appends events to the stream "events" (pipelined XADD, trimmed to about
// 10 000 entries), and a second hub reads them back in the consumer group "billing", acking each entry
// after delivery. A plain client's entry (only a `payload` field) goes through too.
// Needs Redis on 127.0.0.1:6379. Run: npm run build && node --import tsx examples/redis-streams.ts
// expect: billing got 51 events \(50 from polku, 1 from a plain client\)
// expect: acked 51, pending 0
import { Redis } from 'ioredis';
import { Hub, type Message, type Output } from 'polku';
import { RedisStreamInput, RedisStreamOutput } from 'polku/redis';
import { MemoryInput } from 'polku/testing';

const redis = new Redis('redis://127.0.0.1:6379');
const stream = `events-${Date.now().toString(36)}`;

// Producer side: anything the hub gets is appended to the stream.
const events = new MemoryInput('app');
const producer = Hub.builder().input(events).output(new RedisStreamOutput({ client: redis, stream, trim: { maxLen: 10_000 } })).build();
await producer.start();
await events.deliver(Array.from({ length: 50 }, (_, i) => ({ source: 'shop', messageType: 'order.paid', metadata: { tenant: 'acme' }, payload: JSON.stringify({ order: i }) })));
await producer.stop();

// Someone else writes with a plain client: only a payload field.
await redis.xadd(stream, '*', 'payload', '{"order":"manual"}', 'note', 'entered by hand');

// Consumer side: the consumer group "billing" (created at the stream's start), XACK after delivery.
const got: Message[] = [];
const billing: Output = {
	name: 'billing',
	async send(batch) {
		got.push(...batch);
	},
};
const input = new RedisStreamInput({ client: redis, stream, group: 'billing' });
const consumer = Hub.builder().input(input).output(billing).build();
await consumer.start();
while (got.length < 51) await new Promise((r) => setTimeout(r, 20));
await consumer.stop();

const plain = got.filter((m) => m.source === stream);
console.log(`billing got ${got.length} events (${got.length - plain.length} from polku, ${plain.length} from a plain client)`);
console.log(`plain entry: type ${plain[0]?.messageType}, metadata ${JSON.stringify(plain[0]?.metadata)}`);
const [pending] = (await redis.xpending(stream, 'billing')) as [number];
console.log(`acked ${input.stats().acked}, pending ${pending}`);

await redis.del(stream);
redis.disconnect();

// Kafka in and out: orders are produced to one topic per region (KafkaOutput, topic chosen per message),
// a KafkaInput in a consumer group reads every region topic (a pattern) and the hub fans each order out
// to a warehouse and an audit output; offsets are committed only after both confirmed.
// Uses the brokers in KAFKA_BROKERS (host:port,…), or starts librdkafka's mock cluster with kcat.
// expect: fan-out: 30 orders from 3 region topics → warehouse 30, audit 30
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Kafka, logLevel } from 'kafkajs';
import { Hub, type Message, type Output } from 'polku';
import { KafkaInput, KafkaOutput } from 'polku/kafka';
import { MemoryInput } from 'polku/testing';

/** A local Kafka: KAFKA_BROKERS, or librdkafka's mock cluster (`apt-get install kcat`). */
async function brokers(): Promise<{ list: string[]; stop: () => void }> {
	if (process.env['KAFKA_BROKERS']) return { list: process.env['KAFKA_BROKERS'].split(','), stop: () => {} };
	const kcat = spawn('kcat', ['-b', '127.0.0.1:1', '-X', 'test.mock.num.brokers=1', '-C', '-t', '__keepalive', '-o', 'end', '-E'], { stdio: ['ignore', 'ignore', 'pipe'] });
	const list = await new Promise<string[]>((resolve, reject) => {
		kcat.once('error', reject);
		createInterface({ input: kcat.stderr! }).on('line', (line) => {
			const match = /replaced with (\S+)/.exec(line);
			if (match) resolve(match[1]!.split(','));
		});
	});
	return { list, stop: () => kcat.kill('SIGTERM') };
}

const cluster = await brokers();
const run = Date.now().toString(36);
const kafka = new Kafka({ clientId: 'fan-out-example', brokers: cluster.list, logLevel: logLevel.NOTHING });

// 1. Produce: one topic per region, the customer as the record key.
const producer = kafka.producer();
await producer.connect();
const regions = ['eu', 'us', 'ap'];
const orders = new MemoryInput('orders');
const produce = Hub.builder()
	.input(orders)
	.output(new KafkaOutput({ producer, topic: (m) => `orders.${run}.${m.metadata['region']}`, key: 'customer' }))
	.build();
await produce.start();
await orders.deliver(
	Array.from({ length: 30 }, (_, i) => ({
		source: 'checkout',
		messageType: 'order.created',
		metadata: { region: regions[i % 3]!, customer: `c${i % 7}` },
		payload: JSON.stringify({ order: i }),
	})),
);
await produce.stop(); // closes the output, which disconnects the producer

// 2. Consume every region topic in one consumer group and fan out.
const collect = (name: string): Output & { messages: Message[] } => {
	const messages: Message[] = [];
	return { name, messages, send: async (batch) => void messages.push(...batch) };
};
const warehouse = collect('warehouse');
const audit = collect('audit');
const input = new KafkaInput({
	consumer: () => kafka.consumer({ groupId: `fan-out-${run}`, maxWaitTimeInMs: 100 }),
	pattern: new RegExp(`^orders\\.${run}\\.`),
	fromBeginning: true,
});
const fanOut = Hub.builder().input(input).output(warehouse).output(audit).build();
await fanOut.start();
const deadline = Date.now() + 45_000;
while (audit.messages.length < 30 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
await fanOut.stop();
cluster.stop();

const topics = new Set(warehouse.messages.map((m) => m.metadata['region']));
console.log(`fan-out: ${audit.messages.length} orders from ${topics.size} region topics → warehouse ${warehouse.messages.length}, audit ${audit.messages.length}`);
console.log(`committed after delivery: ${input.stats().commits} commits, ${input.stats().delivered} records`);

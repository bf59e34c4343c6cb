// One instance of the two-instances test: a hub consuming a RabbitMQ queue (AmqpInput) or a Redis stream's
// consumer group (RedisStreamInput), whose output writes `D <id>` to stdout and resolves only once the line
// is in the pipe (so a line the parent read is a delivery, even if this process is SIGKILLed right after).
// On SIGTERM it stops the hub and prints `S <input stats as JSON>`.
//   node --import tsx test/scale/worker.ts amqp <queue> <name>
//   node --import tsx test/scale/worker.ts redis <stream> <name>
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { AmqpInput } from '../../src/adapters/amqp/index.js';
import { RedisStreamInput } from '../../src/adapters/redis/index.js';
import { Hub, type Message, type Output } from '../../src/index.js';

const [kind, source, name] = process.argv.slice(2) as [string, string, string];

const stdoutOutput: Output = {
	name: 'stdout',
	send(batch: readonly Message[]): Promise<void> {
		let text = '';
		for (const m of batch) text += `D ${m.id}\n`;
		return new Promise((resolve, reject) => process.stdout.write(text, (error) => (error ? reject(error) : resolve())));
	},
};

let stats: () => unknown;
let close: () => Promise<void> = async () => {};
let input;
if (kind === 'amqp') {
	const amqpInput = new AmqpInput({
		name,
		queue: source,
		prefetch: 50,
		retryDelayMs: 100,
		connect: async () => {
			const connection = await amqp.connect('amqp://guest:guest@127.0.0.1:5672', { clientProperties: { connection_name: `two-instances-${name}` } });
			connection.on('error', () => {});
			return connection;
		},
	});
	stats = () => amqpInput.stats();
	input = amqpInput;
} else {
	const client = new Redis('redis://127.0.0.1:6379', { connectionName: `two-instances-${name}` });
	client.on('error', () => {});
	const redisInput = new RedisStreamInput({ name, client, stream: source, group: 'two-instances', consumer: name, count: 50, blockMs: 200, claimIdleMs: 1_000, claimIntervalMs: 250 });
	stats = () => redisInput.stats();
	close = async () => void client.disconnect();
	input = redisInput;
}

const hub = Hub.builder().input(input).output(stdoutOutput, { batchSize: 50, flushInterval: 5 }).build();
await hub.start();
process.stdout.write('READY\n');
process.once('SIGTERM', async () => {
	await hub.stop({ timeoutMs: 5_000 });
	await close();
	process.stdout.write(`S ${JSON.stringify(stats())}\n`, () => process.exit(0));
});

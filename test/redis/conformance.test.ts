// RedisStreamOutput and RedisStreamInput against the real Redis (127.0.0.1:6379), through the shared
// conformance suite, once with ioredis and once with node-redis.
import { Redis } from 'ioredis';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { RedisStreamInput, RedisStreamOutput } from '../../src/adapters/redis/index.js';
import { inputConformance, outputConformance, type InputHarness, type OutputHarness } from '../../src/testing/index.js';
import { skipUnless } from '../support/services.js';
import { CLIENT_KINDS, readStream, redisClient, uniqueKey, type TestClient } from './helpers.js';

const skip = await skipUnless('redis');

for (const kind of CLIENT_KINDS) {
	describe(`RedisStreamOutput / RedisStreamInput conformance (Redis, ${kind})`, { skip }, () => {
		let tc: TestClient;
		before(async () => {
			tc = await redisClient(kind, 'conformance');
		});
		after(() => tc.close());

		const outputHarness: OutputHarness = {
			name: `RedisStreamOutput (${kind})`,
			features: { ordering: 'total', envelope: true },
			async setup() {
				const stream = uniqueKey('out');
				const closers: (() => void)[] = [];
				return {
					output: new RedisStreamOutput({ client: tc.client, stream }),
					received: (count, timeoutMs) => readStream(tc, stream, count, timeoutMs),
					// Nothing listens on port 1: the client keeps reconnecting and the send gives up after timeoutMs.
					unreachable: () => {
						if (kind === 'ioredis') {
							const client = new Redis({ host: '127.0.0.1', port: 1, maxRetriesPerRequest: null, retryStrategy: () => 200 });
							client.on('error', () => {});
							closers.push(() => client.disconnect());
							return new RedisStreamOutput({ client, stream, timeoutMs: 3_000 });
						}
						const client = createClient({ url: 'redis://127.0.0.1:1', socket: { reconnectStrategy: () => 200 } });
						client.on('error', () => {});
						client.connect().catch(() => {});
						closers.push(() => client.destroy());
						return new RedisStreamOutput({ client, stream, timeoutMs: 3_000 });
					},
					async teardown() {
						for (const close of closers) close();
						await tc.text(['DEL', stream]);
					},
				};
			},
		};

		const inputHarness: InputHarness = {
			name: `RedisStreamInput (${kind})`,
			features: { ordering: 'total', envelope: true, redelivery: true, backpressure: true, poison: true, maxInFlight: 50, redeliveryMs: 1_500 },
			async setup() {
				const stream = uniqueKey('in');
				const publisher = new RedisStreamOutput({ client: tc.client, stream, name: 'publisher' });
				let n = 0;
				return {
					createInput: (name) =>
						new RedisStreamInput({
							client: tc.client,
							stream,
							...(name === undefined ? {} : { name }),
							consumer: `${name ?? 'redis'}-${++n}`,
							count: 50,
							blockMs: 200,
							claimIdleMs: 500,
							claimIntervalMs: 200,
						}),
					publish: (messages) => publisher.send(messages),
					publishPoison: async () => {
						await tc.text(['XADD', stream, '*', 'payload', 'poison', 'polku-id', 'poison-1', 'polku-timestamp', 'yesterday']);
					},
					async teardown() {
						await tc.text(['DEL', stream, `${stream}:dead-letter`]);
					},
				};
			},
		};

		for (const c of outputConformance(outputHarness)) it(c.name, { skip: c.skip ?? false, timeout: c.timeoutMs }, () => c.run());
		for (const c of inputConformance(inputHarness)) it(c.name, { skip: c.skip ?? false, timeout: c.timeoutMs }, () => c.run());
	});
}

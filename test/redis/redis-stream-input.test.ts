// RedisStreamInput against the real Redis, with ioredis and node-redis: plain entries, XAUTOCLAIM of a dead
// consumer's entries, the dead-letter stream after maxDeliveries, poison entries, idle-time refresh of slow
// deliveries, a prompt stop, and CLIENT KILL of the input's connections mid-stream.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RedisStreamInput, RedisStreamOutput, type RedisStreamInputOptions } from '../../src/adapters/redis/index.js';
import { ConfigError, createMessage, Hub, type DropEvent, type Message } from '../../src/index.js';
import { MemoryOutput } from '../../src/testing/index.js';
import { skipUnless } from '../support/services.js';
import { CLIENT_KINDS, redisClient, streamEntries, uniqueKey, until, type TestClient } from './helpers.js';

const skip = await skipUnless('redis');

const messages = (n: number, prefix = 'm'): Message[] => Array.from({ length: n }, (_, i) => createMessage({ source: 'test', messageType: `${prefix}${i}`, payload: `p${i}` }));

for (const kind of CLIENT_KINDS) {
	describe(`RedisStreamInput (${kind})`, { skip }, () => {
		let tc: TestClient;
		const keys: string[] = [];
		const cleanups: (() => Promise<unknown>)[] = [];
		before(async () => {
			tc = await redisClient(kind, 'input-test');
		});
		after(async () => {
			for (const c of cleanups.reverse()) await c().catch(() => {});
			if (keys.length > 0) await tc.text(['DEL', ...keys]);
			await tc.close();
		});
		const stream = (prefix: string): string => {
			const k = uniqueKey(prefix);
			keys.push(k, `${k}:dead-letter`);
			return k;
		};

		async function startHub(options: RedisStreamInputOptions, out: MemoryOutput) {
			const input = new RedisStreamInput(options);
			const hub = Hub.builder().input(input).output(out, { batchSize: 100, flushInterval: 5, retry: false }).build();
			const drops: DropEvent[] = [];
			hub.on('drop', (e) => drops.push(e));
			await hub.start();
			cleanups.push(() => hub.stop({ timeoutMs: 1000 }));
			return { input, hub, drops };
		}

		const pending = async (key: string, group = 'polku'): Promise<number> => {
			const summary = (await tc.text(['XPENDING', key, group])) as unknown[];
			return Number(summary[0]);
		};

		it('rejects bad options naming the field', () => {
			assert.throws(() => new RedisStreamInput({ client: tc.client, stream: '' }), (e: unknown) => e instanceof ConfigError && /stream/.test(e.field));
			assert.throws(() => new RedisStreamInput({ client: tc.client, stream: 's', count: 0 }), (e: unknown) => e instanceof ConfigError && /count/.test(e.field));
			assert.throws(() => new RedisStreamInput({ client: tc.client, stream: 's', deadLetterStream: 's' }), (e: unknown) => e instanceof ConfigError && /deadLetterStream/.test(e.field));
			assert.throws(() => new RedisStreamInput({ client: tc.client, stream: 's', createGroup: '' }), (e: unknown) => e instanceof ConfigError && /createGroup/.test(e.field));
		});

		it('run: an entry of a plain client needs only payload: new id, timestamp of the entry id, stream as source and type, fields as metadata', async () => {
			const key = stream('plain');
			await tc.text(['XADD', key, '1700000000123-0', 'payload', 'hello', 'tenant', 'acme']);
			await tc.text(['XADD', key, '*', 'note', 'no payload']);
			const out = new MemoryOutput();
			await startHub({ client: tc.client, stream: key, blockMs: 100 }, out);
			await out.waitFor(2, 5_000);
			const [a, b] = out.messages;
			assert.match(a!.id, /^[0-9A-Z]{26}$/);
			assert.equal(a!.timestamp, 1_700_000_000_123_000_000n);
			assert.equal(a!.source, key);
			assert.equal(a!.messageType, key);
			assert.deepEqual({ ...a!.metadata }, { tenant: 'acme' });
			assert.equal(Buffer.from(a!.payload).toString(), 'hello');
			assert.equal(b!.payload.length, 0);
			assert.deepEqual({ ...b!.metadata }, { note: 'no payload' });
		});

		it('run: claims (XAUTOCLAIM) the pending entries of a consumer that died, once they are idle for claimIdleMs', async () => {
			const key = stream('claim');
			const sent = messages(5);
			await new RedisStreamOutput({ client: tc.client, stream: key }).send(sent);
			await tc.text(['XGROUP', 'CREATE', key, 'polku', '0']);
			// A consumer reads them and dies without acking.
			await tc.text(['XREADGROUP', 'GROUP', 'polku', 'dead-consumer', 'COUNT', '10', 'STREAMS', key, '>']);
			assert.equal(await pending(key), 5);
			const out = new MemoryOutput();
			const { input } = await startHub({ client: tc.client, stream: key, claimIdleMs: 300, claimIntervalMs: 100, blockMs: 100 }, out);
			const claims: number[] = [];
			input.on('claim', (e) => claims.push(e.count));
			await out.waitFor(5, 10_000);
			assert.deepEqual(out.messages.map((m) => m.id), sent.map((m) => m.id));
			await until(async () => (await pending(key)) === 0, 5_000, 'all acked');
			assert.equal(input.stats().claimed, 5);
			assert.equal(input.stats().read, 0);
		});

		it('run: after maxDeliveries an entry moves to the dead-letter stream (fields kept, failure recorded), event and counter', async () => {
			const key = stream('dead');
			const [message] = messages(1);
			await new RedisStreamOutput({ client: tc.client, stream: key }).send([message!]);
			const out = new MemoryOutput().failNext(100);
			const { input } = await startHub({ client: tc.client, stream: key, maxDeliveries: 3, claimIdleMs: 200, claimIntervalMs: 50, blockMs: 100 }, out);
			const events: { entryId: string; deliveries: number }[] = [];
			input.on('dead-letter', (e) => events.push(e));
			await until(async () => Number(await tc.text(['XLEN', `${key}:dead-letter`])) === 1, 15_000, 'the entry in the dead-letter stream');
			assert.equal(out.failures, 3);
			assert.equal(events.length, 1);
			assert.equal(events[0]!.deliveries, 3);
			assert.equal(input.stats().deadLettered, 1);
			assert.equal(await pending(key), 0);
			const fields = streamEntries(await tc.raw(['XRANGE', `${key}:dead-letter`, '-', '+']))[0]![1].map((f) => f.toString());
			const field = (name: string): string | undefined => fields[fields.indexOf(name) + 1];
			assert.equal(field('polku-id'), message!.id);
			assert.equal(field('payload'), 'p0');
			assert.equal(field('polku.dlq.attempts'), '3');
			assert.equal(field('polku.dlq.entry'), `${key}/${events[0]!.entryId}`);
			assert.match(field('polku.dlq.error') ?? '', /after 3 deliveries/);
		});

		it('run: an undecodable entry moves to the dead-letter stream and is dropped as invalid, once', async () => {
			const key = stream('poison');
			await tc.text(['XADD', key, '*', 'payload', 'bad', 'polku-id', 'x', 'polku-timestamp', 'soon']);
			await new RedisStreamOutput({ client: tc.client, stream: key }).send(messages(1, 'after'));
			const out = new MemoryOutput();
			const { input, hub, drops } = await startHub({ client: tc.client, stream: key, blockMs: 100 }, out);
			await out.waitFor(1, 5_000);
			await until(() => input.stats().invalid === 1, 5_000, 'the poison counted');
			assert.equal(hub.stats().dropped.invalid, 1);
			const drop = drops.find((d) => d.reason === 'invalid')!;
			assert.equal(Buffer.from(drop.messages[0]!.payload).toString(), 'bad');
			assert.match(drop.error!.message, /polku-timestamp/);
			assert.equal(Number(await tc.text(['XLEN', `${key}:dead-letter`])), 1);
			await until(async () => (await pending(key)) === 0, 5_000, 'nothing pending');
		});

		it('run: a delivery slower than claimIdleMs keeps its entries (their idle time is refreshed): no other consumer claims them', async () => {
			const key = stream('slow');
			await new RedisStreamOutput({ client: tc.client, stream: key }).send(messages(3));
			const slow = new MemoryOutput({ latencyMs: 1500 });
			await startHub({ client: tc.client, stream: key, consumer: 'slow', claimIdleMs: 400, claimIntervalMs: 100, blockMs: 100 }, slow);
			await until(() => slow.hanging > 0 || slow.messages.length > 0, 5_000, 'the slow delivery started');
			const other = new MemoryOutput();
			await startHub({ client: tc.client, stream: key, consumer: 'claimer', claimIdleMs: 400, claimIntervalMs: 100, blockMs: 100 }, other);
			await slow.waitFor(3, 10_000);
			await until(async () => (await pending(key)) === 0, 5_000, 'acked');
			assert.equal(other.messages.length, 0, 'the second consumer claimed entries that were being delivered');
		});

		it('run: stop returns within blockMs and the deliveries in flight', async () => {
			const key = stream('stop');
			const out = new MemoryOutput();
			const { hub } = await startHub({ client: tc.client, stream: key, blockMs: 500 }, out);
			await new Promise((r) => setTimeout(r, 300));
			const started = performance.now();
			await hub.stop({ timeoutMs: 5_000 });
			const took = performance.now() - started;
			assert.ok(took < 2_000, `stop took ${Math.round(took)} ms`);
			assert.equal(hub.stats().inputs['redis']?.running, false);
		});

		it('run: CLIENT KILL of the input’s connections mid-stream loses nothing (the clients reconnect; unacked entries come again)', async () => {
			const key = stream('kill');
			const name = `polku-kill-${kind}-${Date.now()}`;
			const own = await redisClient(kind, name);
			cleanups.push(() => own.close());
			const total = 3000;
			const sent = messages(total, 'k');
			const publisher = new RedisStreamOutput({ client: tc.client, stream: key });
			for (let i = 0; i < total; i += 500) await publisher.send(sent.slice(i, i + 500));
			const out = new MemoryOutput({ latencyMs: 20 });
			const { input } = await startHub({ client: own.client, stream: key, count: 100, blockMs: 200, claimIdleMs: 1000, claimIntervalMs: 200 }, out);
			await until(() => out.messages.length >= 300, 20_000, 'a first part delivered');
			const list = String(await tc.text(['CLIENT', 'LIST']));
			const ids = list
				.split('\n')
				.filter((line) => line.includes(` name=${name} `))
				.map((line) => /id=(\d+)/.exec(line)![1]!);
			assert.equal(ids.length, 2, 'the input client and its blocking duplicate');
			for (const id of ids) await tc.text(['CLIENT', 'KILL', 'ID', id]);
			assert.ok(out.messages.length < total, 'the kill came mid-stream');
			await until(() => new Set(out.messages.map((m) => m.id)).size === total, 30_000, 'every entry delivered after the kill');
			await until(async () => (await pending(key)) === 0, 10_000, 'nothing left pending');
			const duplicates = out.messages.length - total;
			console.log(`CLIENT KILL (${kind}): ${duplicates} duplicates, ${input.stats().errors} command errors, ${input.stats().claimed} claimed`);
		});
	});
}

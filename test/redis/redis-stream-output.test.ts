// RedisStreamOutput against the real Redis, with ioredis and node-redis: field layout, per-message streams,
// trimming, error replies.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RedisStreamOutput } from '../../src/adapters/redis/index.js';
import { ConfigError, createMessage, OutputError, type Message } from '../../src/index.js';
import { skipUnless } from '../support/services.js';
import { CLIENT_KINDS, readStream, redisClient, streamEntries, uniqueKey, type TestClient } from './helpers.js';

const skip = await skipUnless('redis');

const messages = (n: number, prefix = 'm'): Message[] => Array.from({ length: n }, (_, i) => createMessage({ source: 'test', messageType: `${prefix}${i}`, payload: `p${i}` }));

for (const kind of CLIENT_KINDS) {
	describe(`RedisStreamOutput (${kind})`, { skip }, () => {
		let tc: TestClient;
		const keys: string[] = [];
		before(async () => {
			tc = await redisClient(kind, 'output-test');
		});
		after(async () => {
			if (keys.length > 0) await tc.text(['DEL', ...keys]);
			await tc.close();
		});
		const key = (prefix: string): string => {
			const k = uniqueKey(prefix);
			keys.push(k);
			return k;
		};

		it('rejects bad options naming the field', () => {
			assert.throws(() => new RedisStreamOutput({ client: {} as never, stream: 's' }), (e: unknown) => e instanceof ConfigError && /client/.test(e.field));
			assert.throws(() => new RedisStreamOutput({ client: tc.client, stream: '' }), (e: unknown) => e instanceof ConfigError && /stream/.test(e.field));
			assert.throws(() => new RedisStreamOutput({ client: tc.client, stream: 's', trim: { maxLen: -1 } }), (e: unknown) => e instanceof ConfigError && /trim.maxLen/.test(e.field));
			assert.throws(() => new RedisStreamOutput({ client: tc.client, stream: 's', trim: {} as never }), (e: unknown) => e instanceof ConfigError && /trim/.test(e.field));
		});

		it('send: payload first (binary-safe), then the envelope fields named as the broker headers', async () => {
			const stream = key('fields');
			const message = createMessage({ source: 'shop', messageType: 'order.created', timestamp: 1_764_216_000_123_456_789n, metadata: { tenant: 'acme' }, routeTo: ['a', 'b'], payload: new Uint8Array([0, 255, 13, 10]) });
			await new RedisStreamOutput({ client: tc.client, stream }).send([message]);
			const fields = streamEntries(await tc.raw(['XRANGE', stream, '-', '+']))[0]![1];
			const names = fields.filter((_f, i) => i % 2 === 0).map((f) => f.toString());
			assert.deepEqual(names, ['payload', 'polku-id', 'polku-timestamp', 'polku-source', 'polku-type', 'polku-route-to', 'tenant']);
			assert.deepEqual([...fields[1]!], [0, 255, 13, 10]);
			assert.equal(fields[5]!.toString(), '1764216000123456789');
			assert.equal(fields[11]!.toString(), 'a,b');
		});

		it('send: the stream chosen per message', async () => {
			const a = key('per-a');
			const b = key('per-b');
			const output = new RedisStreamOutput({ client: tc.client, stream: (m) => (m.messageType.startsWith('a') ? a : b) });
			await output.send([createMessage({ source: 's', messageType: 'a1' }), createMessage({ source: 's', messageType: 'b1' }), createMessage({ source: 's', messageType: 'a2' })]);
			assert.deepEqual((await readStream(tc, a, 2, 1000)).map((m) => m.messageType), ['a1', 'a2']);
			assert.deepEqual((await readStream(tc, b, 1, 1000)).map((m) => m.messageType), ['b1']);
		});

		it('send: trim { maxLen } keeps about maxLen entries (approximate), exact with exact: true', async () => {
			const approx = key('maxlen');
			const exact = key('maxlen-exact');
			const output = new RedisStreamOutput({ client: tc.client, stream: approx, trim: { maxLen: 100 } });
			const exactOutput = new RedisStreamOutput({ client: tc.client, stream: exact, trim: { maxLen: 100, exact: true } });
			for (let i = 0; i < 10; i++) {
				await output.send(messages(100));
				await exactOutput.send(messages(100));
			}
			const approxLen = Number(await tc.text(['XLEN', approx]));
			assert.ok(approxLen >= 100 && approxLen < 1000, `XLEN ${approxLen}`);
			assert.equal(Number(await tc.text(['XLEN', exact])), 100);
		});

		it('send: trim { minAgeMs } drops entries older than that (MINID)', async () => {
			const stream = key('minid');
			await tc.text(['XADD', stream, `${Date.now() - 60_000}-0`, 'payload', 'old']);
			await new RedisStreamOutput({ client: tc.client, stream, trim: { minAgeMs: 10_000, exact: true } }).send(messages(2));
			const entries = streamEntries(await tc.raw(['XRANGE', stream, '-', '+']));
			assert.equal(entries.length, 2);
			assert.ok(entries.every(([, f]) => f[1]!.toString() !== 'old'));
		});

		it('send: an error reply fails the send with an OutputError and health() turns false, then true again', async () => {
			const stream = key('wrongtype');
			await tc.text(['SET', stream, 'not a stream']);
			const output = new RedisStreamOutput({ client: tc.client, stream: (m) => (m.messageType === 'bad' ? stream : `${stream}:ok`) });
			keys.push(`${stream}:ok`);
			await assert.rejects(output.send([createMessage({ source: 's', messageType: 'bad' })]), (e: unknown) => e instanceof OutputError && /XADD failed.*WRONGTYPE/.test(e.message));
			assert.equal(output.health(), false);
			await output.send([createMessage({ source: 's', messageType: 'good' })]);
			assert.equal(output.health(), true);
		});
	});
}

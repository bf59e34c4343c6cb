import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { S3Output, S3OutputError, s3Retryable, type S3ClientLike, type S3ObjectEvent } from '../../src/adapters/s3/index.js';
import { ConfigError } from '../../src/errors.js';
import { Hub } from '../../src/hub/hub.js';
import { parseJsonEvents } from '../../src/json-event/index.js';
import { createMessage, type Message } from '../../src/message/message.js';
import { MemoryInput } from '../../src/testing/index.js';
import { startS3, type LocalS3 } from '../support/local-s3.js';

const T0 = 1764216000123456789n; // 2025-11-27T04:00:00.123456789Z

const sample = (): Message[] => [
	createMessage({ id: 'a', timestamp: T0, source: 'svc', messageType: 'order.created', metadata: { tenant: 'acme', 'polku.severity': '4' }, payload: '{"n":1}' }),
	createMessage({ id: 'b', timestamp: T0 + 1n, source: 'svc', messageType: 'bin', payload: new Uint8Array([0, 255, 10, 13]), routeTo: ['s3'] }),
	createMessage({ id: 'c', timestamp: T0 + 2n, source: 'other', messageType: 'text', payload: 'line with\nnewline ✓' }),
];

const strip = (m: Message) => ({ ...m, metadata: { ...m.metadata }, payload: Buffer.from(m.payload).toString('base64'), routeTo: [...m.routeTo] });

describe('S3Output', () => {
	let s3: LocalS3;
	before(async () => {
		s3 = await startS3();
	});
	after(() => s3.close());

	it('writes a batch as one NDJSON object of the POLKU JSON event form, keyed by the first message time', async () => {
		const bucket = await s3.bucket();
		const output = new S3Output({ client: s3.client, bucket, prefix: 'events/' });
		const events: S3ObjectEvent[] = [];
		output.on('object', (e) => events.push(e));
		const batch = sample();
		await output.send(batch);
		const [object, ...rest] = await s3.objects(bucket);
		assert.equal(rest.length, 0);
		assert.match(object!.key, /^events\/2025\/11\/27\/04\/[0-9A-HJKMNP-TV-Z]{26}\.ndjson$/);
		assert.equal(object!.contentType, 'application/x-ndjson');
		assert.equal(object!.contentEncoding, undefined);
		assert.deepEqual(object!.metadata, { 'polku-messages': '3' });
		const text = object!.body.toString('utf8');
		assert.equal(text.split('\n').length, 4, 'three lines, each ending in a newline');
		assert.ok(text.endsWith('\n'));
		assert.deepEqual(parseJsonEvents(object!.body, 'ndjson').map(strip), batch.map(strip));
		assert.deepEqual(events, [{ bucket, key: object!.key, messages: 3, bytes: object!.body.length, multipart: false }]);
		assert.deepEqual(output.stats(), { objects: 1, multipart: 0, messages: 3, bytes: object!.body.length, failures: 0 });
		assert.equal(output.health(), true);
	});

	it('gzip-compresses with Content-Encoding gzip and a .gz key', async () => {
		const bucket = await s3.bucket();
		const output = new S3Output({ client: s3.client, bucket, compression: 'gzip', gzipLevel: 9 });
		const batch = sample();
		await output.send(batch);
		const [object] = await s3.objects(bucket);
		assert.match(object!.key, /^2025\/11\/27\/04\/\w{26}\.ndjson\.gz$/);
		assert.equal(object!.contentEncoding, 'gzip');
		assert.equal(object!.contentType, 'application/x-ndjson');
		assert.deepEqual(parseJsonEvents(gunzipSync(object!.body), 'ndjson').map(strip), batch.map(strip));
	});

	it('writes a JSON array with the chosen payload encoding', async () => {
		const bucket = await s3.bucket();
		const output = new S3Output({ client: s3.client, bucket, format: 'json', payloadEncoding: 'json' });
		const batch = sample();
		await output.send(batch);
		const [object] = await s3.objects(bucket);
		assert.match(object!.key, /\.json$/);
		assert.equal(object!.contentType, 'application/json');
		const array = JSON.parse(object!.body.toString('utf8')) as { payload: unknown; payload_encoding?: string }[];
		assert.equal(array.length, 3);
		assert.deepEqual(array[0]!.payload, { n: 1 });
		assert.equal(array[0]!.payload_encoding, 'json');
		assert.deepEqual(parseJsonEvents(object!.body, 'json').map(strip), batch.map(strip));
	});

	it('writes raw payloads, each followed by the separator, with the given content type and extension', async () => {
		const bucket = await s3.bucket();
		const output = new S3Output({ client: s3.client, bucket, format: 'raw', separator: '\n', contentType: 'text/plain; charset=utf-8', extension: 'log' });
		const batch = [createMessage({ source: 's', messageType: 't', payload: 'one' }), createMessage({ source: 's', messageType: 't', payload: 'two' })];
		await output.send(batch);
		const [object] = await s3.objects(bucket);
		assert.match(object!.key, /\.log$/);
		assert.equal(object!.contentType, 'text/plain; charset=utf-8');
		assert.equal(object!.body.toString('utf8'), 'one\ntwo\n');
		const bare = new S3Output({ client: s3.client, bucket, format: 'raw', key: 'bare/{ulid}' });
		await bare.send([createMessage({ source: 's', messageType: 't', payload: new Uint8Array([1, 2]) }), createMessage({ source: 's', messageType: 't', payload: new Uint8Array([3]) })]);
		const stored = (await s3.objects(bucket)).find((o) => o.key.startsWith('bare/'))!;
		assert.deepEqual([...stored.body], [1, 2, 3]);
		assert.equal(stored.contentType, 'application/octet-stream');
	});

	it('fills every key placeholder; time "now" partitions by the write time', async () => {
		const bucket = await s3.bucket();
		const output = new S3Output({ client: s3.client, bucket, key: 'dt={yyyy}-{MM}-{dd}/h={HH}/{mm}{ss}-{ulid}.{ext}' });
		await output.send(sample());
		const now = new S3Output({ client: s3.client, bucket, key: 'now/{yyyy}/{ulid}', time: 'now' });
		await now.send(sample());
		const keys = await s3.keys(bucket);
		assert.match(keys[0]!, /^dt=2025-11-27\/h=04\/0000-\w{26}\.ndjson$/);
		assert.equal(keys[1], `now/${new Date().getUTCFullYear()}/${keys[1]!.slice(9)}`);
	});

	it('refuses bad options with a ConfigError naming the field', () => {
		const client = s3.client;
		const field = (f: () => unknown): string => {
			try {
				f();
			} catch (error) {
				assert.ok(error instanceof ConfigError);
				return error.field;
			}
			assert.fail('no ConfigError');
		};
		assert.equal(field(() => new S3Output({ client, bucket: '' })), 'S3Output "s3".bucket');
		assert.equal(field(() => new S3Output({ client: {} as S3ClientLike, bucket: 'b' })), 'S3Output "s3".client');
		assert.equal(field(() => new S3Output({ client, bucket: 'b', key: '{yyyy}/{nope}/{ulid}' })), 'S3Output "s3".key');
		assert.equal(field(() => new S3Output({ client, bucket: 'b', key: '{yyyy}/{MM}.json' })), 'S3Output "s3".key');
		assert.equal(field(() => new S3Output({ client, bucket: 'b', key: '{ulid}}' })), 'S3Output "s3".key');
		assert.equal(field(() => new S3Output({ client, bucket: 'b', format: 'csv' as 'raw' })), 'S3Output "s3".format');
		assert.equal(field(() => new S3Output({ client, bucket: 'b', separator: '\n' })), 'S3Output "s3".separator');
		assert.equal(field(() => new S3Output({ client, bucket: 'b', compression: 'zstd' as 'gzip' })), 'S3Output "s3".compression');
		assert.equal(field(() => new S3Output({ client, bucket: 'b', partSizeBytes: 1024 })), 'S3Output "s3".partSizeBytes');
		assert.equal(field(() => new S3Output({ client, bucket: 'b', name: 'x', time: 'later' as 'now' })), 'S3Output "x".time');
	});

	it('streams a batch at the threshold through a multipart upload, gzip included', async () => {
		const bucket = await s3.bucket();
		const output = new S3Output({ client: s3.client, bucket, format: 'raw', multipartThresholdBytes: 1024 * 1024, partSizeBytes: 5 * 1024 * 1024 });
		const events: S3ObjectEvent[] = [];
		output.on('object', (e) => events.push(e));
		// 12 MiB of distinct payloads: three parts.
		const batch = Array.from({ length: 192 }, (_, i) => createMessage({ source: 's', messageType: 't', payload: Buffer.alloc(64 * 1024, i) }));
		await output.send(batch);
		const gz = new S3Output({ client: s3.client, bucket, key: 'gz/{ulid}.{ext}', compression: 'gzip', multipartThresholdBytes: 1024 * 1024, partSizeBytes: 5 * 1024 * 1024 });
		await gz.send(batch);
		const objects = await s3.objects(bucket);
		const raw = objects.find((o) => !o.key.startsWith('gz/'))!;
		assert.equal(raw.body.length, 192 * 64 * 1024);
		for (let i = 0; i < 192; i++) assert.equal(raw.body[i * 64 * 1024 + 100], i % 256);
		assert.equal(raw.contentType, 'application/octet-stream');
		assert.deepEqual(raw.metadata, { 'polku-messages': '192' });
		assert.deepEqual(events, [{ bucket, key: raw.key, messages: 192, bytes: 192 * 64 * 1024, multipart: true }]);
		const zipped = objects.find((o) => o.key.startsWith('gz/'))!;
		assert.match(zipped.key, /\.ndjson\.gz$/);
		assert.equal(zipped.contentEncoding, 'gzip');
		assert.deepEqual(parseJsonEvents(gunzipSync(zipped.body), 'ndjson').map(strip), batch.map(strip));
		assert.equal(gz.stats().multipart, 1);
		assert.equal(gz.stats().bytes, zipped.body.length);
	});

	it('aborts a multipart upload when the signal aborts: no object is left', async () => {
		const bucket = await s3.bucket();
		const output = new S3Output({ client: s3.client, bucket, format: 'raw', multipartThresholdBytes: 1, partSizeBytes: 5 * 1024 * 1024, partConcurrency: 1 });
		const batch = Array.from({ length: 400 }, (_, i) => createMessage({ source: 's', messageType: 't', payload: Buffer.alloc(64 * 1024, i) }));
		const abort = new AbortController();
		const sending = output.send(batch, abort.signal);
		setTimeout(() => abort.abort(new Error('hub gave up')), 30);
		await assert.rejects(sending, (error: unknown) => error instanceof S3OutputError && /abandoned by the hub/.test(error.message));
		await new Promise((r) => setTimeout(r, 300));
		assert.deepEqual(await s3.keys(bucket), []);
		assert.equal(output.health(), false);
	});

	it('a PutObject send does not start when the signal has already aborted', async () => {
		const bucket = await s3.bucket();
		const output = new S3Output({ client: s3.client, bucket });
		await assert.rejects(output.send(sample(), AbortSignal.abort(new Error('gone'))), S3OutputError);
		assert.deepEqual(await s3.keys(bucket), []);
	});

	it('fails a write to a missing bucket with a non-retryable S3OutputError, then recovers health', async () => {
		const output = new S3Output({ client: s3.client, bucket: 'no-such-bucket-here' });
		const error = await output.send(sample()).then(
			() => assert.fail('resolved'),
			(e: unknown) => e,
		);
		assert.ok(error instanceof S3OutputError);
		assert.equal(error.status, 404);
		assert.equal(error.retryable, false);
		assert.equal(s3Retryable(error), false);
		assert.equal(error.bucket, 'no-such-bucket-here');
		assert.match(error.key!, /\.ndjson$/);
		assert.match(error.message, /NoSuchBucket/);
		assert.equal(output.health(), false);
		assert.equal(s3Retryable(new Error('network')), true);
	});

	it('a retried batch rewrites the same key (a lost answer does not duplicate the object)', async () => {
		const bucket = await s3.bucket();
		let calls = 0;
		// Stores the object, then "loses" the answer of the first write.
		const flaky: S3ClientLike = {
			async send(command, options) {
				const result = await s3.client.send(command as PutObjectCommand, options as { abortSignal?: AbortSignal });
				if (++calls === 1) throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
				return result;
			},
		};
		const input = new MemoryInput();
		const output = new S3Output({ client: flaky, bucket });
		const hub = Hub.builder().input(input).output(output, { batchSize: 10, flushInterval: 1, retry: { attempts: 3, baseDelayMs: 1, retryable: s3Retryable } }).build();
		await hub.start();
		await input.push(sample());
		await hub.stop();
		assert.equal(calls, 2);
		const objects = await s3.objects(bucket);
		assert.equal(objects.length, 1);
		assert.equal(parseJsonEvents(objects[0]!.body, 'ndjson').length, 3);
		assert.equal(hub.stats().outputs['s3']!.delivered, 3);
	});

	it('runs several sends at once, each to its own object', async () => {
		const bucket = await s3.bucket();
		const output = new S3Output({ client: s3.client, bucket });
		const batches = Array.from({ length: 8 }, (_, b) => Array.from({ length: 50 }, (_, i) => createMessage({ source: 's', messageType: 't', payload: `${b}:${i}` })));
		await Promise.all(batches.map((batch) => output.send(batch)));
		const objects = await s3.objects(bucket);
		assert.equal(objects.length, 8);
		const payloads = objects.flatMap((o) => parseJsonEvents(o.body, 'ndjson').map((m) => Buffer.from(m.payload).toString()));
		assert.deepEqual(payloads.sort(), batches.flat().map((m) => Buffer.from(m.payload).toString()).sort());
		assert.equal(output.stats().objects, 8);
	});

	it('in a hub with maxInFlight 8, objects upload at once and every message lands exactly once, failed writes retried', async () => {
		const bucket = await s3.bucket();
		let inFlight = 0;
		let most = 0;
		let calls = 0;
		// Slow writes (S3-like latency); every fifth write stores the object, then loses the answer.
		const slow: S3ClientLike = {
			async send(command, options) {
				inFlight++;
				most = Math.max(most, inFlight);
				try {
					await new Promise((r) => setTimeout(r, 40));
					const result = await s3.client.send(command as PutObjectCommand, options as { abortSignal?: AbortSignal });
					if (++calls % 5 === 0) throw Object.assign(new Error('answer lost'), { name: 'TimeoutError' });
					return result;
				} finally {
					inFlight--;
				}
			},
		};
		const input = new MemoryInput();
		const output = new S3Output({ client: slow, bucket });
		const hub = Hub.builder()
			.bufferCapacity(4000)
			.input(input)
			.output(output, { batchSize: 100, flushInterval: 5, maxInFlight: 8, retry: { attempts: 5, baseDelayMs: 1, retryable: s3Retryable } })
			.build();
		await hub.start();
		await Promise.all(Array.from({ length: 20 }, (_, b) => input.push(Array.from({ length: 100 }, (_, i) => ({ source: 's', messageType: 't', payload: String(b * 100 + i) })))));
		await hub.stop();
		assert.ok(most > 1 && most <= 8, `at most 8 writes at once, and more than one: ${most}`);
		const objects = await s3.objects(bucket);
		assert.equal(objects.length, 20, 'a retried batch overwrote its own object');
		const seen = objects.flatMap((o) => parseJsonEvents(o.body, 'ndjson')).map((m) => Number(Buffer.from(m.payload).toString()));
		assert.deepEqual(seen.sort((a, b) => a - b), Array.from({ length: 2000 }, (_, i) => i));
		const stats = hub.stats().outputs['s3']!;
		assert.equal(stats.delivered, 2000);
		assert.ok(stats.retries >= 4);
	});

	it('in a hub, every message reaches exactly one object', async () => {
		const bucket = await s3.bucket();
		const input = new MemoryInput();
		const output = new S3Output({ client: s3.client, bucket, compression: 'gzip' });
		const hub = Hub.builder().input(input).output(output, { batchSize: 250, flushInterval: 20 }).build();
		await hub.start();
		for (let i = 0; i < 1000; i += 100) await input.push(Array.from({ length: 100 }, (_, j) => ({ source: 's', messageType: 't', payload: String(i + j) })));
		await hub.stop();
		const objects = await s3.objects(bucket);
		const seen = objects.flatMap((o) => parseJsonEvents(gunzipSync(o.body), 'ndjson')).map((m) => Number(Buffer.from(m.payload).toString()));
		assert.equal(seen.length, 1000);
		assert.deepEqual([...new Set(seen)].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
		assert.equal(hub.stats().outputs['s3']!.delivered, 1000);
	});
});

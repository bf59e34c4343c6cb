// Archive every event to S3 as gzip NDJSON objects, partitioned by hour: `node --import tsx examples/s3-archive.ts`.
// With S3_ENDPOINT (and AWS_* credentials) set it writes there; otherwise it starts s3rver on loopback.
// expect: archived 2000 events in 4 objects
// expect: events/\d{4}/\d{2}/\d{2}/\d{2}/[0-9A-Z]{26}\.ndjson\.gz \(500 events, application/x-ndjson, gzip\)
// expect: first event: \{"id":"[0-9A-Z]{26}","timestamp_unix_ns":"\d+","source":"checkout"
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Hub } from 'polku';
import { S3Output, s3Retryable } from 'polku/s3';
import { MemoryInput } from 'polku/testing';
import S3rver from 's3rver';

process.removeAllListeners('warning'); // the AWS SDK's Node 20 support notice

let endpoint = process.env['S3_ENDPOINT'];
let local: { server: S3rver; directory: string } | undefined;
if (endpoint === undefined) {
	const directory = mkdtempSync(join(tmpdir(), 'polku-example-s3-'));
	const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
	endpoint = `http://127.0.0.1:${(await server.run()).port}`;
	local = { server, directory };
}

// Your own client: region, credentials, retries are yours. (s3rver needs path-style and no default checksums.)
const client = new S3Client({
	endpoint,
	forcePathStyle: true,
	region: process.env['AWS_REGION'] ?? 'us-east-1',
	credentials: { accessKeyId: process.env['AWS_ACCESS_KEY_ID'] ?? 'S3RVER', secretAccessKey: process.env['AWS_SECRET_ACCESS_KEY'] ?? 'S3RVER' },
	requestChecksumCalculation: 'WHEN_REQUIRED',
	responseChecksumValidation: 'WHEN_REQUIRED',
});
const bucket = `polku-archive-${Date.now()}`;
await client.send(new CreateBucketCommand({ Bucket: bucket }));

const archive = new S3Output({ client, bucket, prefix: 'events/', compression: 'gzip' });
const input = new MemoryInput('checkout');
const hub = Hub.builder()
	.bufferCapacity(10_000)
	.input(input)
	// Objects want to be big: one batch per object, written when full or after the interval (see the README for
	// production settings; 500 here for the demo).
	.output(archive, { batchSize: 500, flushInterval: 60_000, maxInFlight: 4, retry: { attempts: 5, retryable: s3Retryable } })
	.build();
await hub.start();

for (let i = 0; i < 2_000; i += 100) {
	await input.push(Array.from({ length: 100 }, (_, j) => ({ source: 'checkout', messageType: 'order.created', payload: JSON.stringify({ order: i + j }) })));
}
await hub.stop(); // drains: the last partial batch is written too

const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
const keys = (listed.Contents ?? []).map((o) => o.Key!);
console.log(`archived ${archive.stats().messages} events in ${keys.length} objects`);
for (const key of keys) {
	const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
	const lines = gunzipSync(await object.Body!.transformToByteArray()).toString('utf8').trimEnd().split('\n');
	console.log(`  ${key} (${lines.length} events, ${object.ContentType}, ${object.ContentEncoding})`);
	if (key === keys[0]) console.log(`first event: ${lines[0]}`);
}

client.destroy();
if (local !== undefined) {
	await local.server.close();
	rmSync(local.directory, { recursive: true, force: true });
}

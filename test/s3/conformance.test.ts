// S3Output against s3rver: the output conformance suite for NDJSON (carries the envelope), gzip JSON arrays
// written by multipart upload from 512 KiB, and raw payloads with a separator (payloads only).
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { S3Output, type S3OutputOptions } from '../../src/adapters/s3/index.js';
import { parseJsonEvents } from '../../src/json-event/index.js';
import { createMessage, type Message } from '../../src/message/message.js';
import { outputConformance, type ConformanceCase, type OutputHarness } from '../../src/testing/index.js';
import { s3Client, startS3, type LocalS3, type StoredObject } from '../support/local-s3.js';
import { isListening } from '../support/services.js';

/** A separator no conformance payload contains. */
const SEPARATOR = Buffer.from('\n<<polku-conformance-separator-5f0c2e>>\n');

function run(cases: readonly ConformanceCase[]): void {
	for (const c of cases) it(c.name, { skip: c.skip ?? false, timeout: c.timeoutMs }, () => c.run());
}

/** Reads every object of the bucket in key order (ULID keys sort in write order) until `count` messages are there. */
async function readBack(s3: LocalS3, bucket: string, count: number, timeoutMs: number, decode: (object: StoredObject) => Message[]): Promise<Message[]> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const messages = (await s3.objects(bucket)).flatMap(decode);
		if (messages.length >= count) return messages;
		if (Date.now() > deadline) throw new Error(`${messages.length} of ${count} messages in s3://${bucket} after ${timeoutMs} ms`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

function splitRaw(body: Buffer): Message[] {
	const out: Message[] = [];
	let at = 0;
	while (at < body.length) {
		const end = body.indexOf(SEPARATOR, at);
		if (end === -1) throw new Error('an object does not end with the separator');
		out.push(createMessage({ source: 's3', messageType: 'raw', payload: body.subarray(at, end) }));
		at = end + SEPARATOR.length;
	}
	return out;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
	for (let port = 1; ; port++) if (!(await isListening(port, '127.0.0.1', 200))) return port;
}

function harness(s3: () => LocalS3, name: string, envelope: boolean, options: Omit<S3OutputOptions, 'client' | 'bucket'>, decode: (object: StoredObject) => Message[]): OutputHarness {
	return {
		name,
		features: { ordering: 'total', envelope },
		async setup() {
			const local = s3();
			const bucket = await local.bucket('conformance');
			const client = local.newClient();
			const output = new S3Output({ client, bucket, ...options });
			let deadClient: ReturnType<typeof s3Client> | undefined;
			return {
				output,
				received: (count, timeoutMs) => readBack(local, bucket, count, timeoutMs, decode),
				unreachable: async () => {
					deadClient = s3Client(`http://127.0.0.1:${await closedPort()}`);
					return new S3Output({ client: deadClient, bucket, ...options });
				},
				teardown: async () => {
					client.destroy();
					deadClient?.destroy();
				},
			};
		},
	};
}

describe('S3Output conformance (s3rver)', () => {
	let s3: LocalS3 | undefined;
	before(async () => {
		s3 = await startS3();
	});
	after(() => s3?.close());
	const local = (): LocalS3 => s3!;

	describe('NDJSON', () => run(outputConformance(harness(local, 'S3Output ndjson', true, { key: '{ulid}.{ext}' }, (o) => parseJsonEvents(o.body, 'ndjson')))));
	describe('gzip JSON array, multipart from 512 KiB', () =>
		run(
			outputConformance(
				harness(local, 'S3Output json+gzip multipart', true, { key: '{ulid}.{ext}', format: 'json', compression: 'gzip', multipartThresholdBytes: 512 * 1024 }, (o) =>
					parseJsonEvents(gunzipSync(o.body), 'json'),
				),
			),
		));
	describe('raw with a separator', () => run(outputConformance(harness(local, 'S3Output raw', false, { key: '{ulid}.{ext}', format: 'raw', separator: SEPARATOR }, (o) => splitRaw(o.body)))));
});

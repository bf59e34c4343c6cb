// s3rver in-process on 127.0.0.1 (a random port, a temporary directory) and an AWS SDK client for it.
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

export interface StoredObject {
	readonly key: string;
	readonly body: Buffer;
	readonly contentType: string | undefined;
	readonly contentEncoding: string | undefined;
	readonly metadata: Record<string, string>;
}

export interface LocalS3 {
	readonly port: number;
	readonly endpoint: string;
	readonly client: S3Client;
	/** A client for the same server (another connection pool), e.g. for a bare-SDK baseline. */
	newClient(): S3Client;
	/** Creates a bucket with a unique name. */
	bucket(prefix?: string): Promise<string>;
	/** Every object of the bucket (sorted by key), read back with GetObject. */
	objects(bucket: string): Promise<StoredObject[]>;
	keys(bucket: string): Promise<string[]>;
	close(): Promise<void>;
}

// The AWS SDK warns once per process that future versions need Node 22; it is noise here.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
	if (warning.name !== 'NodeVersionSupportWarning') console.warn(warning);
});

let buckets = 0;

export function s3Client(endpoint: string): S3Client {
	return new S3Client({
		endpoint,
		region: 'us-east-1',
		forcePathStyle: true,
		credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
		// s3rver stores streamed bodies corrupted with the SDK's default checksums.
		requestChecksumCalculation: 'WHEN_REQUIRED',
		responseChecksumValidation: 'WHEN_REQUIRED',
	});
}

export async function startS3(): Promise<LocalS3> {
	const directory = mkdtempSync(join(tmpdir(), 'polku-s3rver-'));
	const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, resetOnClose: true });
	const { port } = await server.run();
	const endpoint = `http://127.0.0.1:${port}`;
	const clients: S3Client[] = [];
	const newClient = (): S3Client => {
		const client = s3Client(endpoint);
		clients.push(client);
		return client;
	};
	const client = newClient();
	const keys = async (bucket: string): Promise<string[]> => {
		const out: string[] = [];
		let token: string | undefined;
		do {
			const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
			for (const o of page.Contents ?? []) out.push(o.Key!);
			token = page.NextContinuationToken;
		} while (token !== undefined);
		return out.sort();
	};
	return {
		port,
		endpoint,
		client,
		newClient,
		async bucket(prefix = 'polku') {
			const name = `${prefix}-${process.pid}-${++buckets}-${Date.now().toString(36)}`.toLowerCase();
			await client.send(new CreateBucketCommand({ Bucket: name }));
			return name;
		},
		keys,
		async objects(bucket) {
			const out: StoredObject[] = [];
			for (const key of await keys(bucket)) {
				const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
				out.push({
					key,
					body: Buffer.from(await got.Body!.transformToByteArray()),
					contentType: got.ContentType,
					contentEncoding: got.ContentEncoding,
					metadata: got.Metadata ?? {},
				});
			}
			return out;
		},
		async close() {
			for (const c of clients) c.destroy();
			await server.close();
			rmSync(directory, { recursive: true, force: true });
		},
	};
}

// S3 benchmark: a hub writing NDJSON objects through S3Output to s3rver (in a child process) with the output's
// maxInFlight 1 and 8, against the bare AWS SDK putting the same objects (already encoded, same metadata) with
// 1 and 8 PutObjects in flight, in the same run.
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3Output } from '../../src/adapters/s3/index.js';
import { Hub, createMessage, type Message } from '../../src/index.js';
import { nextId } from '../../src/message/id.js';
import { MemoryInput } from '../../src/testing/index.js';
import { fmt, ratio, table } from './report.js';
import { startS3rver } from './servers/child.js';

const OBJECTS = Number(process.env['BENCH_S3_OBJECTS'] ?? 120);
const PER_OBJECT = Number(process.env['BENCH_S3_MESSAGES'] ?? 1000);
const ROUNDS = Number(process.env['BENCH_S3_ROUNDS'] ?? 2);
/** Flat keys for every writer (s3rver makes a directory per key prefix), so key shapes cost the same. */
const KEY = '{ulid}.{ext}';

process.removeAllListeners('warning'); // the AWS SDK's Node 20 support notice

function client(port: number): S3Client {
	return new S3Client({
		endpoint: `http://127.0.0.1:${port}`,
		region: 'us-east-1',
		forcePathStyle: true,
		credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
		requestChecksumCalculation: 'WHEN_REQUIRED',
		responseChecksumValidation: 'WHEN_REQUIRED',
		requestHandler: { httpAgent: { keepAlive: true, maxSockets: 16 } },
	});
}

function batches(): Message[][] {
	const payload = JSON.stringify({ user: 12345, action: 'page_view', path: '/products/42', ua: 'Mozilla/5.0 (X11; Linux x86_64)', ms: 12.5 });
	return Array.from({ length: OBJECTS }, (_, b) =>
		Array.from({ length: PER_OBJECT }, (_, i) => createMessage({ source: 'web', messageType: 'page.view', metadata: { host: `web-${i % 8}`, region: 'eu-north-1' }, payload: `${payload}${b}` })),
	);
}

/** Runs `task(i)` for i in [0, n) with at most `concurrency` at once. */
async function pool(n: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
	let next = 0;
	await Promise.all(
		Array.from({ length: concurrency }, async () => {
			while (next < n) await task(next++);
		}),
	);
}

interface Figure {
	readonly seconds: number;
	readonly bytes: number;
}

async function bare(s3: S3Client, bucket: string, bodies: readonly Buffer[], concurrency: number, encode?: (i: number) => Buffer): Promise<Figure> {
	const started = performance.now();
	await pool(bodies.length, concurrency, (i) =>
		s3.send(new PutObjectCommand({ Bucket: bucket, Key: `bare-${concurrency}/${nextId()}.ndjson`, Body: encode?.(i) ?? bodies[i], ContentType: 'application/x-ndjson', ContentLength: bodies[i]!.length, Metadata: { 'polku-messages': '1000' } })).then(() => {}),
	);
	return { seconds: (performance.now() - started) / 1000, bytes: bodies.reduce((a, b) => a + b.length, 0) };
}

async function viaHub(s3: S3Client, bucket: string, data: readonly Message[][], maxInFlight: number): Promise<Figure> {
	const output = new S3Output({ client: s3, bucket, prefix: `hub-${maxInFlight}/`, key: KEY });
	const input = new MemoryInput();
	const hub = Hub.builder().bufferCapacity(PER_OBJECT * 16).input(input).output(output, { batchSize: PER_OBJECT, flushInterval: 1000, maxInFlight }).build();
	await hub.start();
	const started = performance.now();
	await Promise.all(data.map((batch) => input.push(batch)));
	await hub.stop({ timeoutMs: 120_000 });
	return { seconds: (performance.now() - started) / 1000, bytes: output.stats().bytes };
}

export async function run(): Promise<void> {
	const server = await startS3rver();
	const s3 = client(server.port);
	try {
		const bucket = `bench-${Date.now()}`;
		await s3.send(new CreateBucketCommand({ Bucket: bucket }));
		const data = batches();
		// The bodies S3Output writes, encoded up front for the bare baseline.
		const { encodeWhole } = await import('../../src/adapters/s3/object-body.js');
		const ndjson = { format: 'ndjson', payloadEncoding: 'base64', separator: new Uint8Array(0) } as const;
		const bodies = data.map((batch) => encodeWhole(batch, ndjson));
		const encode = (i: number): Buffer => encodeWhole(data[i]!, ndjson);
		const best = new Map<string, Figure>();
		const keep = (key: string, f: Figure): void => {
			const prev = best.get(key);
			if (prev === undefined || f.seconds < prev.seconds) best.set(key, f);
		};
		await bare(s3, bucket, bodies.slice(0, 10), 4); // warm-up
		for (let round = 0; round < ROUNDS; round++) {
			for (const c of [1, 8]) {
				keep(`bare ${c}`, await bare(s3, bucket, bodies, c));
				keep(`bare+encode ${c}`, await bare(s3, bucket, bodies, c, encode));
				keep(`hub ${c}`, await viaHub(s3, bucket, data, c));
			}
		}
		const mb = (f: Figure): string => (f.bytes / 1024 / 1024 / f.seconds).toFixed(1);
		const ops = (f: Figure): number => OBJECTS / f.seconds;
		console.log(`\n## S3 (s3rver on loopback, ${OBJECTS} objects of ${PER_OBJECT} NDJSON events ≈ ${(bodies[0]!.length / 1024).toFixed(0)} KiB, best of ${ROUNDS})\n`);
		const rows: string[][] = [];
		for (const c of [1, 8]) {
			const base = best.get(`bare ${c}`)!;
			rows.push([`bare SDK PutObject, ${c} in flight (pre-encoded)`, fmt(ops(base)), mb(base), '1.00x']);
			const enc = best.get(`bare+encode ${c}`)!;
			rows.push([`bare SDK PutObject, ${c} in flight, encoding each object first`, fmt(ops(enc)), mb(enc), ratio(ops(enc), ops(base))]);
			const hubFigure = best.get(`hub ${c}`)!;
			rows.push([`hub → S3Output, maxInFlight ${c} (encodes too)`, fmt(ops(hubFigure)), mb(hubFigure), ratio(ops(hubFigure), ops(base))]);
		}
		table(['S3 writes', 'objects/s', 'MB/s', 'vs bare SDK'], rows);
		const h1 = best.get('hub 1')!;
		const h8 = best.get('hub 8')!;
		const b1 = best.get('bare 1')!;
		const b8 = best.get('bare 8')!;
		console.log(`\nmaxInFlight 8 vs 1: ${ratio(ops(h8), ops(h1))} objects/s (bare SDK 8 vs 1 in flight: ${ratio(ops(b8), ops(b1))})`);
	} finally {
		s3.destroy();
		await server.stop();
	}
}

if (import.meta.url === `file://${process.argv[1]}`) await run();

// S3 benchmark: S3Output writing NDJSON objects to s3rver (in a child process), 1 and 8 writes in flight,
// against the bare AWS SDK putting the same objects (already encoded) at the same concurrency, in the same run.
// With the hub's per-output maxInFlight (when the core has it) the hub drives the output; otherwise the bench
// calls send() with that many batches at once, which is what the hub would do.
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3Output } from '../../src/adapters/s3/index.js';
import { Hub, createMessage, type Message, type OutputOptions } from '../../src/index.js';
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

async function bare(s3: S3Client, bucket: string, bodies: readonly Buffer[], concurrency: number): Promise<Figure> {
	const started = performance.now();
	await pool(bodies.length, concurrency, (i) =>
		s3.send(new PutObjectCommand({ Bucket: bucket, Key: `bare-${concurrency}/${nextId()}.ndjson`, Body: bodies[i], ContentType: 'application/x-ndjson', ContentLength: bodies[i]!.length, Metadata: { 'polku-messages': '1000' } })).then(() => {}),
	);
	return { seconds: (performance.now() - started) / 1000, bytes: bodies.reduce((a, b) => a + b.length, 0) };
}

async function direct(s3: S3Client, bucket: string, data: readonly Message[][], concurrency: number): Promise<Figure> {
	const output = new S3Output({ client: s3, bucket, prefix: `direct-${concurrency}/`, key: KEY });
	const started = performance.now();
	await pool(data.length, concurrency, (i) => output.send(data[i]!));
	return { seconds: (performance.now() - started) / 1000, bytes: output.stats().bytes };
}

async function viaHub(s3: S3Client, bucket: string, data: readonly Message[][], maxInFlight: number): Promise<Figure> {
	const output = new S3Output({ client: s3, bucket, prefix: `hub-${maxInFlight}/`, key: KEY });
	const input = new MemoryInput();
	const options = { batchSize: PER_OBJECT, flushInterval: 1000, maxInFlight } as OutputOptions;
	const hub = Hub.builder().bufferCapacity(PER_OBJECT * 16).input(input).output(output, options).build();
	await hub.start();
	const started = performance.now();
	await Promise.all(data.map((batch) => input.push(batch)));
	await hub.stop({ timeoutMs: 120_000 });
	return { seconds: (performance.now() - started) / 1000, bytes: output.stats().bytes };
}

/** True when the hub takes a per-output `maxInFlight` (the core change this bench measures). */
function hubHasMaxInFlight(): boolean {
	try {
		Hub.builder().output({ name: 'probe', send: async () => {} }, { maxInFlight: 0 } as OutputOptions).build();
		return false; // 0 accepted: the option is ignored
	} catch {
		return true;
	}
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
		const bodies = data.map((batch) => encodeWhole(batch, { format: 'ndjson', payloadEncoding: 'base64', separator: new Uint8Array(0) }));
		const hub = hubHasMaxInFlight();
		const best = new Map<string, Figure>();
		const keep = (key: string, f: Figure): void => {
			const prev = best.get(key);
			if (prev === undefined || f.seconds < prev.seconds) best.set(key, f);
		};
		await bare(s3, bucket, bodies.slice(0, 10), 4); // warm-up
		for (let round = 0; round < ROUNDS; round++) {
			for (const c of [1, 8]) {
				keep(`bare ${c}`, await bare(s3, bucket, bodies, c));
				keep(`output ${c}`, await direct(s3, bucket, data, c));
				if (hub) keep(`hub ${c}`, await viaHub(s3, bucket, data, c));
			}
		}
		const mb = (f: Figure): string => (f.bytes / 1024 / 1024 / f.seconds).toFixed(1);
		const ops = (f: Figure): number => OBJECTS / f.seconds;
		console.log(`\n## S3 (s3rver on loopback, ${OBJECTS} objects of ${PER_OBJECT} NDJSON events ≈ ${(bodies[0]!.length / 1024).toFixed(0)} KiB, best of ${ROUNDS})\n`);
		const rows: string[][] = [];
		for (const c of [1, 8]) {
			const base = best.get(`bare ${c}`)!;
			rows.push([`bare SDK PutObject, ${c} in flight (pre-encoded)`, fmt(ops(base)), mb(base), '1.00x']);
			const out = best.get(`output ${c}`)!;
			rows.push([`S3Output.send, ${c} at once (encodes too)`, fmt(ops(out)), mb(out), ratio(ops(out), ops(base))]);
			const viaHubFigure = best.get(`hub ${c}`);
			if (viaHubFigure !== undefined) rows.push([`hub → S3Output, maxInFlight ${c}`, fmt(ops(viaHubFigure)), mb(viaHubFigure), ratio(ops(viaHubFigure), ops(base))]);
		}
		table(['S3 writes', 'objects/s', 'MB/s', 'vs bare SDK'], rows);
		const o1 = best.get(hub ? 'hub 1' : 'output 1')!;
		const o8 = best.get(hub ? 'hub 8' : 'output 8')!;
		console.log(`\n${hub ? 'maxInFlight' : 'sends in flight'} 8 vs 1: ${ratio(ops(o8), ops(o1))} objects/s${hub ? '' : ' (the hub has no per-output maxInFlight yet: S3Output.send was driven directly)'}`);
	} finally {
		s3.destroy();
		await server.stop();
	}
}

if (import.meta.url === `file://${process.argv[1]}`) await run();

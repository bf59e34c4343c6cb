// OTLP benchmark: OtlpLogsOutput (polku's own protobuf writer) turning batches of messages into
// ExportLogsServiceRequests and POSTing them to a loopback sink (a child process that drains and answers 200),
// against a bare baseline doing the same with OpenTelemetry's generated protobuf code (protobufjs, from
// @opentelemetry/otlp-transformer) and node:http, and against POSTing pre-encoded bodies (the transport alone).
import { Agent, request } from 'node:http';
import root from '@opentelemetry/otlp-transformer/build/src/generated/root.js';
import { OtlpLogsOutput } from '../../src/adapters/otlp/index.js';
import { createMessage, type Message } from '../../src/index.js';
import { fmt, ratio, table } from './report.js';
import { startSink } from './servers/child.js';

const BATCHES = Number(process.env['BENCH_OTLP_BATCHES'] ?? 200);
const BATCH = Number(process.env['BENCH_OTLP_BATCH'] ?? 512);
const ROUNDS = Number(process.env['BENCH_OTLP_ROUNDS'] ?? 3);

interface ProtoType {
	fromObject(object: object): object;
	encode(message: object): { finish(): Uint8Array };
}
const LogsRequest = (root as unknown as { opentelemetry: { proto: { collector: { logs: { v1: { ExportLogsServiceRequest: ProtoType } } } } } }).opentelemetry.proto.collector.logs.v1
	.ExportLogsServiceRequest;

function batches(): Message[][] {
	const payload = JSON.stringify({ user: 12345, action: 'page_view', path: '/products/42', ua: 'Mozilla/5.0 (X11; Linux x86_64)', ms: 12.5 });
	return Array.from({ length: BATCHES }, () =>
		Array.from({ length: BATCH }, (_, i) =>
			createMessage({ source: 'web', messageType: 'page.view', metadata: { host: `web-${i % 8}`, region: 'eu-north-1', 'polku.severity': '2' }, payload }),
		),
	);
}

/** The same request through OpenTelemetry's generated code: message → plain object → fromObject → encode. */
function bareEncode(batch: readonly Message[], observed: string): Uint8Array {
	const str = (value: string): { stringValue: string } => ({ stringValue: value });
	const logRecords = batch.map((m) => ({
		timeUnixNano: m.timestamp.toString(),
		observedTimeUnixNano: observed,
		severityNumber: 9,
		severityText: 'info',
		body: str(Buffer.from(m.payload).toString('utf8')),
		attributes: [
			...Object.entries(m.metadata).map(([key, value]) => ({ key, value: str(value) })),
			{ key: 'polku.id', value: str(m.id) },
			{ key: 'polku.source', value: str(m.source) },
			{ key: 'polku.type', value: str(m.messageType) },
		],
	}));
	const object = { resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: str('polku') }] }, scopeLogs: [{ scope: { name: 'polku' }, logRecords }] }] };
	return LogsRequest.encode(LogsRequest.fromObject(object)).finish();
}

function post(agent: Agent, port: number, body: Uint8Array): Promise<void> {
	return new Promise((resolve, reject) => {
		const req = request({ host: '127.0.0.1', port, path: '/v1/logs', method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } }, (res) => {
			res.resume();
			res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
		});
		req.on('error', reject);
		req.end(body);
	});
}

async function pool(n: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
	let next = 0;
	await Promise.all(
		Array.from({ length: concurrency }, async () => {
			while (next < n) await task(next++);
		}),
	);
}

async function time(work: () => Promise<void>): Promise<number> {
	const started = performance.now();
	await work();
	return (performance.now() - started) / 1000;
}

export async function run(): Promise<void> {
	const sink = await startSink();
	const agent = new Agent({ keepAlive: true, maxSockets: 8 });
	const output = new OtlpLogsOutput({ endpoint: `http://127.0.0.1:${sink.port}` });
	try {
		const data = batches();
		const observed = String(BigInt(Date.now()) * 1_000_000n);
		const encoded = data.map((b) => bareEncode(b, observed));
		const best = new Map<string, number>();
		const keep = (key: string, seconds: number): void => void best.set(key, Math.min(best.get(key) ?? Infinity, seconds));
		for (let round = 0; round < ROUNDS; round++) {
			for (const c of [1, 8]) {
				keep(`post ${c}`, await time(() => pool(BATCHES, c, (i) => post(agent, sink.port, encoded[i]!))));
				keep(`bare ${c}`, await time(() => pool(BATCHES, c, (i) => post(agent, sink.port, bareEncode(data[i]!, observed)))));
				keep(`output ${c}`, await time(() => pool(BATCHES, c, (i) => output.send(data[i]!))));
			}
		}
		const records = BATCHES * BATCH;
		const rate = (key: string): number => records / best.get(key)!;
		console.log(`\n## OTLP logs output (loopback sink in a child process, ${BATCHES} batches of ${BATCH} messages, ~${(encoded[0]!.length / 1024).toFixed(0)} KiB per request, best of ${ROUNDS})\n`);
		const rows: string[][] = [];
		for (const c of [1, 8]) {
			rows.push([`POST of pre-encoded bodies, ${c} in flight (transport alone)`, fmt(rate(`post ${c}`)), ratio(rate(`post ${c}`), rate(`bare ${c}`))]);
			rows.push([`bare: OTel generated code (protobufjs) + node:http, ${c} in flight`, fmt(rate(`bare ${c}`)), '1.00x']);
			rows.push([`OtlpLogsOutput.send, ${c} at once`, fmt(rate(`output ${c}`)), ratio(rate(`output ${c}`), rate(`bare ${c}`))]);
		}
		table(['OTLP logs', 'log records/s', 'vs bare encoder+POST'], rows);
		const t = performance.now();
		for (const batch of data.slice(0, 50)) bareEncode(batch, observed);
		const bareMs = (performance.now() - t) / 50;
		const { encodeLogsRequest, logsPreamble } = await import('../../src/adapters/otlp/codec/logs-request.js');
		const preamble = logsPreamble({ 'service.name': 'polku' }, 'polku', '');
		const t2 = performance.now();
		for (const batch of data.slice(0, 50)) encodeLogsRequest(batch, preamble, 1n);
		const ownMs = (performance.now() - t2) / 50;
		console.log(`\nencoding alone, per ${BATCH}-message batch: polku ${ownMs.toFixed(2)} ms, OTel generated code ${bareMs.toFixed(2)} ms (${ratio(bareMs, ownMs)} faster)`);
	} finally {
		await output.close();
		agent.destroy();
		await sink.stop();
	}
}

if (import.meta.url === `file://${process.argv[1]}`) await run();

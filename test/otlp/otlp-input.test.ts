import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { OTLPLogExporter as OTLPLogExporterJson } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OtlpInput, OtlpLogsOutput } from '../../src/adapters/otlp/index.js';
import { ConfigError } from '../../src/errors.js';
import { Hub } from '../../src/hub/hub.js';
import type { Message } from '../../src/message/message.js';
import type { Output } from '../../src/output/output.js';
import { MemoryOutput } from '../../src/testing/index.js';
import { attributes, decode, encode, LogsRequest, LogsResponse, OtlpReceiver, TraceRequest } from '../support/otlp.js';

const exec = promisify(execFile);

interface Reply {
	readonly status: number;
	readonly headers: Record<string, string | string[] | undefined>;
	readonly body: Buffer;
}

function post(port: number, path: string, body: Buffer | string, headers: Record<string, string>, method = 'POST'): Promise<Reply> {
	return new Promise((resolve, reject) => {
		const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
		});
		req.on('error', reject);
		req.end(body);
	});
}

const PB = { 'content-type': 'application/x-protobuf' };
const JSON_HEADERS = { 'content-type': 'application/json' };

const logsBody = (text: string): Buffer =>
	encode(LogsRequest, {
		resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'raw-client' } }] }, scopeLogs: [{ logRecords: [{ timeUnixNano: '1700000000000000001', body: { stringValue: text } }] }] }],
	});

/** google.rpc.Status { int32 code = 1; string message = 2; } read with OpenTelemetry's protobufjs runtime. */
async function decodeStatus(bytes: Buffer): Promise<{ code: number; message: string }> {
	const { Reader } = (await import('protobufjs/minimal.js')).default;
	const reader = Reader.create(bytes);
	const out = { code: 0, message: '' };
	while (reader.pos < reader.len) {
		const tag = reader.uint32();
		if (tag >>> 3 === 1) out.code = reader.int32();
		else if (tag >>> 3 === 2) out.message = reader.string();
		else reader.skipType(tag & 7);
	}
	return out;
}

/** A hub with an OtlpInput on a free loopback port and a memory output. */
async function start(options: ConstructorParameters<typeof OtlpInput>[0] = {}, output: Output = new MemoryOutput({ name: 'out' }), hubOptions: { capacity?: number; overflow?: 'block' | 'drop-newest' } = {}) {
	const input = new OtlpInput({ address: '127.0.0.1:0', ...options });
	const builder = Hub.builder().input(input).output(output, { batchSize: Math.min(10, hubOptions.capacity ?? 10), flushInterval: 1 });
	if (hubOptions.capacity !== undefined) builder.bufferCapacity(hubOptions.capacity);
	if (hubOptions.overflow !== undefined) builder.overflow(hubOptions.overflow);
	const hub = builder.build();
	await hub.start();
	const { port } = await input.ready;
	return { hub, input, port, output };
}

describe('OtlpInput', () => {
	it('takes a real OpenTelemetry logs exporter (protobuf, gzip): one message per export request, carrying it unchanged', async () => {
		const out = new MemoryOutput({ name: 'out' });
		const { hub, input, port } = await start({ auth: 's3cret' }, out);
		const exporter = new OTLPLogExporter({ url: `http://127.0.0.1:${port}/v1/logs`, headers: { authorization: 'Bearer s3cret' }, compression: 'gzip' as never });
		const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'otel-sdk-app' }), processors: [new SimpleLogRecordProcessor(exporter)] });
		const logger = provider.getLogger('sdk-scope', '0.9.0');
		logger.emit({ body: 'payment failed', severityNumber: 17, severityText: 'ERROR', attributes: { 'order.id': 'o-7' }, timestamp: [1_700_000_000, 123_456_789] });
		await provider.forceFlush();
		await provider.shutdown();
		await out.waitFor(1);
		const [message] = out.messages;
		assert.equal(message!.messageType, 'otlp.logs');
		assert.equal(message!.source, 'otlp');
		assert.deepEqual({ ...message!.metadata }, { 'polku.content_type': 'application/x-protobuf' });
		const decoded = decode(LogsRequest, message!.payload);
		const rl = decoded.resourceLogs[0];
		assert.equal(attributes(rl.resource.attributes)['service.name'], 'otel-sdk-app');
		assert.deepEqual(rl.scopeLogs[0].scope, { name: 'sdk-scope', version: '0.9.0' });
		const record = rl.scopeLogs[0].logRecords[0];
		assert.equal(record.timeUnixNano, '1700000000123456789');
		assert.equal(record.severityNumber, 17);
		assert.equal(record.severityText, 'ERROR');
		assert.deepEqual(record.body, { stringValue: 'payment failed' });
		assert.deepEqual(attributes(record.attributes), { 'order.id': 'o-7' });
		assert.deepEqual(input.stats().responses, { 200: 1 });
		assert.equal(input.stats().signals.logs, 1);
		await hub.stop();
	});

	it('takes the OpenTelemetry JSON logs exporter and the protobuf trace exporter', async () => {
		const out = new MemoryOutput({ name: 'out' });
		const { hub, input, port } = await start({}, out);
		const logs = new LoggerProvider({ processors: [new SimpleLogRecordProcessor(new OTLPLogExporterJson({ url: `http://127.0.0.1:${port}/v1/logs` }))] });
		logs.getLogger('json').emit({ body: 'via json', attributes: { n: 1 } });
		await logs.forceFlush();
		await logs.shutdown();
		const tracer = new BasicTracerProvider({
			resource: resourceFromAttributes({ 'service.name': 'traced' }),
			spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces` }))],
		});
		tracer.getTracer('t').startSpan('GET /orders').end();
		await tracer.forceFlush();
		await tracer.shutdown();
		await out.waitFor(2);
		const messages = out.messages;
		const json = messages.find((m) => m.metadata['polku.content_type'] === 'application/json')!;
		assert.equal(json.messageType, 'otlp.logs');
		const parsed = JSON.parse(Buffer.from(json.payload).toString('utf8'));
		assert.deepEqual(parsed.resourceLogs[0].scopeLogs[0].logRecords[0].body, { stringValue: 'via json' });
		const traces = messages.find((m) => m.messageType === 'otlp.traces')!;
		assert.equal(traces.metadata['polku.content_type'], 'application/x-protobuf');
		const span = decode(TraceRequest, traces.payload).resourceSpans[0].scopeSpans[0].spans[0];
		assert.equal(span.name, 'GET /orders');
		assert.equal(Buffer.from(span.traceId, 'base64').length, 16);
		assert.deepEqual(input.stats().signals, { logs: 1, traces: 1, metrics: 0 });
		assert.deepEqual(input.stats().responses, { 200: 2 });
		await hub.stop();
	});

	it('answers the success response in the request’s encoding (curl with JSON; protobuf with gzip)', async () => {
		const out = new MemoryOutput({ name: 'out' });
		const { hub, port } = await start({ path: '/otel' }, out);
		const body = JSON.stringify({ resourceMetrics: [] });
		const { stdout } = await exec('curl', ['-sS', '-i', '-X', 'POST', '-H', 'content-type: application/json', '--data-binary', body, `http://127.0.0.1:${port}/otel/v1/metrics`]);
		assert.match(stdout, /^HTTP\/1\.1 200/);
		assert.match(stdout, /content-type: application\/json/i);
		assert.ok(stdout.trimEnd().endsWith('{}'));
		const pb = await post(port, '/otel/v1/logs', gzipSync(logsBody('zipped')), { ...PB, 'content-encoding': 'gzip' });
		assert.equal(pb.status, 200);
		assert.equal(pb.headers['content-type'], 'application/x-protobuf');
		assert.deepEqual(decode(LogsResponse, pb.body), {});
		await out.waitFor(2);
		const messages = out.messages;
		assert.equal(Buffer.from(messages[0]!.payload).toString(), body);
		assert.equal(messages[0]!.messageType, 'otlp.metrics');
		assert.deepEqual(Buffer.from(messages[1]!.payload), logsBody('zipped'));
		await hub.stop();
	});

	it('refuses what is not an OTLP export request, with a google.rpc.Status in the request’s encoding', async () => {
		const { hub, input, port } = await start({ maxBodyBytes: 1024, auth: ['a', 'b'] });
		const auth = { authorization: 'Bearer b' };
		const status = async (reply: Reply): Promise<[number, number, string]> => {
			const s = reply.headers['content-type'] === 'application/json' ? JSON.parse(reply.body.toString()) : await decodeStatus(reply.body);
			return [reply.status, s.code, s.message];
		};
		assert.deepEqual(await status(await post(port, '/v1/logs', logsBody('x'), PB)), [401, 16, 'a bearer token is required']);
		assert.deepEqual(await status(await post(port, '/v1/logs', logsBody('x'), { ...PB, authorization: 'Bearer c' })), [401, 16, 'the bearer token is not valid']);
		assert.equal((await post(port, '/v1/profiles', logsBody('x'), { ...PB, ...auth })).status, 404);
		assert.equal((await post(port, '/v1/logs', '', { ...PB, ...auth }, 'PUT')).status, 405);
		const [s415, , m415] = await status(await post(port, '/v1/logs', 'x', { 'content-type': 'text/plain', ...auth }));
		assert.equal(s415, 415);
		assert.match(m415, /application\/x-protobuf or application\/json/);
		assert.equal((await post(port, '/v1/logs', logsBody('x'), { ...PB, 'content-encoding': 'br', ...auth })).status, 415);
		const [s400, c400, m400] = await status(await post(port, '/v1/logs', Buffer.from([0x0a, 0x05, 0x01]), { ...PB, ...auth }));
		assert.deepEqual([s400, c400], [400, 3]);
		assert.match(m400, /not a protobuf export request/);
		assert.equal((await post(port, '/v1/logs', Buffer.from([0x08, 0x01]), { ...PB, ...auth })).status, 400, 'field 1 must be length-delimited');
		const [j400, , jm] = await status(await post(port, '/v1/traces', '{"resourceSpans":', { ...JSON_HEADERS, ...auth }));
		assert.equal(j400, 400);
		assert.match(jm, /not JSON/);
		assert.equal((await post(port, '/v1/traces', '{"resourceSpans":{}}', { ...JSON_HEADERS, ...auth })).status, 400);
		assert.equal((await post(port, '/v1/logs', gzipSync('nope'), { ...PB, 'content-encoding': 'gzip', ...auth })).status, 400);
		assert.equal((await post(port, '/v1/logs', Buffer.alloc(2000, 0x0a), { ...PB, ...auth })).status, 413);
		// A small gzip body that inflates past the limit.
		const [bomb, , bombMessage] = await status(await post(port, '/v1/logs', gzipSync(Buffer.alloc(100_000)), { ...PB, 'content-encoding': 'gzip', ...auth }));
		assert.equal(bomb, 413);
		assert.match(bombMessage, /decompressed body exceeds 1024 bytes/);
		assert.equal((await post(port, '/v1/logs', logsBody('fine'), { ...PB, ...auth })).status, 200);
		assert.deepEqual(input.stats().signals, { logs: 1, traces: 0, metrics: 0 });
		assert.equal(hub.stats().received, 1);
		await hub.stop();
	});

	it('answers 429 with Retry-After when the buffer drops the request for overflow', async () => {
		let release!: () => void;
		const held = new Promise<void>((resolve) => (release = resolve));
		const stalled: Output = { name: 'stalled', send: () => held };
		const { hub, port } = await start({ retryAfterSeconds: 3 }, stalled, { capacity: 1, overflow: 'drop-newest' });
		assert.equal((await post(port, '/v1/logs', logsBody('1'), PB)).status, 200);
		assert.equal((await post(port, '/v1/logs', logsBody('2'), PB)).status, 200); // the first is in flight, this one fills the buffer
		const refused = await post(port, '/v1/logs', logsBody('3'), PB);
		assert.equal(refused.status, 429);
		assert.equal(refused.headers['retry-after'], '3');
		assert.equal((await decodeStatus(refused.body)).code, 8);
		release();
		await hub.stop();
	});

	it('answers 503 with Retry-After when the buffer stays full past backpressureTimeoutMs', async () => {
		let release!: () => void;
		const held = new Promise<void>((resolve) => (release = resolve));
		const stalled: Output = { name: 'stalled', send: () => held };
		const { hub, port } = await start({ backpressureTimeoutMs: 50 }, stalled, { capacity: 1 });
		assert.equal((await post(port, '/v1/logs', logsBody('1'), PB)).status, 200);
		assert.equal((await post(port, '/v1/logs', logsBody('2'), PB)).status, 200);
		const refused = await post(port, '/v1/logs', '{}', JSON_HEADERS);
		assert.equal(refused.status, 503);
		assert.equal(refused.headers['retry-after'], '1');
		assert.deepEqual(JSON.parse(refused.body.toString()), { code: 14, message: 'the buffer stayed full for 50 ms' });
		release();
		await hub.stop();
	});

	it('with ackAfterDelivery answers only after the outputs confirmed; a dead-lettered request is 200 with a warning, a lost one 503', async () => {
		const delivered: Message[] = [];
		let fail = false;
		const slow: Output = {
			name: 'slow',
			async send(batch) {
				await new Promise((r) => setTimeout(r, 50));
				if (fail) throw new Error('downstream down');
				delivered.push(...batch);
			},
		};
		const input = new OtlpInput({ address: '127.0.0.1:0', ackAfterDelivery: true });
		const dlq = new MemoryOutput({ name: 'dlq' });
		const hub = Hub.builder().input(input).output(slow, { batchSize: 1, flushInterval: 1, retry: false, deadLetter: 'dlq' }).deadLetter(dlq).build();
		await hub.start();
		const { port } = await input.ready;
		const okReply = await post(port, '/v1/logs', logsBody('acked'), PB);
		assert.equal(okReply.status, 200);
		assert.equal(delivered.length, 1, 'answered after the output had it');
		fail = true;
		const dead = await post(port, '/v1/logs', logsBody('dead'), PB);
		assert.equal(dead.status, 200);
		assert.match(decode(LogsResponse, dead.body).partialSuccess.errorMessage, /delivery failed at output "slow"; the request went to the dead-letter output/);
		await hub.stop();

		const lostInput = new OtlpInput({ address: '127.0.0.1:0', ackAfterDelivery: true });
		const lostHub = Hub.builder().input(lostInput).output(slow, { batchSize: 1, flushInterval: 1, retry: false }).build();
		await lostHub.start();
		const lost = await post((await lostInput.ready).port, '/v1/traces', '{"resourceSpans":[]}', JSON_HEADERS);
		assert.equal(lost.status, 503);
		assert.equal(lost.headers['retry-after'], '1');
		assert.match(JSON.parse(lost.body.toString()).message, /output-failed at output "slow"/);
		await lostHub.stop();
	});

	it('with ackAfterDelivery waits for buffer space at most backpressureTimeoutMs, then 503', async () => {
		let release!: () => void;
		const held = new Promise<void>((resolve) => (release = resolve));
		const stalled: Output = { name: 'stalled', send: () => held };
		const { hub, port } = await start({ ackAfterDelivery: true, backpressureTimeoutMs: 50 }, stalled, { capacity: 1 });
		const first = post(port, '/v1/logs', logsBody('1'), PB); // in flight, never confirmed until release
		const second = post(port, '/v1/logs', logsBody('2'), PB); // fills the buffer
		await new Promise((r) => setTimeout(r, 30));
		const started = performance.now();
		const refused = await post(port, '/v1/logs', logsBody('3'), PB);
		assert.equal(refused.status, 503);
		assert.equal(refused.headers['retry-after'], '1');
		assert.ok(performance.now() - started < 2000);
		release();
		assert.equal((await first).status, 200);
		assert.equal((await second).status, 200);
		await hub.stop();
	});

	it('answers 503 once the hub stops', async () => {
		const input = new OtlpInput({ address: '127.0.0.1:0' });
		const hub = Hub.builder().input(input).output(new MemoryOutput()).build();
		await hub.start();
		const { port } = await input.ready;
		const direct = input.handler;
		await hub.stop();
		// The input's own server is closed: mount the handler elsewhere to see the answer.
		const { createServer } = await import('node:http');
		const server = createServer(direct);
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		const reply = await post((server.address() as { port: number }).port, '/v1/logs', logsBody('late'), PB);
		assert.equal(reply.status, 503);
		assert.equal(reply.headers['retry-after'], '1');
		server.close();
		assert.ok(port > 0);
	});

	it('refuses bad options with a ConfigError naming the field', () => {
		assert.throws(() => new OtlpInput({ address: 'nope' }), (e: unknown) => e instanceof ConfigError && e.field === 'OtlpInput "otlp".address');
		assert.throws(() => new OtlpInput({ path: 'v1' }), (e: unknown) => e instanceof ConfigError && e.field === 'OtlpInput "otlp".path');
		assert.throws(() => new OtlpInput({ maxBodyBytes: 0 }), (e: unknown) => e instanceof ConfigError && e.field === 'OtlpInput "otlp".maxBodyBytes');
		assert.throws(() => new OtlpInput({ auth: [] }), (e: unknown) => e instanceof ConfigError && e.field === 'OtlpInput "otlp".auth');
		assert.throws(() => new OtlpInput({ name: 'o', source: '' }), (e: unknown) => e instanceof ConfigError && e.field === 'OtlpInput "o".source');
	});

	it('end to end: SDK → OtlpInput → hub → OtlpLogsOutput → a collector that starts late gets the request unchanged', async () => {
		const collector = new OtlpReceiver();
		await collector.start();
		const collectorPort = collector.port;
		await collector.stop(); // down for now
		const input = new OtlpInput({ address: '127.0.0.1:0' });
		const output = new OtlpLogsOutput({ endpoint: `http://127.0.0.1:${collectorPort}` });
		const hub = Hub.builder().input(input).output(output, { batchSize: 10, flushInterval: 1, retry: { attempts: 50, baseDelayMs: 20, maxDelayMs: 100 } }).build();
		await hub.start();
		const { port } = await input.ready;
		const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces` }))] });
		tracer.getTracer('e2e').startSpan('buffered span').end();
		await tracer.forceFlush();
		await tracer.shutdown();
		await new Promise((r) => setTimeout(r, 100));
		assert.ok(hub.stats().outputs['otlp']!.retries > 0, 'the output retried while the collector was down');
		const late = new OtlpReceiver();
		await late.start(collectorPort);
		const [request] = await late.waitFor(1);
		assert.equal(request!.path, '/v1/traces');
		assert.equal(decode(TraceRequest, request!.body).resourceSpans[0].scopeSpans[0].spans[0].name, 'buffered span');
		await hub.stop();
		await late.stop();
	});
});

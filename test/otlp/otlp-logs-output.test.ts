import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import { Hub } from '../../src/hub/hub.js';
import { nowNanos } from '../../src/message/clock.js';
import { createMessage, type Message } from '../../src/message/message.js';
import { MemoryInput, MemoryOutput } from '../../src/testing/index.js';
import { OtlpExportError, OtlpLogsOutput, otlpRetryable, type OtlpPartialSuccessEvent } from '../../src/adapters/otlp/index.js';
import { encodeStatus } from '../../src/adapters/otlp/codec/responses.js';
import { attributes, decode, encode, LogsRequest, LogsResponse, MetricsRequest, OtlpReceiver, TraceRequest, TraceResponse } from '../support/otlp.js';

const T0 = 1764216000123456789n;
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

const sample = (): Message[] => [
	createMessage({ id: 'id-1', timestamp: T0, source: 'checkout', messageType: 'order.created', metadata: { tenant: 'acme', 'polku.severity': '4', traceparent: TRACEPARENT }, payload: '{"order":7} ✓' }),
	createMessage({ id: 'id-2', timestamp: T0 + 1n, source: 'edge', messageType: 'blob', payload: new Uint8Array([0xff, 0x00, 0xc3]) }),
	createMessage({ id: 'id-3', timestamp: T0 + 2n, source: 'edge', messageType: 'empty', metadata: { 'polku.severity': 'WARN' } }),
];

/** A traces export request as an OpenTelemetry SDK would send it. */
const traceRequest = (name: string): Buffer =>
	encode(TraceRequest, {
		resourceSpans: [
			{
				resource: { attributes: [{ key: 'service.name', value: { stringValue: 'agent' } }] },
				scopeSpans: [{ scope: { name: 'sdk' }, spans: [{ traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 2), name, kind: 2, startTimeUnixNano: '1700000000000000001', endTimeUnixNano: '1700000000000000999' }] }],
			},
		],
	});

const logsRequest = (body: string): Buffer =>
	encode(LogsRequest, { resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'agent' } }] }, scopeLogs: [{ logRecords: [{ timeUnixNano: '1700000000000000005', body: { stringValue: body } }] }] }] });

describe('OtlpLogsOutput', () => {
	const collector = new OtlpReceiver();
	before(() => collector.start());
	after(() => collector.stop());
	beforeEach(() => {
		collector.requests.length = 0;
		collector.respond = (res) => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
	});

	it('sends a batch as one ExportLogsServiceRequest: every field, decoded by OpenTelemetry’s generated code', async () => {
		const output = new OtlpLogsOutput({
			endpoint: collector.endpoint,
			headers: { Authorization: 'Bearer t0k' },
			serviceName: 'edge-gw',
			resourceAttributes: { 'deployment.environment': 'test', 'host.cpus': 8, ratio: 0.5, canary: true },
			scopeName: 'polku-test',
			scopeVersion: '1.2.3',
		});
		const batch = sample();
		const before = nowNanos();
		await output.send(batch);
		const afterNs = nowNanos();
		assert.equal(collector.requests.length, 1);
		const [request] = collector.requests;
		assert.equal(request!.path, '/v1/logs');
		assert.equal(request!.headers['content-type'], 'application/x-protobuf');
		assert.equal(request!.headers['authorization'], 'Bearer t0k');
		assert.equal(request!.headers['user-agent'], 'polku');
		assert.equal(request!.headers['content-encoding'], undefined);
		const decoded = decode(LogsRequest, request!.body);
		assert.equal(decoded.resourceLogs.length, 1);
		const [resourceLogs] = decoded.resourceLogs;
		assert.deepEqual(resourceLogs.resource.attributes, [
			{ key: 'service.name', value: { stringValue: 'edge-gw' } },
			{ key: 'deployment.environment', value: { stringValue: 'test' } },
			{ key: 'host.cpus', value: { intValue: '8' } },
			{ key: 'ratio', value: { doubleValue: 0.5 } },
			{ key: 'canary', value: { boolValue: true } },
		]);
		assert.equal(resourceLogs.scopeLogs.length, 1);
		assert.deepEqual(resourceLogs.scopeLogs[0].scope, { name: 'polku-test', version: '1.2.3' });
		const records = resourceLogs.scopeLogs[0].logRecords;
		assert.equal(records.length, 3);
		const observed = BigInt(records[0].observedTimeUnixNano);
		assert.ok(observed >= before && observed <= afterNs, 'observed time is the time of the send');
		for (const r of records) assert.equal(r.observedTimeUnixNano, records[0].observedTimeUnixNano);
		const { observedTimeUnixNano: _o0, ...first } = records[0];
		assert.deepEqual(first, {
			timeUnixNano: T0.toString(),
			severityNumber: 17,
			severityText: 'error',
			body: { stringValue: '{"order":7} ✓' },
			attributes: [
				{ key: 'tenant', value: { stringValue: 'acme' } },
				{ key: 'polku.severity', value: { stringValue: '4' } },
				{ key: 'traceparent', value: { stringValue: TRACEPARENT } },
				{ key: 'polku.id', value: { stringValue: 'id-1' } },
				{ key: 'polku.source', value: { stringValue: 'checkout' } },
				{ key: 'polku.type', value: { stringValue: 'order.created' } },
			],
			flags: 1,
			traceId: Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex').toString('base64'),
			spanId: Buffer.from('b7ad6b7169203331', 'hex').toString('base64'),
		});
		const { observedTimeUnixNano: _o1, ...second } = records[1];
		assert.deepEqual(second, {
			timeUnixNano: (T0 + 1n).toString(),
			body: { bytesValue: Buffer.from([0xff, 0x00, 0xc3]).toString('base64') },
			attributes: [
				{ key: 'polku.id', value: { stringValue: 'id-2' } },
				{ key: 'polku.source', value: { stringValue: 'edge' } },
				{ key: 'polku.type', value: { stringValue: 'blob' } },
			],
		});
		const { observedTimeUnixNano: _o2, ...third } = records[2];
		assert.deepEqual(third, {
			timeUnixNano: (T0 + 2n).toString(),
			severityNumber: 13,
			severityText: 'WARN',
			body: { stringValue: '' },
			attributes: [
				{ key: 'polku.severity', value: { stringValue: 'WARN' } },
				{ key: 'polku.id', value: { stringValue: 'id-3' } },
				{ key: 'polku.source', value: { stringValue: 'edge' } },
				{ key: 'polku.type', value: { stringValue: 'empty' } },
			],
		});
		assert.deepEqual(output.stats(), { requests: 1, failedRequests: 0, logRecords: 3, passThrough: 0, rejected: 0, bytes: request!.raw.length });
		await output.close();
	});

	it('maps polku.severity numbers and names to OTLP severities', async () => {
		const output = new OtlpLogsOutput({ endpoint: collector.endpoint });
		const values = ['1', '2', '3', '4', '5', 'trace', 'debug3', 'Info', 'warning', 'error2', 'FATAL4', 'critical', '0', '17', 'loud'];
		await output.send(values.map((v) => createMessage({ source: 's', messageType: 't', metadata: { 'polku.severity': v } })));
		const records = decode(LogsRequest, collector.requests[0]!.body).resourceLogs[0].scopeLogs[0].logRecords as { severityNumber?: number; severityText?: string }[];
		assert.deepEqual(
			records.map((r) => [r.severityNumber ?? 0, r.severityText ?? '']),
			[
				[5, 'debug'],
				[9, 'info'],
				[13, 'warning'],
				[17, 'error'],
				[21, 'critical'],
				[1, 'trace'],
				[7, 'debug3'],
				[9, 'Info'],
				[13, 'warning'],
				[18, 'error2'],
				[24, 'FATAL4'],
				[21, 'critical'],
				[0, ''],
				[0, ''],
				[0, ''],
			],
		);
		await output.close();
	});

	it('speaks OTLP/JSON with gzip: 64-bit integers as strings, hex trace ids, base64 bytes', async () => {
		const output = new OtlpLogsOutput({ endpoint: `${collector.endpoint}/otlp/`, protocol: 'http/json', compression: 'gzip', serviceName: 'json-svc', resourceAttributes: { n: 3 } });
		await output.send(sample());
		const [request] = collector.requests;
		assert.equal(request!.path, '/otlp/v1/logs');
		assert.equal(request!.headers['content-type'], 'application/json');
		assert.equal(request!.headers['content-encoding'], 'gzip');
		assert.ok(request!.raw.length < request!.body.length || request!.body.length < 200);
		const json = JSON.parse(request!.body.toString('utf8'));
		const rl = json.resourceLogs[0];
		assert.deepEqual(rl.resource, { attributes: [{ key: 'service.name', value: { stringValue: 'json-svc' } }, { key: 'n', value: { intValue: '3' } }] });
		assert.deepEqual(rl.scopeLogs[0].scope, { name: 'polku' });
		const [first, second, third] = rl.scopeLogs[0].logRecords;
		assert.equal(first.timeUnixNano, T0.toString());
		assert.equal(typeof first.observedTimeUnixNano, 'string');
		assert.equal(first.severityNumber, 17);
		assert.equal(first.severityText, 'error');
		assert.deepEqual(first.body, { stringValue: '{"order":7} ✓' });
		assert.equal(first.traceId, '0af7651916cd43dd8448eb211c80319c');
		assert.equal(first.spanId, 'b7ad6b7169203331');
		assert.equal(first.flags, 1);
		assert.deepEqual(attributes(first.attributes), { tenant: 'acme', 'polku.severity': '4', traceparent: TRACEPARENT, 'polku.id': 'id-1', 'polku.source': 'checkout', 'polku.type': 'order.created' });
		assert.deepEqual(second.body, { bytesValue: Buffer.from([0xff, 0x00, 0xc3]).toString('base64') });
		assert.equal(second.severityNumber, undefined);
		assert.deepEqual(third.body, { stringValue: '' });
		// The same request through OpenTelemetry's protobuf types: JSON field names match the proto's.
		const viaProto = decode(LogsRequest, encode(LogsRequest, { ...json, resourceLogs: [{ ...rl, scopeLogs: [{ ...rl.scopeLogs[0], logRecords: [{ ...first, traceId: undefined, spanId: undefined }] }] }] }));
		assert.equal(viaProto.resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano, T0.toString());
		await output.close();
	});

	it('forwards pass-through export requests unchanged, one request per signal (JSON ones each on their own)', async () => {
		const output = new OtlpLogsOutput({ endpoint: collector.endpoint });
		const traces = traceRequest('GET /');
		const traces2 = traceRequest('POST /');
		const metrics = encode(MetricsRequest, { resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'up', gauge: { dataPoints: [{ asInt: '1', timeUnixNano: '1700000000000000000' }] } }] }] }] });
		const logsA = logsRequest('from agent A');
		const logsB = logsRequest('from agent B');
		const logsJson = JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: '1700000000000000009', body: { stringValue: 'json agent' } }] }] }] });
		const batch = [
			createMessage({ source: 'otlp', messageType: 'otlp.traces', metadata: { 'polku.content_type': 'application/x-protobuf' }, payload: traces }),
			createMessage({ source: 'app', messageType: 'app.log', payload: 'own record' }),
			createMessage({ source: 'otlp', messageType: 'otlp.logs', payload: logsA }),
			createMessage({ source: 'otlp', messageType: 'otlp.metrics', payload: metrics }),
			createMessage({ source: 'otlp', messageType: 'otlp.logs', metadata: { 'polku.content_type': 'application/json; charset=utf-8' }, payload: logsJson }),
			createMessage({ source: 'otlp', messageType: 'otlp.traces', payload: traces2 }),
			createMessage({ source: 'otlp', messageType: 'otlp.logs', payload: logsB }),
		];
		await output.send(batch);
		const byKey = new Map(collector.requests.map((r) => [`${r.path} ${r.headers['content-type']}`, r]));
		assert.equal(collector.requests.length, 4);
		const logs = byKey.get('/v1/logs application/x-protobuf')!;
		// Own records first, then the pass-through requests' bytes exactly as they came.
		assert.deepEqual(logs.body.subarray(logs.body.length - logsA.length - logsB.length), Buffer.concat([logsA, logsB]));
		const decodedLogs = decode(LogsRequest, logs.body);
		assert.deepEqual(
			decodedLogs.resourceLogs.map((rl: any) => rl.scopeLogs[0].logRecords[0].body.stringValue),
			['own record', 'from agent A', 'from agent B'],
		);
		const tracesReq = byKey.get('/v1/traces application/x-protobuf')!;
		assert.deepEqual(tracesReq.body, Buffer.concat([traces, traces2]));
		assert.deepEqual(
			decode(TraceRequest, tracesReq.body).resourceSpans.map((rs: any) => rs.scopeSpans[0].spans[0].name),
			['GET /', 'POST /'],
		);
		assert.deepEqual(byKey.get('/v1/metrics application/x-protobuf')!.body, metrics);
		assert.equal(byKey.get('/v1/logs application/json')!.body.toString(), logsJson);
		assert.deepEqual(output.stats().passThrough, 6);
		assert.deepEqual(output.stats().logRecords, 1);
		await output.close();
	});

	it('sends pass-through to per-signal URLs when given', async () => {
		const output = new OtlpLogsOutput({ endpoint: collector.endpoint, signalUrls: { traces: `${collector.endpoint}/custom/spans` } });
		await output.send([createMessage({ source: 'otlp', messageType: 'otlp.traces', payload: traceRequest('x') })]);
		assert.equal(collector.requests[0]!.path, '/custom/spans');
		await output.close();
	});

	it('reports a partial success (protobuf and JSON responses) without failing the batch', async () => {
		const output = new OtlpLogsOutput({ endpoint: collector.endpoint });
		const events: OtlpPartialSuccessEvent[] = [];
		output.on('partial-success', (e) => events.push(e));
		collector.respond = (res, req) => {
			if (req.path === '/v1/traces') {
				res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ partialSuccess: { rejectedSpans: '1', errorMessage: 'span too old' } }));
				return;
			}
			res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(encode(LogsResponse, { partialSuccess: { rejectedLogRecords: 2, errorMessage: 'bad attribute' } }));
		};
		await output.send([...sample(), createMessage({ source: 'otlp', messageType: 'otlp.traces', payload: traceRequest('t') })]);
		events.sort((a, b) => a.signal.localeCompare(b.signal));
		assert.deepEqual(events, [
			{ signal: 'logs', url: `${collector.endpoint}/v1/logs`, rejected: 2, message: 'bad attribute', messages: 3 },
			{ signal: 'traces', url: `${collector.endpoint}/v1/traces`, rejected: 1, message: 'span too old', messages: 1 },
		]);
		assert.equal(output.stats().rejected, 3);
		assert.equal(output.health(), true);
		// An OTel collector's own success response decodes to no partial success.
		collector.respond = (res) => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(encode(TraceResponse, {}));
		await output.send(sample());
		assert.equal(events.length, 2);
		await output.close();
	});

	for (const status of [400, 401, 404, 413, 500, 501]) {
		it(`fails a ${status} as permanent (not retryable), with the collector's google.rpc.Status message`, async () => {
			const output = new OtlpLogsOutput({ endpoint: collector.endpoint });
			collector.respond = (res) => res.writeHead(status, { 'content-type': 'application/x-protobuf' }).end(encodeStatus(3, `refused with ${status}`));
			const error = await output.send(sample()).then(() => assert.fail('resolved'), (e: unknown) => e);
			assert.ok(error instanceof OtlpExportError);
			assert.equal(error.status, status);
			assert.equal(error.retryable, false);
			assert.equal(otlpRetryable(error), false);
			assert.equal(error.signal, 'logs');
			assert.match(error.message, new RegExp(`answered ${status}: refused with ${status}`));
			assert.equal(output.health(), false);
			await output.close();
		});
	}

	for (const status of [429, 502, 503, 504]) {
		it(`fails a ${status} as retryable, with its Retry-After`, async () => {
			const output = new OtlpLogsOutput({ endpoint: collector.endpoint, maxRetryAfterMs: 0 });
			collector.respond = (res) => res.writeHead(status, { 'retry-after': '7', 'content-type': 'application/json' }).end('{"code":14,"message":"busy"}');
			const error = await output.send(sample()).then(() => assert.fail('resolved'), (e: unknown) => e);
			assert.ok(error instanceof OtlpExportError);
			assert.equal(error.retryable, true);
			assert.equal(otlpRetryable(error), true);
			assert.equal(error.retryAfterMs, 7000);
			assert.match(error.message, new RegExp(`answered ${status}: busy`));
			await output.close();
		});
	}

	it('waits out a Retry-After before the next request to that URL', async () => {
		const output = new OtlpLogsOutput({ endpoint: collector.endpoint });
		const times: number[] = [];
		collector.respond = (res, _req, n) => {
			times.push(performance.now());
			if (n === 1) res.writeHead(503, { 'retry-after': '1' }).end();
			else res.writeHead(200).end();
		};
		await assert.rejects(output.send(sample()), (e: unknown) => e instanceof OtlpExportError && e.retryAfterMs === 1000);
		await output.send(sample());
		assert.equal(times.length, 2);
		assert.ok(times[1]! - times[0]! >= 950, `waited ${Math.round(times[1]! - times[0]!)} ms`);
		// A send abandoned while waiting rejects at once.
		collector.respond = (res) => res.writeHead(429, { 'retry-after': '30' }).end();
		await assert.rejects(output.send(sample()));
		const abort = new AbortController();
		const waiting = output.send(sample(), abort.signal);
		setTimeout(() => abort.abort(), 20);
		const started = performance.now();
		await assert.rejects(waiting, /abandoned by the hub while waiting for Retry-After/);
		assert.ok(performance.now() - started < 1000);
		await output.close();
	});

	it('fails retryably when the collector is unreachable, times out or the hub abandons the send', async () => {
		const closed = new OtlpReceiver();
		await closed.start();
		const endpoint = closed.endpoint;
		await closed.stop();
		const unreachable = new OtlpLogsOutput({ endpoint });
		const error = await unreachable.send(sample()).then(() => assert.fail('resolved'), (e: unknown) => e);
		assert.ok(error instanceof OtlpExportError);
		assert.equal(error.retryable, true);
		assert.equal(error.status, undefined);
		assert.match(error.message, /ECONNREFUSED/);
		await unreachable.close();

		collector.respond = () => {}; // never answers
		const slow = new OtlpLogsOutput({ endpoint: collector.endpoint, timeoutMs: 50 });
		await assert.rejects(slow.send(sample()), (e: unknown) => e instanceof OtlpExportError && e.retryable && /timed out after 50 ms/.test(e.message));
		const abort = new AbortController();
		const pending = slow.send(sample(), abort.signal);
		abort.abort();
		await assert.rejects(pending, /abandoned by the hub/);
		await slow.close();
	});

	it('in a hub: a 400 is dead-lettered after one try with otlpRetryable; a 503 is retried until accepted', async () => {
		const input = new MemoryInput();
		const dlq = new MemoryOutput({ name: 'dlq' });
		const output = new OtlpLogsOutput({ endpoint: collector.endpoint });
		let answers = [400];
		collector.respond = (res) => res.writeHead(answers.shift() ?? 200).end();
		const hub = Hub.builder()
			.input(input)
			.output(output, { batchSize: 10, flushInterval: 1, retry: { attempts: 4, baseDelayMs: 1, retryable: otlpRetryable }, deadLetter: 'dlq' })
			.deadLetter(dlq)
			.build();
		await hub.start();
		await input.deliver(sample());
		assert.equal(collector.requests.length, 1, 'not retried');
		await dlq.waitFor(3);
		answers = [503, 503];
		const outcome = await input.deliver(sample());
		assert.equal(outcome.delivered, 3);
		assert.equal(collector.requests.length, 4);
		await hub.stop();
		const stats = hub.stats().outputs['otlp']!;
		assert.equal(stats.deadLettered, 3);
		assert.equal(stats.delivered, 3);
	});

	it('in a hub with maxInFlight 4, requests overlap and each batch is retried on its own until accepted', async () => {
		let open = 0;
		let most = 0;
		collector.respond = (res, _req, n) => {
			open++;
			most = Math.max(most, open);
			setTimeout(() => {
				open--;
				res.writeHead(n % 4 === 0 ? 503 : 200).end();
			}, 30);
		};
		const input = new MemoryInput();
		const output = new OtlpLogsOutput({ endpoint: collector.endpoint });
		const hub = Hub.builder()
			.input(input)
			.output(output, { batchSize: 50, flushInterval: 5, maxInFlight: 4, retry: { attempts: 5, baseDelayMs: 1, retryable: otlpRetryable } })
			.build();
		await hub.start();
		const outcome = await input.deliver(Array.from({ length: 500 }, (_, i) => ({ source: 's', messageType: 't', payload: `m${i}` })));
		await hub.stop();
		assert.equal(outcome.delivered, 500);
		assert.ok(most > 1 && most <= 4, `requests in flight at once: ${most}`);
		const accepted = collector.requests.filter((_, i) => (i + 1) % 4 !== 0);
		const bodies = accepted.flatMap((r) => decode(LogsRequest, r.body).resourceLogs[0].scopeLogs[0].logRecords.map((l: any) => l.body.stringValue));
		assert.deepEqual(bodies.sort(), Array.from({ length: 500 }, (_, i) => `m${i}`).sort());
		assert.equal(hub.stats().outputs['otlp']!.delivered, 500);
	});

	it('runs several sends at once', async () => {
		const output = new OtlpLogsOutput({ endpoint: collector.endpoint });
		await Promise.all(Array.from({ length: 8 }, (_, i) => output.send([createMessage({ source: 's', messageType: 't', payload: `batch ${i}` })])));
		const bodies = collector.requests.map((r) => decode(LogsRequest, r.body).resourceLogs[0].scopeLogs[0].logRecords[0].body.stringValue).sort();
		assert.deepEqual(bodies, Array.from({ length: 8 }, (_, i) => `batch ${i}`));
		await output.close();
	});

	it('refuses bad options with a ConfigError naming the field', () => {
		const field = (f: () => unknown): string => {
			try {
				f();
			} catch (error) {
				assert.ok(error instanceof ConfigError);
				return error.field;
			}
			assert.fail('no ConfigError');
		};
		assert.equal(field(() => new OtlpLogsOutput({ endpoint: 'collector:4318' })), 'OtlpLogsOutput "otlp".endpoint');
		assert.equal(field(() => new OtlpLogsOutput({ endpoint: 'ftp://x' })), 'OtlpLogsOutput "otlp".endpoint');
		assert.equal(field(() => new OtlpLogsOutput({ endpoint: 'http://x', protocol: 'grpc' as 'http/json' })), 'OtlpLogsOutput "otlp".protocol');
		assert.equal(field(() => new OtlpLogsOutput({ endpoint: 'http://x', compression: 'br' as 'gzip' })), 'OtlpLogsOutput "otlp".compression');
		assert.equal(field(() => new OtlpLogsOutput({ endpoint: 'http://x', headers: { 'Content-Type': 'x' } })), 'OtlpLogsOutput "otlp".headers.Content-Type');
		assert.equal(field(() => new OtlpLogsOutput({ endpoint: 'http://x', resourceAttributes: { n: NaN } })), 'OtlpLogsOutput "otlp".resourceAttributes.n');
		assert.equal(field(() => new OtlpLogsOutput({ endpoint: 'http://x', signalUrls: { profiles: 'http://y' } as never })), 'OtlpLogsOutput "otlp".signalUrls.profiles');
		assert.equal(field(() => new OtlpLogsOutput({ endpoint: 'http://x', name: 'o', timeoutMs: 0 })), 'OtlpLogsOutput "o".timeoutMs');
	});
});

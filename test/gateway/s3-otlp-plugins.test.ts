import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ConfigError } from '../../src/errors.js';
import { createLogger, run, type RunOptions } from '../../src/gateway/index.js';
import { parseJsonEvents } from '../../src/json-event/index.js';
import { postJson } from '../http/helpers.js';
import { startS3, type LocalS3 } from '../support/local-s3.js';
import { decode, encode, LogsRequest, OtlpReceiver, TraceRequest } from '../support/otlp.js';

const exec = promisify(execFile);
const CWD = new URL('../../', import.meta.url).pathname;

const silent = (env: Record<string, string>): RunOptions => ({
	env: { POLKU_GRPC_ADDR: 'off', POLKU_METRICS_ADDR: 'off', ...env },
	handleSignals: false,
	logger: createLogger({ level: 'silent' }),
});

async function freePort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	await new Promise((resolve) => server.close(resolve));
	return port;
}

const port = (address: string | undefined): number => Number(address!.split(':').at(-1));

describe('gateway plugins: s3', () => {
	let s3: LocalS3;
	before(async () => {
		s3 = await startS3();
	});
	after(() => s3.close());

	it('POLKU_S3_BUCKET with POLKU_S3_ENDPOINT writes NDJSON objects under POLKU_S3_PREFIX', async () => {
		const bucket = await s3.bucket('gateway');
		const gateway = await run(
			undefined,
			silent({
				POLKU_HTTP_ADDR: '127.0.0.1:0',
				POLKU_S3_BUCKET: bucket,
				POLKU_S3_PREFIX: 'archive/',
				POLKU_S3_ENDPOINT: s3.endpoint,
				POLKU_S3_FLUSH_INTERVAL_MS: '20',
				AWS_ACCESS_KEY_ID: 'S3RVER',
				AWS_SECRET_ACCESS_KEY: 'S3RVER',
			}),
		);
		try {
			assert.deepEqual(Object.keys(gateway.hub.stats().outputs), ['s3']);
			const r = await postJson(port(gateway.addresses.http), '/events', [{ id: 'a', source: 'web', event_type: 'x', payload: 'aGVq' }, { id: 'b', source: 'web', event_type: 'y' }]);
			assert.equal(r.status, 202);
		} finally {
			await gateway.stop();
		}
		const objects = await s3.objects(bucket);
		assert.equal(objects.length, 1);
		assert.match(objects[0]!.key, /^archive\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/\w{26}\.ndjson$/);
		assert.equal(objects[0]!.contentType, 'application/x-ndjson');
		assert.deepEqual(parseJsonEvents(objects[0]!.body, 'ndjson').map((m) => m.id), ['a', 'b']);
	});

	it('POLKU_S3_FORMAT and POLKU_S3_COMPRESSION choose the object form', async () => {
		const bucket = await s3.bucket('gateway');
		const gateway = await run(
			undefined,
			silent({ POLKU_HTTP_ADDR: '127.0.0.1:0', POLKU_S3_BUCKET: bucket, POLKU_S3_ENDPOINT: s3.endpoint, POLKU_S3_FORMAT: 'raw', POLKU_S3_COMPRESSION: 'gzip', POLKU_S3_KEY: 'raw/{ulid}.{ext}', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' }),
		);
		try {
			await postJson(port(gateway.addresses.http), '/events', [{ payload: 'aGVq' }]);
		} finally {
			await gateway.stop();
		}
		const [object] = await s3.objects(bucket);
		assert.match(object!.key, /^raw\/\w{26}\.bin\.gz$/);
		assert.equal(object!.contentEncoding, 'gzip');
	});

	it('refuses bad S3 variables with a ConfigError naming them', async () => {
		const field = async (env: Record<string, string>): Promise<string> => {
			const error = await run(undefined, silent({ POLKU_HTTP_ADDR: '127.0.0.1:0', ...env })).then(
				async (g) => {
					await g.stop();
					assert.fail('started');
				},
				(e: unknown) => e,
			);
			assert.ok(error instanceof ConfigError, String(error));
			return error.field;
		};
		assert.equal(await field({ POLKU_S3_BUCKET: 'b', POLKU_S3_FORMAT: 'csv' }), 'POLKU_S3_FORMAT');
		assert.equal(await field({ POLKU_S3_BUCKET: 'b', POLKU_S3_COMPRESSION: 'zstd' }), 'POLKU_S3_COMPRESSION');
		assert.equal(await field({ POLKU_S3_BUCKET: 'b', POLKU_S3_ENDPOINT: 'localhost:9000' }), 'POLKU_S3_ENDPOINT');
		assert.equal(await field({ POLKU_S3_PREFIX: 'x/' }), 'POLKU_S3_PREFIX');
		assert.equal(await field({ POLKU_S3_BUCKET: 'b', POLKU_BUFFER_CAPACITY: '100', POLKU_S3_BATCH_SIZE: '500' }), 'POLKU_S3_BATCH_SIZE');
		assert.equal(await field({ POLKU_S3_BUCKET: 'b', POLKU_S3_KEY: '{yyyy}/{MM}.ndjson' }), 'POLKU_S3_KEY');
		assert.equal(await field({ POLKU_S3_BUCKET: 'b', POLKU_S3_MAX_IN_FLIGHT: '0' }), 'POLKU_S3_MAX_IN_FLIGHT');
	});

	it('the command exits 2 naming @aws-sdk/client-s3 when it is not installed', async () => {
		const result = await exec(process.execPath, ['--import', './test/gateway/block-aws-sdk.mjs', '--import', 'tsx', 'src/gateway/cli.ts'], {
			cwd: CWD,
			env: { PATH: process.env['PATH'] ?? '', POLKU_S3_BUCKET: 'archive', POLKU_GRPC_ADDR: '127.0.0.1:0', POLKU_METRICS_ADDR: 'off' },
		}).then(
			() => assert.fail('the gateway started'),
			(e: { code: number; stderr: string }) => e,
		);
		assert.equal(result.code, 2);
		assert.match(result.stderr, /POLKU_S3_BUCKET needs the package @aws-sdk\/client-s3, which is not installed: npm i @aws-sdk\/client-s3/);
	});
});

describe('gateway plugins: otlp', () => {
	const collector = new OtlpReceiver();
	before(() => collector.start());
	after(() => collector.stop());

	it('POLKU_OTLP_ADDR receives OTLP and POLKU_OTLP_ENDPOINT forwards it, and logs events, to a collector', async () => {
		const otlpPort = await freePort();
		const gateway = await run(
			undefined,
			silent({
				POLKU_HTTP_ADDR: '127.0.0.1:0',
				POLKU_OTLP_ADDR: `127.0.0.1:${otlpPort}`,
				POLKU_OTLP_ENDPOINT: collector.endpoint,
				POLKU_OTLP_HEADERS: 'x-tenant=acme,authorization=Bearer%20abc',
				POLKU_OTLP_COMPRESSION: 'gzip',
				POLKU_OTLP_SERVICE_NAME: 'edge-1',
				POLKU_AUTH_TOKENS: 'tok',
			}),
		);
		try {
			const stats = gateway.hub.stats();
			assert.deepEqual(Object.keys(stats.inputs).sort(), ['http', 'otlp']);
			assert.deepEqual(Object.keys(stats.outputs), ['otlp']);
			const traces = encode(TraceRequest, { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: Buffer.alloc(16, 3), spanId: Buffer.alloc(8, 4), name: 'through the gateway' }] }] }] });
			const denied = await fetch(`http://127.0.0.1:${otlpPort}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: traces });
			assert.equal(denied.status, 401);
			const accepted = await fetch(`http://127.0.0.1:${otlpPort}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', authorization: 'Bearer tok' }, body: traces });
			assert.equal(accepted.status, 200);
			await postJson(port(gateway.addresses.http), '/events', [{ id: 'ev-1', source: 'web', event_type: 'signup', payload: btoa('hello') }], { authorization: 'Bearer tok' });
			const requests = await collector.waitFor(2);
			const forwarded = requests.find((r) => r.path === '/v1/traces')!;
			assert.deepEqual(forwarded.body, traces);
			assert.equal(forwarded.headers['x-tenant'], 'acme');
			assert.equal(forwarded.headers['authorization'], 'Bearer abc');
			assert.equal(forwarded.headers['content-encoding'], 'gzip');
			const logs = decode(LogsRequest, requests.find((r) => r.path === '/v1/logs')!.body);
			assert.deepEqual(logs.resourceLogs[0].resource.attributes, [{ key: 'service.name', value: { stringValue: 'edge-1' } }]);
			assert.deepEqual(logs.resourceLogs[0].scopeLogs[0].logRecords[0].body, { stringValue: 'hello' });
		} finally {
			await gateway.stop();
		}
	});

	it('refuses bad OTLP variables with a ConfigError naming them', async () => {
		for (const [env, name] of [
			[{ POLKU_OTLP_ENDPOINT: 'collector:4318' }, 'POLKU_OTLP_ENDPOINT'],
			[{ POLKU_OTLP_ADDR: 'everywhere' }, 'POLKU_OTLP_ADDR'],
			[{ POLKU_OTLP_ENDPOINT: 'http://c', POLKU_OTLP_HEADERS: 'no-equals' }, 'POLKU_OTLP_HEADERS'],
			[{ POLKU_OTLP_ENDPOINT: 'http://c', POLKU_OTLP_COMPRESSION: 'br' }, 'POLKU_OTLP_COMPRESSION'],
			[{ POLKU_OTLP_HEADERS: 'a=b' }, 'POLKU_OTLP_HEADERS'],
			[{ POLKU_OTLP_MAX_BODY_BYTES: '10' }, 'POLKU_OTLP_MAX_BODY_BYTES'],
		] as const) {
			await assert.rejects(run(undefined, silent({ POLKU_HTTP_ADDR: '127.0.0.1:0', ...env })), (e: unknown) => e instanceof ConfigError && e.field === name, name);
		}
	});

	it('the command runs an OTLP input alone (no other input) and forwards to the collector', async () => {
		const otlpPort = await freePort();
		collector.requests.length = 0;
		const { spawn } = await import('node:child_process');
		const child = spawn(process.execPath, ['--import', 'tsx', 'src/gateway/cli.ts'], {
			cwd: CWD,
			env: { PATH: process.env['PATH'] ?? '', POLKU_GRPC_ADDR: 'off', POLKU_METRICS_ADDR: 'off', POLKU_OTLP_ADDR: `127.0.0.1:${otlpPort}`, POLKU_OTLP_ENDPOINT: collector.endpoint },
		});
		let stderr = '';
		child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
		try {
			while (!stderr.includes('polku-gateway started')) {
				if (child.exitCode !== null) assert.fail(`exited: ${stderr}`);
				await new Promise((r) => setTimeout(r, 50));
			}
			const body = encode(LogsRequest, { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'via the command' } }] }] }] });
			const reply = await fetch(`http://127.0.0.1:${otlpPort}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
			assert.equal(reply.status, 200);
			const [request] = await collector.waitFor(1);
			assert.deepEqual(request!.body, body);
		} finally {
			child.kill('SIGTERM');
			await new Promise((resolve) => child.once('exit', resolve));
		}
	});
});

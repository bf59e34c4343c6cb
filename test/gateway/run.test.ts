import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { fromJsonEvent } from '../../src/index.js';
import { ConfigError } from '../../src/errors.js';
import { createLogger, run, type LineStream, type RunOptions } from '../../src/gateway/index.js';
import { withMetadata } from '../../src/message/edit.js';
import type { Message } from '../../src/message/message.js';
import { MemoryOutput } from '../../src/testing/index.js';
import { call, postJson } from '../http/helpers.js';

class LineCapture extends EventEmitter implements LineStream {
	text = '';
	write(chunk: string): boolean {
		this.text += chunk;
		this.emit('written');
		return true;
	}
	lines(): string[] {
		return this.text.split('\n').filter((l) => l !== '');
	}
	async waitForLines(n: number): Promise<string[]> {
		while (this.lines().length < n) await new Promise((resolve) => this.once('written', resolve));
		return this.lines();
	}
}

const BASE_ENV = { POLKU_GRPC_ADDR: 'off', POLKU_HTTP_ADDR: '127.0.0.1:0', POLKU_METRICS_ADDR: '127.0.0.1:0' };

function options(extra: Omit<RunOptions, 'stdout'> = {}): RunOptions & { log: LineCapture; stdout: LineCapture } {
	const log = new LineCapture();
	const stdout = new LineCapture();
	return { env: BASE_ENV, handleSignals: false, logger: createLogger({ level: 'debug', stream: log }), ...extra, stdout, log };
}

const port = (address: string | undefined): number => Number(address!.split(':').at(-1));

describe('run', () => {
	it('serves HTTP in, stdout JSON lines out, and the admin endpoints', async () => {
		const o = options();
		const gateway = await run(undefined, o);
		try {
			assert.deepEqual(Object.keys(gateway.addresses).sort(), ['http', 'metrics']);
			const started = o.log.lines().map((l) => JSON.parse(l)).find((e) => e.msg === 'polku-gateway started');
			assert.equal(started.http, gateway.addresses.http);
			assert.deepEqual(started.outputs, ['stdout']);

			const r = await postJson(port(gateway.addresses.http), '/events', [{ id: 'a', event_type: 'x', payload: 'aGVq' }, { id: 'b' }]);
			assert.equal(r.status, 202);
			const lines = await o.stdout.waitForLines(2);
			assert.deepEqual(lines.map((l) => fromJsonEvent(JSON.parse(l), { source: '?' }).id), ['a', 'b']);

			const admin = port(gateway.addresses.metrics);
			const metrics = await call(admin, 'GET', '/metrics');
			assert.equal(metrics.status, 200);
			assert.match(metrics.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/);
			assert.match(metrics.text, /^# TYPE /m);
			assert.match(metrics.text, /polku_/);
			const health = await call(admin, 'GET', '/health');
			assert.equal(health.status, 200);
			assert.equal(health.json.healthy, true);
			assert.deepEqual(health.json.buffer, { size: 0, capacity: 100000 });
			const pipeline = await call(admin, 'GET', '/pipeline');
			assert.equal(pipeline.status, 200);
			assert.deepEqual(pipeline.json.inputs.map((i: { name: string; kind: string }) => [i.name, i.kind]), [['http', 'HttpInput']]);
			assert.deepEqual(pipeline.json.outputs.map((o: { name: string; kind: string }) => [o.name, o.kind]), [['stdout', 'StdoutOutput']]);
			assert.deepEqual(pipeline.json.buffer, { capacity: 100000, overflow: 'block' });
			assert.equal((await call(admin, 'GET', '/nope')).status, 404);
			assert.equal((await call(admin, 'POST', '/metrics')).status, 405);
		} finally {
			const stopped = await gateway.stop();
			assert.equal(stopped.drained, true);
		}
		assert.equal(gateway.hub.state, 'stopped');
		assert.ok(o.log.lines().some((l) => JSON.parse(l).msg === 'polku-gateway stopped'));
	});

	it('lets configure add middleware and outputs (no stdout output then), and opt out of gRPC', async () => {
		const out = new MemoryOutput({ name: 'mine' });
		const o = options({ env: { ...BASE_ENV, POLKU_GRPC_ADDR: '127.0.0.1:0', POLKU_BATCH_SIZE: '7' }, grpcInput: false });
		const gateway = await run(({ builder, config }) => {
			assert.equal(config.batchSize, 7);
			builder.middleware({ name: 'tag', process: (m: Message) => withMetadata(m, { via: 'gateway' }) }).output(out);
		}, o);
		try {
			assert.equal(gateway.addresses.grpc, undefined);
			assert.deepEqual(Object.keys(gateway.hub.stats().inputs), ['http']);
			assert.deepEqual(Object.keys(gateway.hub.stats().outputs), ['mine']);
			await postJson(port(gateway.addresses.http), '/events', { event_type: 'x' });
			await out.waitFor(1);
			assert.equal(out.messages[0]!.metadata['via'], 'gateway');
			assert.equal(o.stdout.text, '');
		} finally {
			await gateway.stop();
		}
	});

	it('emits to POLKU_EMIT_WEBHOOK_URL', async () => {
		const bodies: string[] = [];
		const receiver = createServer((req, res) => {
			let body = '';
			req.on('data', (c: Buffer) => (body += c));
			req.on('end', () => {
				bodies.push(body);
				res.writeHead(204).end();
			});
		});
		await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
		const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/in`;
		const o = options({ env: { ...BASE_ENV, POLKU_METRICS_ADDR: 'off', POLKU_EMIT_WEBHOOK_URL: url, POLKU_EMIT_WEBHOOK_FORMAT: 'ndjson' } });
		const gateway = await run(undefined, o);
		try {
			assert.equal(gateway.addresses.metrics, undefined);
			await postJson(port(gateway.addresses.http), '/events', { id: 'w1' });
			await gateway.stop();
			assert.equal(bodies.length, 1);
			assert.equal(JSON.parse(bodies[0]!.trim()).id, 'w1');
			assert.equal(o.stdout.text, '', 'no stdout output when an output is configured');
		} finally {
			await gateway.stop();
			receiver.close();
		}
	});

	it('rejects with a ConfigError naming the variable', async () => {
		await assert.rejects(
			run(undefined, options({ env: { POLKU_BUFFER_CAPACITY: 'lots' } })),
			(error: unknown) => error instanceof ConfigError && error.field === 'POLKU_BUFFER_CAPACITY',
		);
	});

	it('rejects when a port is taken, after stopping what it started', async () => {
		const blocker = createServer();
		await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
		const taken = `127.0.0.1:${(blocker.address() as AddressInfo).port}`;
		try {
			const o = options({ env: { ...BASE_ENV, POLKU_METRICS_ADDR: taken } });
			await assert.rejects(run(undefined, o), /EADDRINUSE/);
			assert.ok(o.log.lines().some((l) => JSON.parse(l).msg === 'polku-gateway stopped'));
		} finally {
			blocker.close();
		}
	});

	it('warns about unknown POLKU_ variables', async () => {
		const o = options({ env: { ...BASE_ENV, POLKU_BUFER_CAPACITY: '5', POLKU_METRICS_ADDR: 'off' } });
		const gateway = await run(undefined, o);
		await gateway.stop();
		assert.ok(o.log.lines().some((l) => JSON.parse(l).variable === 'POLKU_BUFER_CAPACITY'));
	});
});

import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { credentials, loadPackageDefinition, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_DIR } from '../../src/adapters/grpc/index.js';
import { variableSections } from '../../src/gateway/help.js';
import { fromJsonEvent } from '../../src/index.js';
import { call, postJson } from '../http/helpers.js';

const CWD = new URL('../../', import.meta.url).pathname;
const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

interface Gateway {
	readonly child: ChildProcessWithoutNullStreams;
	readonly logs: Record<string, unknown>[];
	readonly stdout: string[];
	readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
	waitForLog(msg: string): Promise<Record<string, unknown>>;
	waitForStdout(n: number): Promise<string[]>;
}

function spawnGateway(env: Record<string, string>, args: readonly string[] = []): Gateway {
	const child = spawn(process.execPath, ['--import', 'tsx', 'src/gateway/cli.ts', ...args], {
		cwd: CWD,
		env: { PATH: process.env['PATH'] ?? '', POLKU_GRPC_ADDR: '127.0.0.1:0', POLKU_HTTP_ADDR: '127.0.0.1:0', POLKU_METRICS_ADDR: '127.0.0.1:0', ...env },
	});
	const logs: Record<string, unknown>[] = [];
	const stdout: string[] = [];
	const waiters = new Set<() => void>();
	const wake = (): void => waiters.forEach((w) => w());
	createInterface({ input: child.stderr }).on('line', (line) => {
		try {
			logs.push(JSON.parse(line) as Record<string, unknown>);
		} catch {
			logs.push({ raw: line });
		}
		wake();
	});
	createInterface({ input: child.stdout }).on('line', (line) => {
		stdout.push(line);
		wake();
	});
	const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
	const until = async <T>(check: () => T | undefined, what: string): Promise<T> => {
		for (;;) {
			const value = check();
			if (value !== undefined) return value;
			const woke = new Promise<void>((resolve) => {
				const w = (): void => {
					waiters.delete(w);
					resolve();
				};
				waiters.add(w);
			});
			const ended = exited.then(() => {
				throw new Error(`gateway exited while waiting for ${what}; logs: ${JSON.stringify(logs)}`);
			});
			await Promise.race([woke, ended]);
		}
	};
	return {
		child,
		logs,
		stdout,
		exited,
		waitForLog: (msg) => until(() => logs.find((l) => l['msg'] === msg), msg),
		waitForStdout: (n) => until(() => (stdout.length >= n ? stdout : undefined), `${n} stdout lines`),
	};
}

const portOf = (address: unknown): number => Number(String(address).split(':').at(-1));

const definition = loadSync(['polku/event/v1/event.proto', 'polku/v1/gateway.proto'], { includeDirs: [PROTO_DIR], keepCase: true, longs: String, enums: Number });
const Gateway = (loadPackageDefinition(definition) as unknown as { polku: { v1: { Gateway: ServiceClientConstructor } } }).polku.v1.Gateway;

describe('polku-gateway (the command)', () => {
	it('--help prints the usage and every variable the gateway reads, adapters included, and exits 0', async () => {
		const g = spawnGateway({}, ['--help']);
		const { code } = await g.exited;
		assert.equal(code, 0);
		const text = g.stdout.join('\n');
		assert.match(text, /^polku-gateway \d+\.\d+\.\d+/);
		assert.match(text, /Usage: polku-gateway \[--help \| --version\]/);
		for (const section of variableSections()) {
			for (const v of section.variables) {
				assert.ok(v.description.length > 0, `${v.name} has no description for --help`);
				const line = g.stdout.find((l) => l.trimStart().startsWith(`${v.name} `));
				assert.ok(line !== undefined, `--help does not list ${v.name}`);
				assert.ok(line.includes(v.description), `--help line of ${v.name}: ${line}`);
			}
		}
		assert.ok(variableSections().flatMap((s) => s.variables).length >= 17);
		assert.deepEqual(g.logs, [], 'nothing on stderr, nothing started');
	});

	it('--version prints the version of package.json and exits 0', async () => {
		const g = spawnGateway({}, ['--version']);
		assert.equal((await g.exited).code, 0);
		assert.deepEqual(g.stdout, [PACKAGE_VERSION]);
	});

	it('exits 2 on an unknown argument, naming it', async () => {
		const g = spawnGateway({}, ['--port', '80']);
		assert.equal((await g.exited).code, 2);
		assert.equal(g.logs.length, 1);
		assert.match(String(g.logs[0]!['raw']), /^polku-gateway: unknown argument "--port": .*--help/);
		assert.deepEqual(g.stdout, []);
	});

	it('warns about an unknown POLKU_ variable, with the nearest known name, before exiting 2', async () => {
		const g = spawnGateway({ POLKU_GRPC_ADDR: 'off', POLKU_HTTP_ADDR: '', POLKU_HTTP_ADRR: '127.0.0.1:0' });
		assert.equal((await g.exited).code, 2);
		assert.deepEqual(
			g.logs.map((l) => l['raw']),
			[
				'polku-gateway: warning: unknown variable POLKU_HTTP_ADRR ignored (did you mean POLKU_HTTP_ADDR?)',
				'polku-gateway: POLKU_GRPC_ADDR is off and no other input is configured (POLKU_HTTP_ADDR, a broker input): the gateway would have no input',
			],
		);
	});

	it('logs where the gRPC and HTTP inputs listen, and warns about unknown variables once, through the logger', async () => {
		const g = spawnGateway({ POLKU_BUFER_CAPACITY: '5' });
		const started = await g.waitForLog('polku-gateway started');
		const grpc = await g.waitForLog('polku grpc input listening');
		const http = await g.waitForLog('polku http input listening');
		assert.equal(grpc['address'], started['grpc']);
		assert.equal(grpc['port'], portOf(started['grpc']));
		assert.equal(http['port'], portOf(started['http']));
		const warnings = g.logs.filter((l) => l['variable'] === 'POLKU_BUFER_CAPACITY');
		assert.equal(warnings.length, 1);
		assert.equal(warnings[0]!['suggestion'], 'POLKU_BUFFER_CAPACITY');
		g.child.kill('SIGTERM');
		assert.equal((await g.exited).code, 0);
	});

	it('exits 2 with one line naming an invalid variable', async () => {
		const g = spawnGateway({ POLKU_BUFFER_CAPACITY: 'abc' });
		const { code } = await g.exited;
		assert.equal(code, 2);
		assert.deepEqual(g.logs, [{ raw: 'polku-gateway: POLKU_BUFFER_CAPACITY must be a positive integer, got "abc"' }]);
		assert.deepEqual(g.stdout, []);
	});

	it('exits 2 when no input is configured', async () => {
		const g = spawnGateway({ POLKU_GRPC_ADDR: 'off', POLKU_HTTP_ADDR: '' });
		const { code } = await g.exited;
		assert.equal(code, 2);
		assert.match(JSON.stringify(g.logs), /POLKU_GRPC_ADDR is off and no other input is configured/);
	});

	it('exits 1 when it cannot listen', async () => {
		const blocker = createServer();
		await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
		try {
			const g = spawnGateway({ POLKU_HTTP_ADDR: `127.0.0.1:${(blocker.address() as AddressInfo).port}` });
			const { code } = await g.exited;
			assert.equal(code, 1);
			assert.match(JSON.stringify(g.logs.at(-1)), /polku-gateway: cannot start: .*EADDRINUSE/);
		} finally {
			blocker.close();
		}
	});

	it('takes events over HTTP and gRPC, serves metrics, and drains every buffered event to stdout on SIGTERM', async () => {
		// A long flush interval and large batches keep the events in the buffer until shutdown.
		const g = spawnGateway({ POLKU_FLUSH_INTERVAL_MS: '600000', POLKU_BATCH_SIZE: '1000' });
		const started = await g.waitForLog('polku-gateway started');
		const http = portOf(started['http']);
		const admin = portOf(started['metrics']);
		const grpcPort = portOf(started['grpc']);
		assert.ok(http > 0 && admin > 0 && grpcPort > 0);

		const ids = Array.from({ length: 20 }, (_, i) => `http-${i}`);
		const r = await postJson(http, '/events', ids.map((id) => ({ id, event_type: 'h', timestamp_unix_ns: '1764216000123456789' })));
		assert.equal(r.status, 202);
		assert.deepEqual(r.json.ids, ids);

		const client = new Gateway(`127.0.0.1:${grpcPort}`, credentials.createInsecure()) as unknown as {
			SendEvent(req: object, cb: (e: Error | null, ack?: { event_ids: string[] }) => void): void;
			close(): void;
		};
		try {
			const ack = await new Promise<{ event_ids: string[] }>((resolve, reject) =>
				client.SendEvent({ source: 'grpc-client', event: { id: 'grpc-1', event_type: 'g', payload: Buffer.from('hej') } }, (e, a) => (e ? reject(e) : resolve(a!))),
			);
			assert.deepEqual(ack.event_ids, ['grpc-1']);
		} finally {
			client.close();
		}

		const health = await call(admin, 'GET', '/health');
		assert.equal(health.status, 200);
		assert.equal(health.json.buffer.size, 21, 'everything is still buffered');
		const metrics = await call(admin, 'GET', '/metrics');
		assert.equal(metrics.status, 200);
		assert.match(metrics.text, /polku_/);
		const pipeline = await call(admin, 'GET', '/pipeline');
		assert.equal(pipeline.status, 200);
		assert.deepEqual(pipeline.json.inputs.map((i: { kind: string }) => i.kind), ['GrpcInput', 'HttpInput']);
		assert.deepEqual(pipeline.json.outputs.map((o: { kind: string }) => o.kind), ['StdoutOutput']);
		assert.deepEqual(g.stdout, []);

		g.child.kill('SIGTERM');
		const { code } = await g.exited;
		assert.equal(code, 0);
		const events = g.stdout.map((line) => fromJsonEvent(JSON.parse(line), { source: '?' }));
		assert.deepEqual(events.map((m) => m.id).sort(), [...ids, 'grpc-1'].sort());
		assert.equal(events.find((m) => m.id === 'http-3')!.timestamp, 1764216000123456789n);
		assert.equal(Buffer.from(events.find((m) => m.id === 'grpc-1')!.payload).toString(), 'hej');
		const stopped = g.logs.find((l) => l['msg'] === 'polku-gateway stopped')!;
		assert.equal(stopped['drained'], true);
	});

	it('waits for a slow webhook on SIGTERM, and exits 143 at once on a second SIGTERM', async () => {
		const held: ServerResponse[] = [];
		const receiver = createServer((req, res) => {
			req.resume();
			held.push(res);
		});
		await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
		const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
		const g = spawnGateway({ POLKU_GRPC_ADDR: 'off', POLKU_EMIT_WEBHOOK_URL: url, POLKU_SHUTDOWN_TIMEOUT_MS: '60000' });
		try {
			const started = await g.waitForLog('polku-gateway started');
			assert.equal((await postJson(portOf(started['http']), '/events', { id: 'slow' })).status, 202);
			while (held.length === 0) await once(receiver, 'request');
			g.child.kill('SIGTERM');
			await g.waitForLog('polku-gateway: stopping (draining the buffer)');
			assert.equal(g.child.exitCode, null, 'still draining');
			g.child.kill('SIGTERM');
			const { code } = await g.exited;
			assert.equal(code, 143);
		} finally {
			for (const res of held) res.destroy();
			receiver.close();
		}
	});

	it('delivers a buffered event to a slow webhook before exiting 0', async () => {
		const held: ServerResponse[] = [];
		const bodies: string[] = [];
		const arrivals = new EventEmitter();
		const receiver = createServer((req, res) => {
			let body = '';
			req.on('data', (c: Buffer) => (body += c));
			req.on('end', () => {
				bodies.push(body);
				held.push(res);
				arrivals.emit('held');
			});
		});
		const nextHeld = async (): Promise<ServerResponse> => {
			while (held.length === 0) await once(arrivals, 'held');
			return held.shift()!;
		};
		await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
		const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
		const g = spawnGateway({ POLKU_GRPC_ADDR: 'off', POLKU_EMIT_WEBHOOK_URL: url, POLKU_SHUTDOWN_TIMEOUT_MS: '60000', POLKU_METRICS_ADDR: 'off' });
		try {
			const started = await g.waitForLog('polku-gateway started');
			assert.equal((await postJson(portOf(started['http']), '/events', { id: 'first' })).status, 202);
			const first = await nextHeld();
			// 'first' is in flight at the receiver; 'second' waits in the buffer behind it
			assert.equal((await postJson(portOf(started['http']), '/events', { id: 'second' })).status, 202);
			g.child.kill('SIGTERM');
			await g.waitForLog('polku-gateway: stopping (draining the buffer)');
			first.writeHead(204).end();
			(await nextHeld()).writeHead(204).end();
			const { code } = await g.exited;
			assert.equal(code, 0);
			assert.deepEqual(bodies.map((b) => (JSON.parse(b) as { id: string }[]).map((e) => e.id)), [['first'], ['second']]);
		} finally {
			for (const res of held) res.destroy();
			receiver.close();
		}
	});
});

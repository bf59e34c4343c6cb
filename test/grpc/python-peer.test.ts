// Wire compatibility with an independent implementation: Debian's python grpcio,
// with stubs generated from polku's .proto files by grpc_tools.protoc at test time.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createMessage } from '../../src/index.js';
import { DownstreamRejectedError, GrpcOutput, PROTO_DIR } from '../../src/adapters/grpc/index.js';
import { startRig } from './helpers.js';

const PYTHON = process.env['POLKU_TEST_PYTHON'] ?? '/usr/bin/python3';
const PEER = fileURLToPath(new URL('./peer/', import.meta.url));

function pythonProblem(): string | undefined {
	const probe = spawnSync(PYTHON, ['-c', 'import grpc, grpc_tools'], { encoding: 'utf8' });
	if (probe.error !== undefined) return `${PYTHON} not runnable: ${probe.error.message}`;
	if (probe.status !== 0) return `${PYTHON} lacks grpcio / grpc_tools: ${probe.stderr.trim().split('\n').at(-1)}`;
	return undefined;
}

const problem = pythonProblem();
if (problem !== undefined && process.env['CI'] === 'true') {
	throw new Error(`python peer test cannot run on CI: ${problem}`);
}
const skip = problem === undefined ? false : `skipped: ${problem} (required when CI=true)`;

describe('python grpcio peer', { skip }, () => {
	let stubs: string;
	before(() => {
		stubs = mkdtempSync(join(tmpdir(), 'polku-pystubs-'));
		const gen = spawnSync(
			PYTHON,
			['-m', 'grpc_tools.protoc', `-I${PROTO_DIR}`, `--python_out=${stubs}`, `--grpc_python_out=${stubs}`, 'polku/event/v1/event.proto', 'polku/v1/gateway.proto'],
			{ encoding: 'utf8' },
		);
		assert.equal(gen.status, 0, `protoc failed: ${gen.stderr}`);
	});
	after(() => rmSync(stubs, { recursive: true, force: true }));

	it('a python client drives StreamEvents, SendEvent and Health on GrpcInput', async () => {
		const rig = await startRig();
		try {
			const result = await new Promise<string>((resolve, reject) => {
				const child = spawn(PYTHON, [join(PEER, 'client.py'), stubs, String(rig.port)], { stdio: ['ignore', 'pipe', 'pipe'] });
				let out = '';
				let err = '';
				child.stdout.on('data', (d: Buffer) => (out += d.toString()));
				child.stderr.on('data', (d: Buffer) => (err += d.toString()));
				child.on('error', reject);
				child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`client.py exited ${code}: ${err}`))));
			});
			const r = JSON.parse(result) as {
				stream: { event_ids: string[]; errors: { code: string; message: string }[]; buffer_capacity: number }[];
				send: { event_ids: string[] };
				invalid: { code: string; details: string };
				health: { healthy: boolean; events_processed: number };
			};
			assert.deepEqual(r.stream.map((a) => a.event_ids), [['py-1', 'py-2'], ['py-3', 'py-4'], []]);
			assert.equal(r.stream[0]!.buffer_capacity, 10_000);
			assert.equal(r.stream[2]!.errors[0]!.code, 'INVALID');
			assert.match(r.stream[2]!.errors[0]!.message, /unknown raw payload format "xml"/);
			assert.deepEqual(r.send.event_ids, ['py-5']);
			assert.equal(r.invalid.code, 'INVALID_ARGUMENT');
			assert.match(r.invalid.details, /neither raw nor event/);
			assert.equal(r.health.healthy, true);
			assert.equal(r.health.events_processed, 5);

			await rig.output.waitFor(5);
			const byId = new Map(rig.output.messages.map((m) => [m.id, m]));
			const py1 = byId.get('py-1')!;
			assert.equal(py1.timestamp, 1764216000123456789n);
			assert.equal(py1.source, 'py-src');
			assert.equal(py1.messageType, 'py.type');
			assert.deepEqual(
				{ ...py1.metadata },
				JSON.parse('{"__proto__":"p","constructor":"c","k":"v","polku.severity":"4","polku.outcome":"3","polku.cluster":"py-cluster"}'),
			);
			assert.deepEqual([...py1.payload], [0, 1, ...Buffer.from('binary'), 0xff]);
			assert.deepEqual(py1.routeTo, ['memory']);
			assert.equal(byId.get('py-2')!.timestamp, 9223372036854775807n);
			assert.equal(byId.get('py-2')!.payload.length, 0);
			assert.equal(byId.get('py-2')!.source, 'py');
			assert.equal(byId.get('py-4')!.timestamp, 9223372036854775807n);
		} finally {
			await rig.close();
		}
	});

	it('GrpcOutput forwards to a python server, which decodes every field exactly', async () => {
		const child = spawn(PYTHON, [join(PEER, 'server.py'), stubs], { stdio: ['pipe', 'pipe', 'pipe'] });
		let err = '';
		child.stderr.on('data', (d: Buffer) => (err += d.toString()));
		const lines = createInterface({ input: child.stdout });
		const received: Record<string, unknown>[] = [];
		const port = await new Promise<number>((resolve, reject) => {
			child.on('error', reject);
			child.on('exit', (code) => reject(new Error(`server.py exited ${code}: ${err}`)));
			lines.on('line', (line) => {
				if (line.startsWith('PORT ')) resolve(Number(line.slice(5)));
				else received.push(JSON.parse(line) as Record<string, unknown>);
			});
		});
		const out = new GrpcOutput({ endpoints: [`127.0.0.1:${port}`], source: 'node' });
		try {
			const metadata = JSON.parse('{"__proto__":"p","k":"v","polku.severity":"2","polku.outcome":"1"}') as Record<string, string>;
			await out.send([
				createMessage({ id: 'n-1', timestamp: 9223372036854775807n, source: 'node-src', messageType: 'node.type', metadata, payload: Buffer.from([0, 255, 7]), routeTo: ['a', 'b'] }),
				createMessage({ id: 'n-2', timestamp: 1764216000123456789n, source: 's', messageType: 't' }),
			]);
			await assert.rejects(
				out.send([createMessage({ id: 'n-3', source: 's', messageType: 'refuse' })]),
				(e: unknown) => e instanceof DownstreamRejectedError && e.codes.includes('REFUSED') && e.endpoint === `127.0.0.1:${port}`,
			);
			assert.equal(await out.health(), true);
			// server.py prints each event on stdout before it acks, but the pipe can be read after the Ack arrived.
			for (const end = Date.now() + 5000; received.length < 3 && Date.now() < end; ) await new Promise((resolve) => setTimeout(resolve, 10));
			assert.deepEqual(received[0], {
				id: 'n-1',
				timestamp_unix_ns: '9223372036854775807',
				source: 'node-src',
				event_type: 'node.type',
				metadata: JSON.parse('{"__proto__":"p","k":"v"}'),
				payload_hex: '00ff07',
				route_to: ['a', 'b'],
				severity: 2,
				outcome: 1,
			});
			assert.equal(received[1]!['timestamp_unix_ns'], '1764216000123456789');
			assert.equal(received[1]!['payload_hex'], '');
			assert.equal(received[2]!['id'], 'n-3');
		} finally {
			await out.close();
			child.removeAllListeners('exit');
			child.stdin.end();
			await new Promise((resolve) => child.on('close', resolve));
		}
	});
});

// WebSocket benchmarks. Servers, and the clients, run in separate processes on loopback.
// 1. Ingestion of 100-event frames: WebSocketInput → Hub → no-op output against a bare `ws` server that
//    parses each frame and counts its events (JSON.parse for JSON frames; polku's codec for protobuf frames,
//    the only decoder there is), and against the bare server plus polku's decoding and an ack with the ids.
//    Clients keep WINDOW frames in flight per connection. Rounds alternate; the best round of each counts.
// 2. 10 000 idle connections: RSS of the server process before and after (after a GC), per connection,
//    for WebSocketInput (with its hub) and for a bare `ws` server.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeIngestBatch } from '../../src/adapters/grpc/index.js';
import { createMessage, toJsonEvent } from '../../src/index.js';
import { fmt, ratio, table } from './report.js';

const here = fileURLToPath(new URL('./websocket/', import.meta.url));
const EVENTS = 100;
const CONNECTIONS = Number(process.env['BENCH_WS_CONNECTIONS'] ?? 8);
const WINDOW = Number(process.env['BENCH_WS_WINDOW'] ?? 8);
const WARMUP_MS = Number(process.env['BENCH_WS_WARMUP_MS'] ?? 1500);
const MEASURE_MS = Number(process.env['BENCH_WS_MEASURE_MS'] ?? 4000);
const ROUNDS = Number(process.env['BENCH_WS_ROUNDS'] ?? 2);
const IDLE = Number(process.env['BENCH_WS_IDLE'] ?? 10_000);
/** BENCH_WS_ONLY=ingest or idle runs one part. */
const ONLY = process.env['BENCH_WS_ONLY'];

type Mode = 'polku' | 'bare' | 'bare-decode';

function server(mode: Mode): Promise<{ child: ChildProcess; port: number }> {
	const child = fork(`${here}server.ts`, [mode], { execArgv: ['--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
	return new Promise((resolve, reject) => {
		child.once('message', (m: { port: number }) => resolve({ child, port: m.port }));
		child.once('exit', (code) => reject(new Error(`server (${mode}) exited with ${code}`)));
	});
}

async function stopServer(child: ChildProcess): Promise<void> {
	const exited = new Promise((resolve) => child.once('exit', resolve));
	child.send('stop');
	await exited;
}

function ask<T>(child: ChildProcess, what: string): Promise<T> {
	return new Promise((resolve) => {
		child.once('message', (m: T) => resolve(m));
		child.send(what);
	});
}

function load(port: number, frameFile: string, binary: boolean): Promise<{ frames: number; bad: number; seconds: number }> {
	return new Promise((resolve, reject) => {
		const args = ['load', port, CONNECTIONS, WINDOW, WARMUP_MS, MEASURE_MS, frameFile, binary ? 1 : 0].map(String);
		const child = spawn(process.execPath, ['--import', 'tsx', `${here}client.ts`, ...args]);
		let out = '';
		let err = '';
		child.stdout.on('data', (c: Buffer) => (out += c));
		child.stderr.on('data', (c: Buffer) => (err += c));
		child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load generator failed: ${err}`))));
	});
}

async function throughput(mode: Mode, frameFile: string, binary: boolean): Promise<number> {
	const { child, port } = await server(mode);
	try {
		const r = await load(port, frameFile, binary);
		if (r.bad > 0) throw new Error(`${mode}: ${r.bad} frames acked with errors`);
		return r.frames / r.seconds;
	} finally {
		await stopServer(child);
	}
}

async function idle(mode: Mode): Promise<{ before: number; after: number; connections: number }> {
	const { child, port } = await server(mode);
	try {
		const before = await ask<{ rss: number }>(child, 'rss');
		const clients = fork(`${here}client.ts`, ['idle', String(port), String(IDLE)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
		await new Promise<void>((resolve, reject) => {
			clients.once('message', () => resolve());
			clients.once('exit', (code) => reject(new Error(`idle clients exited with ${code}`)));
		});
		await new Promise((r) => setTimeout(r, 500));
		const after = await ask<{ rss: number; connections: number }>(child, 'rss');
		const exited = new Promise((resolve) => clients.once('exit', resolve));
		clients.send('stop');
		await exited;
		return { before: before.rss, after: after.rss, connections: after.connections };
	} finally {
		await stopServer(child);
	}
}

function frames(dir: string): { json: string; protobuf: string } {
	const payload = Buffer.from(JSON.stringify({ host: 'agent-7', cpu: 0.42, mem: 1234567, disk: '/var' }));
	const messages = Array.from({ length: EVENTS }, (_, i) =>
		createMessage({ source: 'agent-7', messageType: 'metrics.host', payload, metadata: { region: 'eu-north-1', seq: String(i) }, timestamp: 1764216000123456789n + BigInt(i) }),
	);
	const json = join(dir, 'frame.json');
	const protobuf = join(dir, 'frame.pb');
	// Events without ids, as agents send them (polku assigns them).
	writeFileSync(json, `[${messages.map((m) => toJsonEvent(m).replace(/^\{"id":"[^"]+",/, '{')).join(',')}]`);
	writeFileSync(protobuf, encodeIngestBatch(messages.map((m) => ({ ...m, id: '' })), { source: 'agent-7', cluster: '' }));
	return { json, protobuf };
}

export async function run(): Promise<void> {
	const dir = mkdtempSync(join(tmpdir(), 'polku-bench-ws-'));
	try {
		if (ONLY !== 'idle') await ingestion(dir);
		if (ONLY !== 'ingest') await idleConnections();
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

async function ingestion(dir: string): Promise<void> {
	const f = frames(dir);
	console.log(
		`\n## WebSocket ingestion (${EVENTS}-event frames, ${CONNECTIONS} connections × ${WINDOW} frames in flight, clients and servers in separate processes; best of ${ROUNDS} × ${MEASURE_MS / 1000} s)\n`,
	);
	const best = { bare: 0, decode: 0, polku: 0, pbBare: 0, pbPolku: 0 };
	for (let round = 0; round < ROUNDS; round++) {
		best.bare = Math.max(best.bare, await throughput('bare', f.json, false));
		best.decode = Math.max(best.decode, await throughput('bare-decode', f.json, false));
		best.polku = Math.max(best.polku, await throughput('polku', f.json, false));
		best.pbBare = Math.max(best.pbBare, await throughput('bare', f.protobuf, true));
		best.pbPolku = Math.max(best.pbPolku, await throughput('polku', f.protobuf, true));
	}
	table(
		['server', 'frames/s', 'events/s', 'vs bare'],
		[
			['JSON frames: bare ws + JSON.parse + count (baseline)', fmt(best.bare), fmt(best.bare * EVENTS), '1.00x'],
			['JSON frames: bare ws + polku decoding + ack with ids, no hub', fmt(best.decode), fmt(best.decode * EVENTS), ratio(best.decode, best.bare)],
			['JSON frames: WebSocketInput → Hub → no-op output', fmt(best.polku), fmt(best.polku * EVENTS), ratio(best.polku, best.bare)],
			['protobuf frames: bare ws + polku codec + count (baseline)', fmt(best.pbBare), fmt(best.pbBare * EVENTS), '1.00x'],
			['protobuf frames: WebSocketInput → Hub → no-op output', fmt(best.pbPolku), fmt(best.pbPolku * EVENTS), ratio(best.pbPolku, best.pbBare)],
		],
	);
	console.log(`\nTarget: WebSocketInput ≥ 0.70x of the bare server (JSON ${ratio(best.polku, best.bare)}, protobuf ${ratio(best.pbPolku, best.pbBare)}).`);
	console.log(`For JSON, polku turns every event into a message (validation, ids, exact timestamps, base64 payloads) where the`);
	console.log(`bare server only parses; WebSocketInput ÷ the decoding row (${ratio(best.polku, best.decode)}) is what the input and hub add.`);
}

async function idleConnections(): Promise<void> {
	console.log(`\n## ${fmt(IDLE)} idle WebSocket connections (server RSS after a GC; the clients run in another process)\n`);
	const rows: string[][] = [];
	for (const mode of ['bare', 'polku'] as const) {
		const r = await idle(mode);
		if (r.connections !== IDLE) throw new Error(`${mode}: ${r.connections} of ${IDLE} connections open`);
		rows.push([
			mode === 'bare' ? 'bare ws server' : 'WebSocketInput (with its hub)',
			`${(r.before / 2 ** 20).toFixed(1)} MB`,
			`${(r.after / 2 ** 20).toFixed(1)} MB`,
			`${fmt((r.after - r.before) / IDLE)} B`,
		]);
	}
	table(['server', 'RSS before', `RSS with ${fmt(IDLE)}`, 'per connection'], rows);
}

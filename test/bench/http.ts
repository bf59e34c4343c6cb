// HTTP ingestion benchmark: HttpInput → Hub → no-op output vs a bare node:http server that reads the
// body and JSON.parses it, in the same run. The load comes from a separate process (keep-alive, N
// concurrent connections, each posting 100-event JSON bodies back to back).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpInput } from '../../src/adapters/http/index.js';
import { Hub, parseJsonEvents, type Message, type Output } from '../../src/index.js';
import { fmt, ratio, table } from './report.js';

const EVENTS = 100;
const CONNECTIONS = Number(process.env['BENCH_HTTP_CONNECTIONS'] ?? 16);
const WARMUP_MS = Number(process.env['BENCH_HTTP_WARMUP_MS'] ?? 1500);
const MEASURE_MS = Number(process.env['BENCH_HTTP_MEASURE_MS'] ?? 4000);
const ROUNDS = Number(process.env['BENCH_HTTP_ROUNDS'] ?? 2);

/** The load generator (CommonJS, run with `node -e`): prints { requests, bad, seconds }. */
const LOAD = `
const http = require('node:http');
const fs = require('node:fs');
const [port, conns, warmupMs, measureMs, bodyFile] = process.argv.slice(1);
const body = fs.readFileSync(bodyFile);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(conns) });
let running = true, counting = false, requests = 0, bad = 0, started = 0;
const one = () => {
	const req = http.request({ host: '127.0.0.1', port: Number(port), method: 'POST', path: '/events', agent,
		headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
		res.resume();
		res.on('end', () => {
			if (counting) { if (res.statusCode === 202) requests++; else bad++; }
			if (running) one();
		});
	});
	req.on('error', (e) => { console.error(e.message); process.exit(1); });
	req.end(body);
};
for (let i = 0; i < Number(conns); i++) one();
setTimeout(() => {
	counting = true; started = performance.now();
	setTimeout(() => {
		counting = false; running = false;
		const seconds = (performance.now() - started) / 1000;
		process.stdout.write(JSON.stringify({ requests, bad, seconds }));
		agent.destroy();
		process.exit(0);
	}, Number(measureMs));
}, Number(warmupMs));
`;

function body(numericTimestamps: boolean): string {
	const payload = Buffer.from(JSON.stringify({ user: 12345, action: 'page_view', path: '/products/42', ua: 'Mozilla/5.0 (X11; Linux x86_64)' })).toString('base64');
	const ts = 1764216000123456789n;
	const events = Array.from({ length: EVENTS }, (_, i) => {
		const stamp = (ts + BigInt(i)).toString();
		return `{"source":"web","event_type":"page.view","timestamp_unix_ns":${numericTimestamps ? stamp : `"${stamp}"`},"metadata":{"host":"web-7","region":"eu-north-1"},"payload":"${payload}"}`;
	});
	return `[${events.join(',')}]`;
}

function load(port: number, bodyFile: string): Promise<{ requests: number; bad: number; seconds: number }> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, ['-e', LOAD, String(port), String(CONNECTIONS), String(WARMUP_MS), String(MEASURE_MS), bodyFile]);
		let out = '';
		let err = '';
		child.stdout.on('data', (c: Buffer) => (out += c));
		child.stderr.on('data', (c: Buffer) => (err += c));
		child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load generator failed: ${err}`))));
	});
}

/** The baseline: read the body, JSON.parse it, answer 202. */
async function bare(bodyFile: string): Promise<number> {
	const server: Server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const events = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown[];
			const reply = `{"accepted":${events.length}}`;
			res.writeHead(202, { 'content-type': 'application/json', 'content-length': reply.length }).end(reply);
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	try {
		const r = await load((server.address() as AddressInfo).port, bodyFile);
		if (r.bad > 0) throw new Error(`bare server: ${r.bad} failed requests`);
		return r.requests / r.seconds;
	} finally {
		server.closeAllConnections();
		server.close();
	}
}

/** The bare server plus polku's JSON event decoding (validation, ids, payloads): what is left is the pipeline's cost. */
async function bareDecode(bodyFile: string): Promise<number> {
	const server: Server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const messages = parseJsonEvents(Buffer.concat(chunks), 'json', { source: 'bench' });
			const reply = JSON.stringify({ accepted: messages.length, filtered: 0, ids: messages.map((m) => m.id), errors: [] });
			res.writeHead(202, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(reply) }).end(reply);
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	try {
		const r = await load((server.address() as AddressInfo).port, bodyFile);
		if (r.bad > 0) throw new Error(`bare decode server: ${r.bad} failed requests`);
		return r.requests / r.seconds;
	} finally {
		server.closeAllConnections();
		server.close();
	}
}

class NoopOutput implements Output {
	readonly name = 'noop';
	count = 0;
	async send(batch: readonly Message[]): Promise<void> {
		this.count += batch.length;
	}
}

async function polku(bodyFile: string): Promise<number> {
	const input = new HttpInput({ address: '127.0.0.1:0' });
	const out = new NoopOutput();
	const hub = Hub.builder().bufferCapacity(100_000).batchSize(1000).flushInterval(5).input(input).output(out).build();
	await hub.start();
	try {
		const r = await load((await input.ready).port, bodyFile);
		if (r.bad > 0) throw new Error(`HttpInput: ${r.bad} requests not answered 202`);
		return r.requests / r.seconds;
	} finally {
		await hub.stop();
		if (out.count === 0) throw new Error('nothing reached the output');
	}
}

export async function run(): Promise<void> {
	const dir = mkdtempSync(join(tmpdir(), 'polku-bench-http-'));
	try {
		const stringBody = join(dir, 'string-ts.json');
		const numericBody = join(dir, 'numeric-ts.json');
		writeFileSync(stringBody, body(false));
		writeFileSync(numericBody, body(true));
		console.log(
			`\n## HTTP ingestion (${EVENTS}-event JSON bodies of ${fmt(body(false).length)} bytes, ${CONNECTIONS} keep-alive connections from another process, best of ${ROUNDS} × ${MEASURE_MS / 1000} s)\n`,
		);
		const best = { bare: 0, decode: 0, polku: 0, numeric: 0 };
		for (let round = 0; round < ROUNDS; round++) {
			best.bare = Math.max(best.bare, await bare(stringBody));
			best.decode = Math.max(best.decode, await bareDecode(stringBody));
			best.polku = Math.max(best.polku, await polku(stringBody));
			best.numeric = Math.max(best.numeric, await polku(numericBody));
		}
		table(
			['server', 'requests/s', 'events/s', 'vs bare'],
			[
				['bare node:http + JSON.parse (baseline)', fmt(best.bare), fmt(best.bare * EVENTS), '1.00x'],
				['bare node:http + polku JSON event decoding, no hub', fmt(best.decode), fmt(best.decode * EVENTS), ratio(best.decode, best.bare)],
				['HttpInput → Hub → no-op output', fmt(best.polku), fmt(best.polku * EVENTS), ratio(best.polku, best.bare)],
				['  same, int64 timestamps as JSON numbers', fmt(best.numeric), fmt(best.numeric * EVENTS), ratio(best.numeric, best.bare)],
			],
		);
		console.log(`\nTarget: HttpInput ≥ 0.80x of the bare server (got ${ratio(best.polku, best.bare)}). The bare server validates nothing and creates no`);
		console.log(`messages; the second row adds only polku's per-event decoding (validation, ids, timestamps, base64 payloads) and the`);
		console.log(`reply with ids, so HttpInput ÷ that row (${ratio(best.polku, best.decode)}) is what the pipeline itself costs.`);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

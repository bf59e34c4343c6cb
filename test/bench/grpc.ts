// gRPC benchmark: polku's GrpcInput (through a Hub, no middleware, counting no-op
// output) against a bare grpc-js server that only decodes with the same codec,
// counts and acks. Servers and the load generator run in separate processes on
// loopback; rounds alternate bare / polku and the best round of each counts, so a
// burst of load from elsewhere on the machine does not decide the ratio.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Job, JobResult } from './grpc/client.ts';
import { fmt, ratio, table } from './report.js';

const here = fileURLToPath(new URL('./grpc/', import.meta.url));
const WARMUP_MS = Number(process.env['BENCH_GRPC_WARMUP_MS'] ?? 400);
const MEASURE_MS = Number(process.env['BENCH_GRPC_MEASURE_MS'] ?? 1500);
const ROUNDS = Number(process.env['BENCH_GRPC_ROUNDS'] ?? 3);
const WINDOW = 4 << 20;

type Mode = 'polku' | 'bare';

interface Scenario {
	readonly label: string;
	readonly kind: 'stream' | 'unary';
	readonly size: number;
	readonly parallel: number;
	readonly window: number;
}

const ALL_SCENARIOS: readonly Scenario[] = [
	{ label: 'StreamEvents, batches of 100 (32 in flight)', kind: 'stream', size: 100, parallel: 32, window: WINDOW },
	{ label: 'StreamEvents, batches of 1000 (8 in flight)', kind: 'stream', size: 1000, parallel: 8, window: WINDOW },
	{ label: 'StreamEvents, batches of 1000, 64 KiB HTTP/2 window', kind: 'stream', size: 1000, parallel: 8, window: 65_535 },
	{ label: 'SendEvent (unary), concurrency 64', kind: 'unary', size: 1, parallel: 64, window: WINDOW },
];
/** BENCH_GRPC_ONLY=<text> runs only the scenarios whose label contains it. */
const SCENARIOS = ALL_SCENARIOS.filter((s) => s.label.includes(process.env['BENCH_GRPC_ONLY'] ?? ''));

function child(script: string, args: readonly (string | number)[]): ChildProcess {
	return fork(`${here}${script}`, args.map(String), { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

async function reply<T>(proc: ChildProcess): Promise<T> {
	const controller = new AbortController();
	const { signal } = controller;
	const exited = once(proc, 'exit', { signal }).then(([code]) => Promise.reject(new Error(`bench child exited with ${String(code)}`)));
	exited.catch(() => {});
	try {
		const [message] = (await Promise.race([once(proc, 'message', { signal }), exited])) as [T];
		return message;
	} finally {
		controller.abort();
	}
}

interface ServerProc {
	readonly proc: ChildProcess;
	readonly port: number;
}

async function startServer(mode: Mode, window: number): Promise<ServerProc> {
	const proc = child('server.ts', [mode, window]);
	const { port } = await reply<{ port: number }>(proc);
	return { proc, port };
}

/** The server process's CPU time so far, in µs (user + system). */
async function cpuOf(server: ServerProc): Promise<number> {
	server.proc.send('cpu');
	const { cpu } = await reply<{ cpu: NodeJS.CpuUsage }>(server.proc);
	return cpu.user + cpu.system;
}

async function stopServer(server: ServerProc): Promise<number> {
	server.proc.send('stop');
	const { events } = await reply<{ events: number }>(server.proc);
	return events;
}

export async function run(): Promise<void> {
	console.log('\n## gRPC: GrpcInput → Hub → counting output vs a bare grpc-js server (same codec, decode + count + ack)');
	console.log(
		`server and load generator in separate processes on loopback; 256-byte payloads; best of ${ROUNDS} alternating rounds of ${MEASURE_MS} ms after ${WARMUP_MS} ms warm-up\n`,
	);
	const windows = [...new Set(SCENARIOS.map((s) => s.window))];
	const servers = new Map<string, ServerProc>();
	const client = child('client.ts', []);
	const best = new Map<string, number>();
	const cpu = new Map<string, { micros: number; events: number }>();
	const acked = new Map<Mode, number>([['polku', 0], ['bare', 0]]);
	try {
		for (const window of windows) for (const mode of ['bare', 'polku'] as const) servers.set(`${mode}/${window}`, await startServer(mode, window));
		for (let round = 0; round < ROUNDS; round++) {
			for (const s of SCENARIOS) {
				const order: Mode[] = round % 2 === 0 ? ['bare', 'polku'] : ['polku', 'bare'];
				for (const mode of order) {
					const server = servers.get(`${mode}/${s.window}`)!;
					const job: Job = { kind: s.kind, port: server.port, size: s.size, parallel: s.parallel, warmupMs: WARMUP_MS, measureMs: MEASURE_MS };
					const before = await cpuOf(server);
					client.send(job);
					const result = await reply<JobResult>(client);
					const after = await cpuOf(server);
					const key = `${s.label}/${mode}`;
					best.set(key, Math.max(best.get(key) ?? 0, result.events / result.seconds));
					const c = cpu.get(key) ?? { micros: 0, events: 0 };
					cpu.set(key, { micros: c.micros + after - before, events: c.events + result.total });
					acked.set(mode, acked.get(mode)! + result.total);
				}
			}
		}
	} finally {
		client.disconnect();
		let polkuCounted = 0;
		for (const [key, server] of servers) {
			const events = await stopServer(server);
			if (key.startsWith('polku/')) polkuCounted += events;
		}
		// Every event polku acked must have reached its output (counted after hub.stop() drained).
		if (polkuCounted < acked.get('polku')!) throw new Error(`polku acked ${acked.get('polku')} events but its output counted only ${polkuCounted}`);
	}
	const cpuPerEvent = (key: string): number => cpu.get(key)!.micros / cpu.get(key)!.events;
	const rows = SCENARIOS.map((s) => {
		const polku = best.get(`${s.label}/polku`)!;
		const bare = best.get(`${s.label}/bare`)!;
		const polkuCpu = cpuPerEvent(`${s.label}/polku`);
		const bareCpu = cpuPerEvent(`${s.label}/bare`);
		return [s.label, fmt(polku), fmt(bare), ratio(polku, bare), polkuCpu.toFixed(2), bareCpu.toFixed(2), ratio(bareCpu, polkuCpu)];
	});
	table(['scenario', 'polku events/s', 'bare events/s', 'polku / bare', 'polku server CPU µs/event', 'bare server CPU µs/event', 'bare / polku CPU'], rows);
	console.log('\nTarget: polku / bare >= 0.80x (throughput is the best round; CPU per event is over every round, warm-up included).');
	console.log('The GrpcInput default HTTP/2 window is 4 MiB (flowControlWindow); grpc-js servers otherwise keep the 64 KiB default.');
}

if (import.meta.url === `file://${process.argv[1]}`) await run();

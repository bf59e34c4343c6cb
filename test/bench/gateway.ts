// Idle memory of the polku-gateway command: RSS (VmRSS) of the gateway process a few seconds after
// start, against a bare `node -e "setInterval(() => {}, 1000)"` measured in the same run.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { table } from './report.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The built command (override with BENCH_GATEWAY_CLI=/path/to/dist/gateway/cli.js). */
const DIST_CLI = process.env['BENCH_GATEWAY_CLI'] ?? `${ROOT}dist/gateway/cli.js`;
const IDLE_MS = Number(process.env['BENCH_GATEWAY_IDLE_MS'] ?? 3000);
const TARGET_MB = 70;

function rssMb(pid: number): number {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
	return kb / 1024;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function stop(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null) return;
	const exited = new Promise((resolve) => child.once('exit', resolve));
	child.kill('SIGTERM');
	await exited;
}

/** Starts the gateway, waits for its "started" log line, idles, reads its RSS. */
async function gatewayRss(args: readonly string[], env: Record<string, string>): Promise<number> {
	const child = spawn(process.execPath, [...args], {
		cwd: ROOT,
		env: { PATH: process.env['PATH'] ?? '', POLKU_HTTP_ADDR: '127.0.0.1:0', POLKU_METRICS_ADDR: '127.0.0.1:0', POLKU_GRPC_ADDR: '127.0.0.1:0', ...env },
		stdio: ['ignore', 'ignore', 'pipe'],
	});
	try {
		await new Promise<void>((resolve, reject) => {
			createInterface({ input: child.stderr! }).on('line', (line) => {
				if (line.includes('"polku-gateway started"')) resolve();
			});
			child.once('exit', (code) => reject(new Error(`gateway exited with ${code} before starting`)));
		});
		await sleep(IDLE_MS);
		return rssMb(child.pid!);
	} finally {
		await stop(child);
	}
}

async function bareRss(): Promise<number> {
	const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
	try {
		await sleep(IDLE_MS);
		return rssMb(child.pid!);
	} finally {
		await stop(child);
	}
}

export async function run(): Promise<void> {
	const built = existsSync(DIST_CLI);
	const args = built ? [DIST_CLI] : ['--import', 'tsx', 'src/gateway/cli.ts'];
	const how = built ? `from ${DIST_CLI.replace(ROOT, '')}` : 'from source via tsx (no dist/ build; tsx adds its loader to the RSS)';
	console.log(`\n## polku-gateway idle memory (${how}; RSS after ${IDLE_MS / 1000} s idle)\n`);
	const bare = await bareRss();
	const full = await gatewayRss(args, {});
	const noGrpc = await gatewayRss(args, { POLKU_GRPC_ADDR: 'off' });
	const mb = (n: number): string => `${n.toFixed(1)} MB`;
	table(
		['process', 'RSS', 'over bare node'],
		[
			['bare node -e "setInterval(()=>{},1000)"', mb(bare), '—'],
			['polku-gateway: gRPC + HTTP inputs, metrics, stdout output', mb(full), mb(full - bare)],
			['polku-gateway: POLKU_GRPC_ADDR=off (gRPC never loaded)', mb(noGrpc), mb(noGrpc - bare)],
		],
	);
	console.log(`\nTarget: ≤ ${TARGET_MB} MB idle (${full <= TARGET_MB ? 'met' : 'NOT met'}).`);
}

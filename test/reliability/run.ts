// npm run reliability [-- area ...]: the long reliability suite (about 10 minutes; not run in CI, where
// test/reliability/reliability.test.ts runs a small seeded version of each part). Prints its figures; exits 1
// on any finding. Areas: conservation (10^6 messages under chaos per overflow policy), http-fuzz and grpc-fuzz
// (10 000 cases each, good requests interleaved), soak (5 minutes, heap sampled after GC).
// Environment: POLKU_RELIABILITY_SEED (default 20260401), POLKU_CHAOS_MESSAGES, POLKU_FUZZ_CASES, POLKU_SOAK_MS.
import { chaos, describeChaos } from './chaos.ts';
import { grpcFuzz } from './grpc-fuzz.ts';
import { describeFuzz, httpFuzz } from './http-fuzz.ts';
import { describeSoak, soak } from './soak.ts';

const seed = Number(process.env['POLKU_RELIABILITY_SEED'] ?? 20260401);
const messages = Number(process.env['POLKU_CHAOS_MESSAGES'] ?? 1_000_000);
const cases = Number(process.env['POLKU_FUZZ_CASES'] ?? 10_000);
const soakMs = Number(process.env['POLKU_SOAK_MS'] ?? 5 * 60_000);

const areas: Record<string, () => Promise<string[][]>> = {
	conservation: async () => {
		const out: string[][] = [];
		for (const overflow of ['block', 'drop-newest', 'drop-oldest'] as const) {
			const r = await chaos({ messages, overflow, seed, progress: (line) => console.log(line) });
			console.log(describeChaos(r).join('\n'));
			out.push([...r.errors]);
		}
		return out;
	},
	'http-fuzz': async () => {
		const r = await httpFuzz({ cases, seed });
		console.log(describeFuzz('HTTP', r).join('\n'));
		return [[...r.errors]];
	},
	'grpc-fuzz': async () => {
		const r = await grpcFuzz({ cases, seed });
		console.log(describeFuzz('gRPC', r).join('\n'));
		return [[...r.errors]];
	},
	soak: async () => {
		const r = await soak({
			durationMs: soakMs,
			sampleMs: Math.max(250, Math.floor(soakMs / 60)),
			seed,
			onSample: (mib, ms) => process.stdout.write(`  heap after GC at ${(ms / 1000).toFixed(0)} s: ${mib.toFixed(1)} MiB\n`),
		});
		console.log(describeSoak(r).join('\n'));
		return [[...r.errors]];
	},
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !(w in areas));
if (unknown.length > 0) {
	console.error(`unknown area(s): ${unknown.join(', ')}; available: ${Object.keys(areas).join(', ')}`);
	process.exit(2);
}
console.log(`polku reliability suite on node ${process.version}, seed ${seed}, ${new Date().toISOString()}`);
const started = performance.now();
let findings = 0;
for (const area of wanted.length > 0 ? wanted : Object.keys(areas)) {
	const t = performance.now();
	const results = await areas[area]!();
	findings += results.reduce((n, errors) => n + errors.length, 0);
	console.log(`[${area}: ${((performance.now() - t) / 1000).toFixed(0)} s]`);
}
console.log(`reliability suite: ${findings === 0 ? 'PASS' : `FAIL (${findings} findings)`} in ${((performance.now() - started) / 60_000).toFixed(1)} min`);
process.exit(findings === 0 ? 0 : 1);

// npm run bench [-- area ...]: runs the benchmarks of the named areas (default: all), in one process run.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(here)
	.filter((f) => f.endsWith('.ts') && !['run.ts', 'report.ts'].includes(f))
	.map((f) => f.slice(0, -3))
	.sort((a, b) => (a === 'core' ? -1 : b === 'core' ? 1 : a.localeCompare(b)));
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length > 0) {
	console.error(`unknown bench area(s): ${unknown.join(', ')}; available: ${available.join(', ')}`);
	process.exit(2);
}
await import('./report.ts'); // prints the Node version first
for (const area of wanted.length > 0 ? wanted : available) {
	const mod = (await import(`./${area}.ts`)) as { run: () => Promise<void> };
	await mod.run();
}

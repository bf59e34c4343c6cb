// Shared formatting for the benchmarks. Every benchmark imports this module, so however one is run (npm run
// bench, or a single file) its output starts with the Node version and machine it ran on, printed once.
import { cpus } from 'node:os';

/** The runtime a figure was measured on. */
export const ENVIRONMENT = `node ${process.version} (V8 ${process.versions.v8}), ${process.platform}-${process.arch}, ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'})`;
console.log(`polku benchmarks on ${ENVIRONMENT}, ${new Date().toISOString()}`);

export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

export const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;

/** Prints a markdown table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): void {
	const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
	const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
	console.log(line(header));
	console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
	for (const r of rows) console.log(line(r));
}

/** Memory usage after a full GC (needs --expose-gc). */
export function heapAfterGc(): NodeJS.MemoryUsage {
	const gc = (globalThis as { gc?: () => void }).gc;
	if (gc === undefined) throw new Error('run with --expose-gc');
	gc();
	gc();
	return process.memoryUsage();
}

// The source's shape: no import cycles, and adapters built only on the public API (so an adapter written
// outside this package can do everything polku's own adapters do).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../src/', import.meta.url));

function files(dir: string): string[] {
	return readdirSync(dir).flatMap((name) => {
		const path = join(dir, name);
		return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
	});
}

/** Relative imports (`import` and `import type`, `export … from`) of a file, resolved to source paths. */
function importsOf(file: string): string[] {
	const text = readFileSync(file, 'utf8');
	const specifiers = [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms)].map((m) => m[1]!);
	return specifiers.map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
}

const all = files(src);
const graph = new Map(all.map((f) => [f, importsOf(f)]));

describe('source structure', () => {
	it('has no import cycles (type-only imports included)', () => {
		const cycles: string[] = [];
		const state = new Map<string, 'open' | 'done'>();
		const stack: string[] = [];
		const visit = (file: string): void => {
			state.set(file, 'open');
			stack.push(file);
			for (const next of graph.get(file) ?? []) {
				if (!graph.has(next)) continue;
				if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].map((f) => relative(src, f)).join(' → '));
				else if (state.get(next) === undefined) visit(next);
			}
			stack.pop();
			state.set(file, 'done');
		};
		for (const file of all) if (state.get(file) === undefined) visit(file);
		assert.deepEqual(cycles, []);
	});

	it('adapters reach the core only through the public entry point (src/index.ts)', () => {
		const adapters = join(src, 'adapters');
		const index = join(src, 'index.ts');
		const internal: string[] = [];
		for (const file of all.filter((f) => f.startsWith(adapters))) {
			for (const target of graph.get(file)!) {
				if (target.startsWith(adapters) || target === index) continue;
				internal.push(`${relative(src, file)} imports ${relative(src, target)}`);
			}
		}
		assert.deepEqual(internal, []);
	});
});

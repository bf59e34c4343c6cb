// The published package as a user meets it: entry points load, and `import 'polku'` loads nothing but its
// three runtime dependencies (peer dependencies of adapters are never touched by the core).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
	dependencies: Record<string, string>;
	peerDependencies: Record<string, string>;
	exports: Record<string, unknown>;
};

/** The bare packages a fresh process imports while loading `specifiers` (by package name). */
async function packagesImported(specifiers: string[]): Promise<Set<string>> {
	const code = `for (const s of ${JSON.stringify(specifiers)}) await import(s);`;
	const { stderr } = await run(process.execPath, ['--import', './test/support/record-imports.mjs', '--input-type=module', '-e', code], { cwd: root });
	const names = stderr
		.split('\n')
		.filter((l) => l.startsWith('IMPORT '))
		.map((l) => l.slice(7))
		.map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
	return new Set(names.filter((n) => n !== 'polku'));
}

describe('package', () => {
	it('has exactly three runtime dependencies', () => {
		assert.deepEqual(Object.keys(pkg.dependencies).sort(), ['eventemitter3', 'tslib', 'ulid']);
	});

	it("import 'polku' and 'polku/testing' load only those (from dist)", async () => {
		const loaded = await packagesImported(['polku', 'polku/testing']);
		for (const name of loaded) assert.ok(name in pkg.dependencies, `core loaded ${name}`);
		assert.ok(loaded.has('ulid') && loaded.has('eventemitter3'));
	});

	it('peer dependencies load only through the adapter subpaths that need them', async () => {
		assert.ok((await packagesImported(['polku/grpc'])).has('@grpc/grpc-js'));
		assert.ok(!(await packagesImported(['polku/prometheus', 'polku/http', 'polku/gateway'])).has('@grpc/grpc-js'), 'the gateway loads gRPC only when it is used');
		for (const peer of Object.keys(pkg.peerDependencies)) assert.ok(!(await packagesImported(['polku'])).has(peer), peer);
	});

	it('every subpath export resolves and loads', async () => {
		const subpaths = Object.keys(pkg.exports).filter((s) => s !== './package.json');
		const { stdout } = await run(
			process.execPath,
			['--input-type=module', '-e', `for (const s of ${JSON.stringify(subpaths.map((s) => `polku${s.slice(1)}`))}) console.log(s, Object.keys(await import(s)).length);`],
			{ cwd: root },
		);
		for (const s of subpaths) assert.match(stdout, new RegExp(`^polku${s.slice(1).replace('/', '\\/')} [1-9]`, 'm'));
	});
});

// The published declaration files as a user meets them: the packed package installed into an empty project
// whose tsconfig is what `tsc --init` writes (skipLibCheck turned off, so polku's .d.ts files are checked),
// type-checked by TypeScript 5.9 and by TypeScript 7 (devDependency alias `typescript7`). Since TS 5.9 `tsc --init`
// writes `"types": []`, so neither compiler loads @types/node unless a declaration asks for it.
//
// Every subpath in package.json "exports" is checked (adapters added later are covered without editing this
// file), in three projects that grow one step at a time:
//   1. polku alone: no peer dependency, no @types/node. Every subpath must type-check here unless it is listed in
//      TYPE_REQUIREMENTS below (and the README says so).
//   2. + @types/node: the subpaths that need only Node's types.
//   3. + @types/node and every peer dependency: all subpaths, plus a file that passes real peer objects to
//      polku's structural types (they must fit).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

interface PackageJson {
	readonly exports: Record<string, unknown>;
	readonly peerDependencies?: Record<string, string>;
}
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;

/**
 * What a subpath's published types need besides polku, each for a reason a user can see: polku/grpc's options
 * take @grpc/grpc-js's own types (ServerCredentials, a grpc Server) and polku/http's take node:http's (your own
 * http.Server, the request handler). Both declare `/// <reference types="node" />`, so @types/node installed is
 * enough (no `types` entry needed). Everything else must type-check with nothing but polku installed.
 */
const TYPE_REQUIREMENTS: Readonly<Record<string, readonly string[]>> = {
	'./grpc': ['@types/node', '@grpc/grpc-js'],
	'./http': ['@types/node'],
	// Server-side adapters whose options and clients take Node types (http.Server, Buffer).
	'./websocket': ['@types/node'],
	'./otlp': ['@types/node'],
	'./redis': ['@types/node'],
	'./s3': ['@types/node'],
};

const subpaths = Object.entries(pkg.exports)
	.filter(([, target]) => typeof target === 'object' && target !== null && 'types' in target)
	.map(([subpath]) => subpath);
const specifier = (subpath: string): string => (subpath === '.' ? 'polku' : `polku${subpath.slice(1)}`);
const needs = (subpath: string): readonly string[] => TYPE_REQUIREMENTS[subpath] ?? [];

/** The two compilers, by the `tsc` bin their package.json declares. */
const compilers = ['typescript', 'typescript7'].map((name) => {
	const manifest = require.resolve(`${name}/package.json`);
	const { version, bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string; bin: Record<string, string> };
	return { name: `TypeScript ${version}`, tsc: join(dirname(manifest), bin['tsc']!) };
});

describe('published types in a fresh project (tsc --init, skipLibCheck: false)', () => {
	let project: string;

	before(async () => {
		project = mkdtempSync(join(tmpdir(), 'polku-types-'));
		const { stdout } = await exec('npm', ['pack', '--silent', '--pack-destination', project], { cwd: root, maxBuffer: 1 << 24 });
		const tarball = join(project, stdout.trim().split('\n').at(-1)!);
		writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'a-user', version: '1.0.0', private: true, type: 'module' }));
		await exec('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', tarball], { cwd: project });
		for (const { name, tsc } of compilers) {
			const dir = join(project, name.replaceAll(' ', '-'));
			mkdirSync(dir);
			await exec(process.execPath, [tsc, '--init'], { cwd: dir });
			const config = readFileSync(join(dir, 'tsconfig.json'), 'utf8');
			assert.match(config, /"skipLibCheck": true/, `${name} --init no longer writes skipLibCheck`);
			writeFileSync(join(dir, 'tsconfig.json'), config.replace('"skipLibCheck": true', '"skipLibCheck": false'));
		}
	});

	after(() => rmSync(project, { recursive: true, force: true }));

	/** Type-checks `source` (a .ts file in the project) with both compilers at once; returns the errors per compiler. */
	async function check(file: string, source: string): Promise<string[]> {
		writeFileSync(join(project, file), source);
		const results = await Promise.all(
			compilers.map(async ({ name, tsc }) => {
				const dir = name.replaceAll(' ', '-');
				const config = join(project, `tsconfig.${file}.${dir}.json`);
				writeFileSync(config, JSON.stringify({ extends: `./${dir}/tsconfig.json`, compilerOptions: { noEmit: true }, files: [`./${file}`] }));
				try {
					await exec(process.execPath, [tsc, '-p', config], { cwd: project, maxBuffer: 1 << 24 });
					return undefined;
				} catch (error) {
					const { stdout, stderr } = error as { stdout?: string; stderr?: string };
					return `${name}:\n${stdout ?? ''}${stderr ?? ''}`;
				}
			}),
		);
		const failures = results.filter((r) => r !== undefined);
		return failures;
	}

	const importing = (paths: readonly string[]): string =>
		paths.map((s, i) => `import * as m${i} from '${specifier(s)}';\n`).join('') + `console.log(${paths.map((_, i) => `m${i}`).join(', ')});\n`;

	/** Makes `names` (packages of this repository's node_modules) resolvable in the project. */
	function provide(names: readonly string[]): void {
		for (const name of names) {
			// The package's folder in node_modules (not every package exports ./package.json).
			const target = join(root, 'node_modules', name);
			mkdirSync(dirname(join(project, 'node_modules', name)), { recursive: true });
			symlinkSync(target, join(project, 'node_modules', name), 'dir');
		}
	}

	it('lists the subpaths to check from package.json', () => {
		assert.ok(subpaths.includes('.') && subpaths.includes('./testing'), subpaths.join());
	});

	it('every subpath without requirements type-checks with polku alone (no peers, no @types/node)', async () => {
		const alone = subpaths.filter((s) => needs(s).length === 0);
		assert.deepEqual(await check('alone.ts', importing(alone)), []);
	});

	it('the subpaths that need only @types/node type-check once it is installed', async () => {
		provide(['@types/node']);
		const nodeOnly = subpaths.filter((s) => needs(s).length > 0 && needs(s).every((n) => n === '@types/node'));
		assert.ok(nodeOnly.length > 0);
		assert.deepEqual(await check('node-only.ts', importing(nodeOnly)), []);
	});

	it('every subpath type-checks with @types/node and every peer dependency installed, and real peer objects fit polku’s structural types', async () => {
		provide(Object.keys(pkg.peerDependencies ?? {}));
		const usage = `import * as client from 'prom-client';
import { Hub } from 'polku';
import { registerMetrics, type PromClientModule, type PromRegistry } from 'polku/prometheus';

const hub = Hub.builder().output({ name: 'o', async send() {} }).build();
const registry: PromRegistry = new client.Registry();
const module: PromClientModule = client;
registerMetrics(hub, registry, { client: module });
registerMetrics(hub, client.register, { client });
`;
		assert.deepEqual(await check('everything.ts', importing(subpaths) + usage), []);
	});
});

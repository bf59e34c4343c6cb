// README.md stays true. Its conventions, for everyone who edits it:
//
// - Every ```ts block is a complete program (imports included; things the reader supplies are `declare const`),
//   type-checked here against the built package, as a user's file importing 'polku' would be, and run here
//   (node + tsx, must exit 0) — unless the line before its fence is `<!-- not run: <reason> -->` (a server that
//   runs until stopped, a host that does not exist), in which case it is only type-checked.
// - A block that is deliberately not a program (an interface's shape, a snippet using names from the block
//   above) says so on its first line: `// fragment: <what it is>`. It is neither checked nor run, and the
//   reader sees that it is a fragment.
// - The table of contents is generated: `npm run readme:toc` after adding or renaming a ## / ### heading.
// - Every POLKU_* variable the gateway knows (its own and every adapter plugin's) has a row in a table.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { codeBlocks, withToc, type CodeBlock } from '../scripts/readme.ts';
import { knownVariables } from '../src/gateway/help.js';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');

const FRAGMENT = /^\s*\/\/ fragment: \S/;
const NOT_RUN = /^not run: \S/;
const tsBlocks = codeBlocks(readme).filter((b) => b.lang === 'ts' || b.lang === 'typescript');
const complete = tsBlocks.filter((b) => !FRAGMENT.test(b.code.split('\n')[0] ?? ''));
const runnable = complete.filter((b) => !NOT_RUN.test(b.note ?? ''));
const where = (b: CodeBlock): string => `README.md:${b.line}`;

describe('README.md', () => {
	it('has a table of contents that matches its headings (npm run readme:toc)', () => {
		assert.ok(withToc(readme) === readme, 'the table of contents is out of date: run `npm run readme:toc`');
	});

	it('marks every TypeScript block that is not a complete program as a fragment, with a reason', () => {
		assert.ok(tsBlocks.length > 20 && complete.length > 10, `${tsBlocks.length} blocks, ${complete.length} complete`);
		for (const b of tsBlocks) {
			const first = b.code.split('\n')[0] ?? '';
			if (/fragment/i.test(first)) assert.match(first, FRAGMENT, `${where(b)}: write a fragment's first line as "// fragment: <what it is>"`);
			if (b.note !== undefined && /not run/i.test(b.note)) assert.match(b.note, NOT_RUN, `${where(b)}: write <!-- not run: <reason> -->`);
		}
	});

	it('lists every POLKU_* variable the gateway knows in a table', () => {
		const rows = readme.split('\n').filter((l) => l.startsWith('|'));
		const missing = knownVariables().filter((name) => !rows.some((row) => row.includes(`\`${name}\``)));
		assert.deepEqual(missing, [], 'variables without a row in the README gateway table');
	});

	describe('complete TypeScript blocks', () => {
		let dir: string;
		const files = new Map<CodeBlock, string>();

		before(() => {
			assert.ok(existsSync(join(root, 'dist/index.d.ts')), 'build first (npm run build): the blocks import the built package');
			// Inside the repository, so `import 'polku'` resolves to this package as it does for a user.
			dir = mkdtempSync(join(root, '.readme-check-'));
			complete.forEach((b, i) => {
				const file = join(dir, `block-${String(i).padStart(2, '0')}-line-${b.line}.ts`);
				writeFileSync(file, b.code);
				files.set(b, file);
			});
		});

		after(() => rmSync(dir, { recursive: true, force: true }));

		it('type-check against the built package (strict, NodeNext)', () => {
			const config = ts.parseJsonConfigFileContent(ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile).config, ts.sys, root);
			const options: ts.CompilerOptions = {
				...config.options,
				noEmit: true,
				declaration: false,
				declarationMap: false,
				sourceMap: false,
				rootDir: root,
				noUnusedLocals: false, // a README example may name a result without using it
				noUnusedParameters: false,
			};
			const program = ts.createProgram([...files.values()], options);
			const blockOf = new Map([...files].map(([b, f]) => [f, b]));
			const problems = ts
				.getPreEmitDiagnostics(program)
				.filter((d) => d.file === undefined || blockOf.has(d.file.fileName))
				.map((d) => {
					const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
					if (d.file === undefined || d.start === undefined) return message;
					const block = blockOf.get(d.file.fileName)!;
					const { line } = d.file.getLineAndCharacterOfPosition(d.start);
					return `README.md:${block.line + 1 + line}: ${message}`;
				});
			assert.deepEqual(problems, []);
		});

		for (const b of runnable) {
			it(`the block at ${where(b)} runs`, async () => {
				const env = { ...process.env };
				delete env['NODE_TEST_CONTEXT']; // a block using node:test reports as it would for a user
				await exec(process.execPath, ['--import', 'tsx', files.get(b)!], { cwd: root, env, timeout: 30_000 });
			});
		}
	});
});

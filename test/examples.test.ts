// Every example in examples/ is run as a user would run it (node + tsx, importing the built package by
// name), so examples cannot rot. An example states what its output must contain in `// expect: <regex>` lines.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const examples = readdirSync(new URL('../examples/', import.meta.url)).filter((f) => f.endsWith('.ts'));

describe('examples', () => {
	it('there are examples to run', () => assert.ok(examples.length > 0));
	for (const file of examples) {
		it(`examples/${file} runs and prints what it promises`, async () => {
			const source = readFileSync(new URL(`../examples/${file}`, import.meta.url), 'utf8');
			const expectations = [...source.matchAll(/^\/\/ expect: (.+)$/gm)].map((m) => new RegExp(m[1]!));
			assert.ok(expectations.length > 0, `${file} has no "// expect:" line`);
			// Not a child of this test runner: an example that uses node:test must report as it does for a user.
			const env = { ...process.env };
			delete env['NODE_TEST_CONTEXT'];
			const { stdout } = await run(process.execPath, ['--import', 'tsx', `examples/${file}`], { cwd: root, env, timeout: 60_000 });
			for (const expected of expectations) assert.match(stdout, expected);
		});
	}
});

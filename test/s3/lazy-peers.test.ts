// `import 'polku/s3'` loads no AWS SDK code (the SDK is imported at the first send), and `polku/otlp` and the
// gateway load neither the SDK nor any OpenTelemetry package (from dist, as a user meets them).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

async function packagesImported(specifiers: string[]): Promise<Set<string>> {
	const code = `for (const s of ${JSON.stringify(specifiers)}) await import(s);`;
	const { stderr } = await run(process.execPath, ['--import', './test/support/record-imports.mjs', '--input-type=module', '-e', code], { cwd: root });
	return new Set(
		stderr
			.split('\n')
			.filter((l) => l.startsWith('IMPORT '))
			.map((l) => l.slice(7))
			.map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!)),
	);
}

describe('polku/s3 and polku/otlp peers', () => {
	it('import polku/s3, polku/otlp and polku/gateway load no AWS SDK and no OpenTelemetry package', async () => {
		const loaded = await packagesImported(['polku/s3', 'polku/otlp', 'polku/gateway']);
		for (const name of loaded) assert.ok(!name.startsWith('@aws-sdk/') && !name.startsWith('@opentelemetry/') && !name.startsWith('@smithy/'), `loaded ${name}`);
	});
});

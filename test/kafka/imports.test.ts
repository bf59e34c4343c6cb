// `import 'polku/kafka'` and `import 'polku/nats'` load no client library (from dist): the adapters are
// typed structurally, and polku/nats imports `headers()` only on the first send.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

describe('polku/kafka and polku/nats imports', () => {
	for (const subpath of ['polku/kafka', 'polku/nats']) {
		it(`import '${subpath}' loads no Kafka or NATS package`, async () => {
			const { stderr, stdout } = await run(
				process.execPath,
				['--import', './test/support/record-imports.mjs', '--input-type=module', '-e', `const m = await import('${subpath}'); console.log(Object.keys(m).length);`],
				{ cwd: root },
			);
			assert.ok(Number(stdout.trim()) > 0);
			const loaded = stderr.split('\n').filter((l) => l.startsWith('IMPORT ')).map((l) => l.slice(7));
			assert.deepEqual(loaded.filter((s) => /kafkajs|confluentinc|@nats-io/.test(s)), []);
		});
	}
});

// polku/amqp and polku/redis take the user's client: importing them (or the gateway, which knows both)
// loads none of amqplib, ioredis and redis (from dist, as a user imports them).
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

describe('polku/amqp and polku/redis peers', () => {
	it('import polku/amqp, polku/redis and polku/gateway without loading amqplib, ioredis or redis', async () => {
		const loaded = await packagesImported(['polku/amqp', 'polku/redis', 'polku/gateway']);
		for (const peer of ['amqplib', 'ioredis', 'redis', '@redis/client']) assert.ok(!loaded.has(peer), `${peer} was loaded`);
	});
});

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const blocker = fileURLToPath(new URL('./block-prom-client.mjs', import.meta.url));
const src = (path: string): string => new URL(`../../src/${path}`, import.meta.url).href;

// Runs in a child process where prom-client cannot be loaded at all.
const script = `
import Module from 'node:module';
const { attachMetrics, prometheusText, registerMetrics } = await import(${JSON.stringify(src('adapters/prometheus/index.js'))});
const { Hub } = await import(${JSON.stringify(src('index.js'))});
const { MemoryInput, MemoryOutput } = await import(${JSON.stringify(src('testing/index.js'))});
const input = new MemoryInput();
const out = new MemoryOutput('out');
const hub = Hub.builder().flushInterval(0).input(input).output(out).build();
attachMetrics(hub);
await hub.start();
await input.push({ source: 'child', messageType: 'x' });
await out.waitFor(1);
await new Promise((resolve) => setImmediate(resolve));
const text = prometheusText(hub, { labels: { pipeline: 'child' } });
const errorOf = async (fn) => { try { await fn(); return 'no error'; } catch (e) { return e.code ?? e.message; } };
const direct = await errorOf(() => import('prom-client'));
const registered = await errorOf(() => registerMetrics(hub, { registerMetric() {}, getSingleMetric() {}, removeSingleMetric() {} }));
const loaded = Object.keys(Module._cache).filter((p) => p.includes('prom-client'));
await hub.stop();
process.stdout.write(JSON.stringify({ text, direct, registered, loaded }));
`;

describe('prometheusText without prom-client', () => {
	test('renders in a process where prom-client cannot be loaded, which registerMetrics reports', async () => {
		const { stdout } = await run(process.execPath, ['--import', 'tsx', '--import', blocker, '--input-type=module', '-e', script], {
			cwd: root,
			timeout: 60_000,
		});
		const result = JSON.parse(stdout) as { text: string; direct: string; registered: string; loaded: string[] };
		assert.equal(result.direct, 'ERR_MODULE_NOT_FOUND', 'import("prom-client") is blocked in the child');
		assert.equal(result.registered, 'ERR_POLKU_PEER_MISSING', 'registerMetrics needs prom-client and says so');
		assert.deepEqual(result.loaded, []);
		assert.match(result.text, /^polku_messages_forwarded_total\{pipeline="child",output="out"\} 1$/m);
		assert.match(result.text, /^polku_output_send_duration_seconds_count\{pipeline="child",output="out"\} 1$/m);
	});
});

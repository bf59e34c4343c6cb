import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import * as FakeTimers from '@sinonjs/fake-timers';
import { attachMetrics, DEFAULT_SEND_DURATION_BUCKETS, prometheusText } from '../../src/adapters/prometheus/index.js';
import { ConfigError, Hub } from '../../src/index.js';
import { MemoryInput, MemoryOutput } from '../../src/testing/index.js';
import { parseExposition, sampleValue as v } from './exposition.js';

function simpleHub(): { hub: Hub; input: MemoryInput; out: MemoryOutput } {
	const input = new MemoryInput();
	const out = new MemoryOutput('db');
	const hub = Hub.builder().flushInterval(0).input(input).output(out).build();
	return { hub, input, out };
}

/** Lets the lanes book what the output just confirmed (microtasks and I/O callbacks run first). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('attachMetrics', () => {
	let clock: FakeTimers.Clock | undefined;
	beforeEach(() => {
		clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
	});
	afterEach(() => {
		clock?.uninstall();
		clock = undefined;
	});

	test('puts each send duration in the right bucket (le is inclusive) and keeps sum and count', async () => {
		const { hub, input, out } = simpleHub();
		attachMetrics(hub, { buckets: [0.005, 0.01, 0.1, 1] });
		clock!.tick(1); // the hub reads a start time of 0 as "never started"
		await hub.start();
		const latencies = [3, 10, 30, 10, 3000];
		for (const [i, ms] of latencies.entries()) {
			out.latency(ms);
			await input.push({ source: 'test', messageType: 'x' });
			await clock!.tickAsync(ms);
			await out.waitFor(i + 1);
			await settle();
		}
		const doc = parseExposition(prometheusText(hub));
		const db = { output: 'db' };
		const cumulative = { '0.005': 1, '0.01': 3, '0.1': 4, '1': 4, '+Inf': 5 };
		for (const [le, count] of Object.entries(cumulative)) assert.equal(v(doc, 'polku_output_send_duration_seconds_bucket', { ...db, le }), count, le);
		assert.equal(v(doc, 'polku_output_send_duration_seconds_count', db), 5);
		const sum = latencies.reduce((a, ms) => a + ms / 1000, 0);
		assert.equal(v(doc, 'polku_output_send_duration_seconds_sum', db), sum);
		assert.equal(doc.get('polku_output_send_duration_seconds')!.samples.length, 4 + 1 + 2);
		clock!.tick(2000);
		assert.equal(v(parseExposition(prometheusText(hub)), 'polku_uptime_seconds'), (3 + 10 + 30 + 10 + 3000 + 2000) / 1000);
		await hub.stop();
	});

	test('observes from the moment of attachment; prometheusText attaches lazily', async () => {
		const { hub, input, out } = simpleHub();
		await hub.start();
		await input.push({ source: 'test', messageType: 'before' });
		await out.waitFor(1);
		await settle();
		assert.equal(hub.listenerCount('flush'), 0);
		const first = parseExposition(prometheusText(hub));
		assert.equal(hub.listenerCount('flush'), 1);
		assert.equal(v(first, 'polku_messages_forwarded_total', { output: 'db' }), 1);
		assert.equal(v(first, 'polku_output_send_duration_seconds_count', { output: 'db' }), 0);
		await input.push([
			{ source: 'test', messageType: 'after' },
			{ source: 'test', messageType: 'after' },
		]);
		await out.waitFor(3);
		await settle();
		const second = parseExposition(prometheusText(hub));
		assert.equal(v(second, 'polku_output_send_duration_seconds_count', { output: 'db' }), 1, 'one batch since attachment');
		assert.equal(hub.listenerCount('flush'), 1, 'still one listener');
		await hub.stop();
	});

	test('is idempotent, refuses other buckets while attached, and detaches', async () => {
		const { hub, input, out } = simpleHub();
		const a = attachMetrics(hub);
		assert.deepEqual(a.buckets, DEFAULT_SEND_DURATION_BUCKETS);
		assert.equal(attachMetrics(hub), a);
		assert.equal(attachMetrics(hub, { buckets: [...DEFAULT_SEND_DURATION_BUCKETS] }), a);
		assert.throws(
			() => attachMetrics(hub, { buckets: [1, 2] }),
			(e: unknown) => e instanceof ConfigError && e.field === 'buckets',
		);
		assert.throws(
			() => prometheusText(hub, { buckets: [1, 2] }),
			(e: unknown) => e instanceof ConfigError && e.field === 'buckets',
		);
		await hub.start();
		await input.push({ source: 'test', messageType: 'x' });
		await out.waitFor(1);
		await settle();
		a.detach();
		a.detach();
		assert.equal(hub.listenerCount('flush'), 0);
		const b = attachMetrics(hub, { buckets: [1, 2] });
		assert.notEqual(b, a);
		const doc = parseExposition(prometheusText(hub));
		assert.equal(v(doc, 'polku_output_send_duration_seconds_count', { output: 'db' }), 0, 'a fresh histogram');
		assert.equal(v(doc, 'polku_output_send_duration_seconds_bucket', { output: 'db', le: '2' }), 0);
		a.detach();
		assert.equal(hub.listenerCount('flush'), 1, "a stale attachment's detach does not remove the new one");
		b.detach();
		await hub.stop();
	});

	test('validates buckets', () => {
		const { hub } = simpleHub();
		const cases: [unknown, string][] = [
			[[], 'buckets'],
			['0.1', 'buckets'],
			[[0.1, 0.1], 'buckets[1]'],
			[[1, 0.5], 'buckets[1]'],
			[[0.1, Infinity], 'buckets[1]'],
			[[NaN], 'buckets[0]'],
		];
		for (const [buckets, field] of cases) {
			assert.throws(
				() => attachMetrics(hub, { buckets: buckets as number[] }),
				(e: unknown) => e instanceof ConfigError && e.field === field,
				JSON.stringify(buckets),
			);
		}
		assert.equal(hub.listenerCount('flush'), 0);
	});
});

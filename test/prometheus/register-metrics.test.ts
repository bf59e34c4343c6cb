import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as client from 'prom-client';
import { attachMetrics, prometheusText, registerMetrics } from '../../src/adapters/prometheus/index.js';
import { ConfigError, Hub } from '../../src/index.js';
import { MemoryInput, MemoryOutput } from '../../src/testing/index.js';
import { parseExposition, sampleMap, sampleValue as v } from './exposition.js';
import { mixedHub } from './mixed-traffic.js';

const { Registry } = client;

function smallHub(output = 'db'): { hub: Hub; input: MemoryInput; out: MemoryOutput } {
	const input = new MemoryInput();
	const out = new MemoryOutput(output);
	return { hub: Hub.builder().flushInterval(0).input(input).output(out).build(), input, out };
}

async function push(h: { hub: Hub; input: MemoryInput; out: MemoryOutput }, n: number): Promise<void> {
	if (h.hub.state === 'created') await h.hub.start();
	const before = h.out.messages.length;
	await h.input.push(Array.from({ length: n }, () => ({ source: 't', messageType: 'x' })));
	await h.out.waitFor(before + n);
	await new Promise((resolve) => setImmediate(resolve)); // let the lane book the confirmation
}

describe('registerMetrics', () => {
	test('exposes the same series and values as prometheusText', async () => {
		const { hub, run } = mixedHub();
		const registry = new Registry();
		attachMetrics(hub);
		registerMetrics(hub, registry);
		await hub.start();
		await run();
		await hub.stop();
		const fromRegistry = sampleMap(parseExposition(await registry.metrics()));
		const fromText = sampleMap(parseExposition(prometheusText(hub)));
		const uptime = 'polku_uptime_seconds[]';
		assert.ok(fromRegistry.get(uptime)! > 0 && fromText.get(uptime)! > 0);
		fromRegistry.delete(uptime);
		fromText.delete(uptime);
		assert.deepEqual(fromRegistry, fromText);
		assert.equal(fromRegistry.get('polku_messages_forwarded_total[["output","ok"]]'), 6);
		assert.equal(fromRegistry.get('polku_output_send_duration_seconds_count[["output","flaky"]]'), 1);
	});

	test('reads one stats() snapshot per hub per scrape', async () => {
		const h = smallHub();
		const registry = new Registry();
		registerMetrics(h.hub, registry);
		const stats = h.hub.stats.bind(h.hub);
		let calls = 0;
		h.hub.stats = () => {
			calls++;
			return stats();
		};
		await push(h, 2);
		const first = parseExposition(await registry.metrics());
		assert.equal(calls, 1);
		assert.equal(v(first, 'polku_messages_forwarded_total', { output: 'db' }), 2);
		await push(h, 3);
		const second = parseExposition(await registry.metrics());
		assert.equal(calls, 2);
		assert.equal(v(second, 'polku_messages_forwarded_total', { output: 'db' }), 5, 'a new scrape reads fresh stats');
		await registry.getMetricsAsJSON();
		assert.equal(calls, 3);
		await h.hub.stop();
	});

	test('unregister removes the metrics and the flush listener; calling it twice is harmless', async () => {
		const h = smallHub();
		const registry = new Registry();
		const mine = new client.Gauge({ name: 'app_ready', help: 'ready', registers: [registry] });
		mine.set(1);
		const unregister = registerMetrics(h.hub, registry);
		assert.equal(h.hub.listenerCount('flush'), 1);
		await push(h, 1);
		assert.match(await registry.metrics(), /^polku_messages_forwarded_total\{output="db"\} 1$/m);
		unregister();
		unregister();
		assert.equal(h.hub.listenerCount('flush'), 0);
		const text = await registry.metrics();
		assert.doesNotMatch(text, /polku_/);
		assert.match(text, /^app_ready 1$/m);
		assert.equal(registry.getSingleMetric('polku_up'), undefined);
		const again = registerMetrics(h.hub, registry);
		assert.equal(v(parseExposition(await registry.metrics()), 'polku_messages_forwarded_total', { output: 'db' }), 1);
		again();
		await h.hub.stop();
	});

	test('serves two hubs with different constant labels from one registry', async () => {
		const a = smallHub('shared');
		const b = smallHub('shared');
		const registry = new Registry();
		const unregisterA = registerMetrics(a.hub, registry, { labels: { pipeline: 'a' } });
		const unregisterB = registerMetrics(b.hub, registry, { labels: { pipeline: 'b' } });
		await push(a, 3);
		await push(b, 5);
		const both = parseExposition(await registry.metrics());
		for (const [pipeline, n] of [['a', 3], ['b', 5]] as const) {
			assert.equal(v(both, 'polku_messages_received_total', { pipeline }), n);
			assert.equal(v(both, 'polku_messages_forwarded_total', { pipeline, output: 'shared' }), n);
			assert.equal(v(both, 'polku_output_send_duration_seconds_count', { pipeline, output: 'shared' }), 1);
			assert.equal(v(both, 'polku_up', { pipeline }), 1);
		}
		unregisterA();
		const onlyB = parseExposition(await registry.metrics());
		assert.equal(v(onlyB, 'polku_messages_received_total', { pipeline: 'b' }), 5);
		assert.throws(() => v(onlyB, 'polku_messages_received_total', { pipeline: 'a' }));
		for (const family of onlyB.values()) for (const s of family.samples) assert.equal(s.labels['pipeline'], 'b', s.name);
		assert.equal(a.hub.listenerCount('flush'), 0);
		assert.equal(b.hub.listenerCount('flush'), 1);
		unregisterB();
		assert.doesNotMatch(await registry.metrics(), /polku_/);
		await Promise.all([a.hub.stop(), b.hub.stop()]);
	});

	test('refuses clashing registrations with a ConfigError and leaves the registry as it was', async () => {
		const registry = new Registry();
		const a = smallHub();
		const b = smallHub();
		const unregister = registerMetrics(a.hub, registry, { labels: { pipeline: 'a' } });
		const before = await registry.metrics();
		const clash = (options: object, field: string): void => {
			assert.throws(
				() => registerMetrics(b.hub, registry, options),
				(e: unknown) => e instanceof ConfigError && e.field === field,
				JSON.stringify(options),
			);
		};
		clash({ labels: { pipeline: 'a' } }, 'labels');
		clash({ labels: { team: 'b' } }, 'labels');
		clash({}, 'labels');
		clash({ labels: { pipeline: 'b' }, buckets: [1, 2] }, 'buckets');
		clash({ labels: { pipeline: 'b' }, prefix: 'x-' }, 'prefix');
		assert.equal(await registry.metrics(), before);
		assert.equal(b.hub.listenerCount('flush'), 0);
		unregister();

		const taken = new Registry();
		new client.Counter({ name: 'polku_messages_accepted_total', help: 'mine', registers: [taken] });
		assert.throws(
			() => registerMetrics(a.hub, taken),
			(e: unknown) => e instanceof ConfigError && e.field === 'prefix' && e.message.includes('polku_messages_accepted_total'),
		);
		assert.deepEqual(
			taken.getMetricsAsArray().map((m) => m.name),
			['polku_messages_accepted_total'],
			'nothing half-registered',
		);
		assert.equal(a.hub.listenerCount('flush'), 0);
		const other = registerMetrics(a.hub, taken, { prefix: 'pipeline_' });
		assert.match(await taken.metrics(), /^pipeline_up 0$/m);
		other();
		assert.throws(() => registerMetrics(a.hub, {} as client.Registry), ConfigError);
	});

	test('puts its metrics back when a hub is registered after registry.clear()', async () => {
		const a = smallHub();
		const b = smallHub();
		const registry = new Registry();
		const unregisterA = registerMetrics(a.hub, registry, { labels: { pipeline: 'a' } });
		registry.clear();
		assert.doesNotMatch(await registry.metrics(), /polku_/);
		const unregisterB = registerMetrics(b.hub, registry, { labels: { pipeline: 'b' } });
		const doc = parseExposition(await registry.metrics());
		assert.equal(v(doc, 'polku_up', { pipeline: 'a' }), 0);
		assert.equal(v(doc, 'polku_up', { pipeline: 'b' }), 0);
		unregisterA();
		unregisterB();
		assert.doesNotMatch(await registry.metrics(), /polku_/);
	});

	test('uses the buckets given, and the prom-client module given as client', async () => {
		const h = smallHub();
		const registry = new Registry();
		let created = 0;
		const counting = {
			...client,
			Counter: class extends client.Counter<string> {
				constructor(config: client.CounterConfiguration<string>) {
					super(config);
					created++;
				}
			},
		};
		const unregister = registerMetrics(h.hub, registry, { buckets: [0.5, 5], client: counting });
		assert.equal(created, 17);
		await push(h, 1);
		const doc = parseExposition(await registry.metrics());
		const les = doc.get('polku_output_send_duration_seconds')!.samples.flatMap((s) => (s.labels['le'] === undefined ? [] : [s.labels['le']]));
		assert.deepEqual(les, ['0.5', '5', '+Inf']);
		assert.equal(v(doc, 'polku_output_send_duration_seconds_count', { output: 'db' }), 1);
		unregister();
		await h.hub.stop();
	});

	test('works with an OpenMetrics registry and with registry default labels', async () => {
		const h = smallHub();
		const registry = new Registry<client.OpenMetricsContentType>();
		registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
		registry.setDefaultLabels({ service: 'api' });
		const unregister = registerMetrics(h.hub, registry);
		await push(h, 2);
		const text = await registry.metrics();
		assert.match(text, /^# TYPE polku_messages_forwarded counter$/m);
		assert.match(text, /^polku_messages_forwarded_total\{output="db",service="api"\} 2$/m);
		assert.match(text, /^polku_up\{service="api"\} 1$/m);
		assert.match(text, /# EOF\n$/);
		unregister();
		assert.doesNotMatch(await registry.metrics(), /polku_/);
		await h.hub.stop();
	});
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { collectMetricFamilies, formatPrometheusText, type MetricFamily } from '../../src/adapters/prometheus/index.js';
import { ConfigError, Hub } from '../../src/index.js';
import { MemoryInput, MemoryOutput } from '../../src/testing/index.js';
import { parseExposition, sampleValue as v } from './exposition.js';

describe('formatPrometheusText', () => {
	test('writes HELP, TYPE and samples, escaping help and label values and spelling special values', () => {
		const families: MetricFamily[] = [
			{
				name: 'x_total',
				help: 'back\\slash and\nnewline "quotes" stay',
				type: 'counter',
				samples: [
					{ labels: {}, value: 3 },
					{ labels: { a: 'q"\\\n' }, value: 1e21 },
				],
			},
			{
				name: 'y',
				help: 'gauge',
				type: 'gauge',
				samples: [
					{ labels: { k: 'nan' }, value: NaN },
					{ labels: { k: 'inf' }, value: Infinity },
					{ labels: { k: '-inf' }, value: -Infinity },
					{ labels: { k: 'frac' }, value: 0.1 + 0.2 },
				],
			},
			{ name: 'h_seconds', help: 'h', type: 'histogram', bounds: [0.5, 2], samples: [{ labels: { k: 'v' }, buckets: [1, 3], sum: 2.5, count: 4 }] },
		];
		const text = formatPrometheusText(families);
		assert.equal(
			text,
			[
				'# HELP x_total back\\\\slash and\\nnewline "quotes" stay',
				'# TYPE x_total counter',
				'x_total 3',
				'x_total{a="q\\"\\\\\\n"} 1e+21',
				'# HELP y gauge',
				'# TYPE y gauge',
				'y{k="nan"} NaN',
				'y{k="inf"} +Inf',
				'y{k="-inf"} -Inf',
				'y{k="frac"} 0.30000000000000004',
				'# HELP h_seconds h',
				'# TYPE h_seconds histogram',
				'h_seconds_bucket{k="v",le="0.5"} 1',
				'h_seconds_bucket{k="v",le="2"} 3',
				'h_seconds_bucket{k="v",le="+Inf"} 4',
				'h_seconds_sum{k="v"} 2.5',
				'h_seconds_count{k="v"} 4',
				'',
			].join('\n'),
		);
		const doc = parseExposition(text);
		assert.equal(doc.get('x_total')!.help, 'back\\slash and\nnewline "quotes" stay');
		assert.equal(v(doc, 'x_total', { a: 'q"\\\n' }), 1e21);
		assert.ok(Number.isNaN(v(doc, 'y', { k: 'nan' })));
		assert.equal(formatPrometheusText([]), '');
	});

	test('merges the families of several hubs into one valid document', async () => {
		const make = (name: string): { hub: Hub; input: MemoryInput; out: MemoryOutput } => {
			const input = new MemoryInput();
			const out = new MemoryOutput(name);
			return { hub: Hub.builder().flushInterval(0).input(input).output(out).build(), input, out };
		};
		const a = make('shared');
		const b = make('shared');
		await Promise.all([a.hub.start(), b.hub.start()]);
		await a.input.push([{ source: 't', messageType: 'x' }]);
		await b.input.push([
			{ source: 't', messageType: 'x' },
			{ source: 't', messageType: 'x' },
		]);
		await Promise.all([a.out.waitFor(1), b.out.waitFor(2)]);
		await new Promise((resolve) => setImmediate(resolve));
		const text = formatPrometheusText([
			...collectMetricFamilies(a.hub, { labels: { pipeline: 'a' } }),
			...collectMetricFamilies(b.hub, { labels: { pipeline: 'b' } }),
		]);
		assert.equal(text.split('\n').filter((l) => l === '# TYPE polku_up gauge').length, 1);
		const doc = parseExposition(text);
		assert.equal(v(doc, 'polku_messages_forwarded_total', { pipeline: 'a', output: 'shared' }), 1);
		assert.equal(v(doc, 'polku_messages_forwarded_total', { pipeline: 'b', output: 'shared' }), 2);
		assert.equal(v(doc, 'polku_output_send_duration_seconds_count', { pipeline: 'b', output: 'shared' }), 0);
		await Promise.all([a.hub.stop(), b.hub.stop()]);
	});

	test('refuses to merge families that disagree on type or buckets', () => {
		const gauge: MetricFamily = { name: 'm', help: 'm', type: 'gauge', samples: [] };
		const counter: MetricFamily = { name: 'm', help: 'm', type: 'counter', samples: [] };
		const h1: MetricFamily = { name: 'h', help: 'h', type: 'histogram', bounds: [1], samples: [] };
		const h2: MetricFamily = { name: 'h', help: 'h', type: 'histogram', bounds: [2], samples: [] };
		assert.throws(() => formatPrometheusText([gauge, counter]), ConfigError);
		assert.throws(() => formatPrometheusText([h1, h2]), ConfigError);
		assert.equal(formatPrometheusText([h1, h1]), '# HELP h h\n# TYPE h histogram\n');
	});
});

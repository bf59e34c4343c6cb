import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { prometheusText } from '../../src/adapters/prometheus/index.js';
import { ConfigError, DROP_REASONS, Hub } from '../../src/index.js';
import { MemoryInput, MemoryOutput } from '../../src/testing/index.js';
import { parseExposition, sampleValue as v, type Exposition } from './exposition.js';
import { mixedHub } from './mixed-traffic.js';

const OUTPUTS = ['ok', 'flaky', 'broken', 'dlsrc', 'dlq'];

describe('prometheusText', () => {
	test('renders every metric of a real hub with exact values', async () => {
		const { hub, run } = mixedHub();
		const before = parseExposition(prometheusText(hub));
		assert.equal(v(before, 'polku_up'), 0);
		assert.equal(v(before, 'polku_uptime_seconds'), 0);
		for (const output of OUTPUTS) assert.equal(v(before, 'polku_output_send_duration_seconds_count', { output }), 0);

		await hub.start();
		await run();
		const doc = parseExposition(prometheusText(hub));
		assert.equal(v(doc, 'polku_up'), 1);
		assert.ok(v(doc, 'polku_uptime_seconds') > 0);
		assert.equal(v(doc, 'polku_messages_received_total'), 10);
		assert.equal(v(doc, 'polku_messages_accepted_total'), 6);
		assert.equal(v(doc, 'polku_messages_filtered_total'), 1);
		assert.equal(v(doc, 'polku_messages_admitting'), 0);
		const beforeBuffer = { overflow: 0, unroutable: 1, 'output-failed': 0, 'middleware-error': 1, rejected: 1, shutdown: 0, invalid: 0 };
		for (const reason of DROP_REASONS) assert.equal(v(doc, 'polku_messages_dropped_total', { reason, output: '' }), beforeBuffer[reason], reason);
		for (const output of OUTPUTS) {
			for (const reason of DROP_REASONS) {
				const expected = output === 'broken' && reason === 'output-failed' ? 6 : 0;
				assert.equal(v(doc, 'polku_messages_dropped_total', { reason, output }), expected, `${output} ${reason}`);
			}
		}
		const perOutput = {
			//                                   ok flaky broken dlsrc dlq
			polku_messages_forwarded_total: [6, 6, 0, 0, 6],
			polku_messages_dead_lettered_total: [0, 0, 0, 6, 0],
			polku_output_pending_messages: [0, 0, 0, 0, 0],
			polku_output_send_failures_total: [0, 2, 2, 1, 0],
			polku_output_retries_total: [0, 2, 1, 0, 0],
			polku_output_batches_total: [1, 1, 0, 0, 1],
			polku_output_send_duration_seconds_count: [1, 1, 0, 0, 1],
		};
		for (const [name, values] of Object.entries(perOutput)) {
			OUTPUTS.forEach((output, i) => assert.equal(v(doc, name, { output }), values[i], `${name}{output="${output}"}`));
		}
		for (const output of OUTPUTS) {
			const count = v(doc, 'polku_output_send_duration_seconds_count', { output });
			assert.equal(v(doc, 'polku_output_send_duration_seconds_bucket', { output, le: '+Inf' }), count);
			assert.equal(v(doc, 'polku_output_send_duration_seconds_sum', { output }) > 0, count > 0);
		}
		assert.equal(family(doc, 'polku_output_circuit_state').samples.length, 0, 'no sample while the core reports no circuit');
		assert.equal(v(doc, 'polku_buffer_size_messages'), 0);
		assert.equal(v(doc, 'polku_buffer_capacity_messages'), 10_000);
		assert.equal(v(doc, 'polku_pipeline_pressure'), 0);
		const gate = { middleware: 'gate' };
		assert.equal(v(doc, 'polku_middleware_processed_total', gate), 10);
		assert.equal(v(doc, 'polku_middleware_filtered_total', gate), 1);
		assert.equal(v(doc, 'polku_middleware_rejected_total', gate), 1);
		assert.equal(v(doc, 'polku_middleware_errors_total', gate), 1);
		assert.equal(v(doc, 'polku_middleware_events_total', { ...gate, counter: 'seen' }), 10);
		assert.equal(v(doc, 'polku_middleware_events_total', { ...gate, counter: 'invalid' }), 1);
		assert.equal(family(doc, 'polku_middleware_events_total').samples.length, 2);
		assert.equal(v(doc, 'polku_input_messages_total', { input: 'in' }), 10);
		assert.equal(v(doc, 'polku_input_failures_total', { input: 'in' }), 0);
		assert.equal(v(doc, 'polku_input_restarts_total', { input: 'in' }), 0);

		await hub.stop();
		const after = parseExposition(prometheusText(hub));
		assert.equal(v(after, 'polku_up'), 0);
		assert.equal(v(after, 'polku_messages_forwarded_total', { output: 'ok' }), 6);
	});

	test('gives every family HELP and TYPE with the Prometheus naming conventions', () => {
		const { hub } = mixedHub();
		const doc = parseExposition(prometheusText(hub));
		assert.deepEqual(
			[...doc.keys()].map((n) => n.slice('polku_'.length)),
			[
				'messages_received_total',
				'messages_accepted_total',
				'messages_filtered_total',
				'messages_dropped_total',
				'messages_admitting',
				'messages_forwarded_total',
				'messages_dead_lettered_total',
				'output_pending_messages',
				'output_send_failures_total',
				'output_retries_total',
				'output_batches_total',
				'output_circuit_state',
				'output_stalled',
				'output_send_duration_seconds',
				'buffer_size_messages',
				'buffer_capacity_messages',
				'pipeline_pressure',
				'middleware_processed_total',
				'middleware_filtered_total',
				'middleware_rejected_total',
				'middleware_errors_total',
				'middleware_events_total',
				'input_messages_total',
				'input_failures_total',
				'input_restarts_total',
				'up',
				'uptime_seconds',
			],
		);
		for (const f of doc.values()) {
			assert.ok(f.help !== undefined && f.help.length > 0, `${f.name} has help`);
			assert.ok(f.name.startsWith('polku_'), f.name);
			assert.equal(f.type === 'counter', f.name.endsWith('_total'), `${f.name} is a ${f.type}`);
		}
		assert.equal(family(doc, 'polku_output_send_duration_seconds').type, 'histogram');
	});

	test('counts input failures and restarts', async () => {
		let runs = 0;
		let resolveEnded!: () => void;
		const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
		const input = {
			name: 'flaky-in',
			run: async (): Promise<void> => {
				runs++;
				if (runs <= 2) throw new Error(`run ${runs} failed`);
				resolveEnded();
			},
		};
		const hub = Hub.builder()
			.input(input, { restart: { attempts: 5, baseDelayMs: 1, maxDelayMs: 1 } })
			.output(new MemoryOutput())
			.build();
		hub.on('error', () => {});
		await hub.start();
		await ended;
		const doc = parseExposition(prometheusText(hub));
		assert.equal(v(doc, 'polku_input_failures_total', { input: 'flaky-in' }), 2);
		assert.equal(v(doc, 'polku_input_restarts_total', { input: 'flaky-in' }), 2);
		await hub.stop();
	});

	for (const overflow of ['drop-newest', 'drop-oldest'] as const) {
		test(`reports ${overflow} overflow drops, pending messages and pressure`, async () => {
			const input = new MemoryInput();
			const out = new MemoryOutput('slow').hang();
			const hub = Hub.builder().bufferCapacity(2).batchSize(1).flushInterval(0).overflow(overflow).input(input).output(out).build();
			await hub.start();
			await input.push({ source: 'test', messageType: 'm0' });
			await new Promise((r) => setImmediate(r)); // m0 is now in flight at the hanging output
			await input.push(Array.from({ length: 5 }, (_, i) => ({ source: 'test', messageType: `m${i + 1}` })));
			// 2 more fit in the buffer; 3 are dropped: new ones before the buffer under drop-newest,
			// old ones at the output under drop-oldest.
			const doc = parseExposition(prometheusText(hub));
			const early = overflow === 'drop-newest';
			assert.equal(v(doc, 'polku_messages_accepted_total'), early ? 3 : 6);
			assert.equal(v(doc, 'polku_messages_dropped_total', { reason: 'overflow', output: '' }), early ? 3 : 0);
			assert.equal(v(doc, 'polku_messages_dropped_total', { reason: 'overflow', output: 'slow' }), early ? 0 : 3);
			assert.equal(v(doc, 'polku_output_pending_messages', { output: 'slow' }), 3);
			assert.equal(v(doc, 'polku_buffer_size_messages'), 2);
			assert.equal(v(doc, 'polku_buffer_capacity_messages'), 2);
			assert.equal(v(doc, 'polku_pipeline_pressure'), 1);
			out.release();
			await hub.stop();
			const after = parseExposition(prometheusText(hub));
			assert.equal(v(after, 'polku_messages_forwarded_total', { output: 'slow' }), 3);
			assert.equal(v(after, 'polku_output_pending_messages', { output: 'slow' }), 0);
		});
	}

	test('escapes hostile label values and reads them back unchanged', () => {
		const hostile = ['say "hi"', 'back\\slash', 'two\nlines', 'all \\"\n\\n of them', 'ünï ✓ {},=', '\\'];
		let builder = Hub.builder();
		for (const name of hostile) builder = builder.output(new MemoryOutput(name));
		const hub = builder.build();
		const text = prometheusText(hub, { labels: { pipeline: 'a "b"\\c\nd' } });
		assert.ok(text.includes('output="say \\"hi\\""'));
		assert.ok(text.includes('output="back\\\\slash"'));
		assert.ok(text.includes('output="two\\nlines"'));
		assert.equal(text.split('\n').filter((l) => l.startsWith('polku_messages_forwarded_total')).length, hostile.length);
		const doc = parseExposition(text);
		for (const output of hostile) {
			assert.equal(v(doc, 'polku_messages_forwarded_total', { pipeline: 'a "b"\\c\nd', output }), 0);
			assert.equal(v(doc, 'polku_output_send_duration_seconds_bucket', { pipeline: 'a "b"\\c\nd', output, le: '0.001' }), 0);
		}
	});

	test('applies prefix and constant labels to every sample', () => {
		const { hub } = mixedHub();
		const doc = parseExposition(prometheusText(hub, { prefix: 'orders_', labels: { pipeline: 'orders', region: 'eu' } }));
		for (const f of doc.values()) {
			assert.ok(f.name.startsWith('orders_') && !f.name.startsWith('orders_polku'), f.name);
			for (const s of f.samples) assert.deepEqual([s.labels['pipeline'], s.labels['region']], ['orders', 'eu'], s.name);
		}
		assert.equal(v(doc, 'orders_up', { pipeline: 'orders', region: 'eu' }), 0);
	});

	test('rejects invalid options with a ConfigError naming the field', () => {
		const { hub } = mixedHub();
		const cases: [object, string][] = [
			[{ prefix: '9lives_' }, 'prefix'],
			[{ prefix: 'a-b_' }, 'prefix'],
			[{ labels: { output: 'x' } }, 'labels.output'],
			[{ labels: { le: 'x' } }, 'labels.le'],
			[{ labels: { __name: 'x' } }, 'labels.__name'],
			[{ labels: { 'bad-name': 'x' } }, 'labels.bad-name'],
			[{ labels: { n: 1 } }, 'labels.n'],
			[{ labels: ['x'] }, 'labels'],
		];
		for (const [options, field] of cases) {
			assert.throws(
				() => prometheusText(hub, options),
				(e: unknown) => e instanceof ConfigError && e.field === field,
				JSON.stringify(options),
			);
		}
	});
});

function family(doc: Exposition, name: string): NonNullable<ReturnType<Exposition['get']>> {
	const f = doc.get(name);
	assert.ok(f !== undefined, `family ${name}`);
	return f;
}

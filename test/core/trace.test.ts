import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hub, reject, TRACE_RECORD, TRACE_REQUEST, withMetadata, type TraceEntry } from '../../src/index.js';
import { MemoryInput, MemoryOutput } from '../../src/testing/index.js';
import { init, recordDrops } from '../support/hub.js';

describe('per-middleware trace (metadata polku.trace = "true")', () => {
	const build = () => {
		const input = new MemoryInput();
		const out = new MemoryOutput();
		const hub = Hub.builder()
			.input(input)
			.middleware(
				{ name: 'same', process: (m) => m },
				{ name: 'tag', process: (m) => withMetadata(m, { tagged: 'yes' }) },
				{ name: 'slow', process: (m) => new Promise((r) => setTimeout(() => r(m), 2)) },
				{ name: 'gate', process: (m) => (m.messageType === 'm9' ? reject('nine') : m) },
			)
			.output(out)
			.build();
		return { input, out, hub };
	};

	it('records each middleware, its action and time into _polku.trace', async () => {
		const { input, out, hub } = build();
		await hub.start();
		await input.push(init(1, { metadata: { [TRACE_REQUEST]: 'true' } }));
		await input.push(init(2));
		await hub.stop();
		const [traced, plain] = out.messages;
		const trace = JSON.parse(traced!.metadata[TRACE_RECORD]!) as TraceEntry[];
		assert.deepEqual(trace.map((t) => [t.middleware, t.action]), [
			['same', 'passed'],
			['tag', 'modified'],
			['slow', 'passed'],
			['gate', 'passed'],
		]);
		assert.ok(trace.every((t) => Number.isInteger(t.duration_us) && t.duration_us >= 0));
		assert.ok(trace[2]!.duration_us >= 1000, 'the async middleware took about 2 ms');
		assert.equal(traced!.metadata['tagged'], 'yes');
		assert.equal(plain!.metadata[TRACE_RECORD], undefined, 'untraced messages carry no record');
	});

	it('appends to a record left by an upstream hop and still counts drops', async () => {
		const { input, out, hub } = build();
		const drops = recordDrops(hub);
		await hub.start();
		const upstream = JSON.stringify([{ middleware: 'edge', action: 'passed', duration_us: 3 }]);
		await input.push(init(1, { metadata: { [TRACE_REQUEST]: 'true', [TRACE_RECORD]: upstream } }));
		await input.push(init(9, { metadata: { [TRACE_REQUEST]: 'true' } }));
		await hub.stop();
		const trace = JSON.parse(out.messages[0]!.metadata[TRACE_RECORD]!) as TraceEntry[];
		assert.deepEqual(trace.map((t) => t.middleware), ['edge', 'same', 'tag', 'slow', 'gate']);
		assert.deepEqual(drops.map((d) => d.reason), ['rejected']);
		assert.equal(hub.stats().middleware['gate']!.rejected, 1);
	});
});

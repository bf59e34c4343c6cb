import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpInput, type HttpInputOptions } from '../../src/adapters/http/index.js';
import type { HubBuilder } from '../../src/hub/hub.js';
import { Hub } from '../../src/hub/hub.js';
import { reject } from '../../src/middleware/middleware.js';
import { MemoryOutput } from '../../src/testing/index.js';
import { postJson } from './helpers.js';

async function withHub(
	options: HttpInputOptions,
	configure: (builder: HubBuilder, out: MemoryOutput) => HubBuilder,
	test: (port: number, hub: Hub, out: MemoryOutput, input: HttpInput) => Promise<void>,
): Promise<void> {
	const input = new HttpInput({ address: '127.0.0.1:0', ...options });
	const out = new MemoryOutput({ name: 'out' });
	const hub = configure(Hub.builder().input(input), out).build();
	await hub.start();
	try {
		await test((await input.ready).port, hub, out, input);
	} finally {
		out.release();
		await hub.stop({ timeoutMs: 2000 });
	}
}

const events = (n: number): { id: string; event_type: string }[] => Array.from({ length: n }, (_, i) => ({ id: `e${i}`, event_type: 't' }));

describe('HttpInput through a Hub', () => {
	it('202: every event reaches the output, filtered ones are counted', async () => {
		await withHub(
			{},
			(b, out) => b.middleware({ name: 'drop-noise', process: (m) => (m.messageType === 'noise' ? null : m) }).output(out),
			async (port, hub, out) => {
				const r = await postJson(port, '/events', [{ id: 'a', event_type: 'x' }, { id: 'b', event_type: 'noise' }, { id: 'c', event_type: 'y' }]);
				assert.equal(r.status, 202);
				assert.deepEqual(r.json, { accepted: 2, filtered: 1, refused: 0, refusedByCode: {}, ids: ['a', 'b', 'c'], errors: [] });
				await out.waitFor(2);
				assert.deepEqual(out.messages.map((m) => m.id), ['a', 'c']);
				assert.equal(hub.stats().inputs['http']!.sent, 3);
			},
		);
	});

	it('207: events a middleware rejects are listed, the rest delivered', async () => {
		await withHub(
			{},
			(b, out) => b.middleware({ name: 'need-tenant', process: (m) => (m.metadata['tenant'] ? m : reject('missing-tenant')) }).output(out),
			async (port, _hub, out) => {
				const r = await postJson(port, '/events', [{ id: 'a', metadata: { tenant: 't' } }, { id: 'b' }]);
				assert.equal(r.status, 207);
				assert.deepEqual(r.json.ids, ['a']);
				assert.equal(r.json.errors.length, 1);
				assert.deepEqual([r.json.errors[0].index, r.json.errors[0].id, r.json.errors[0].code], [1, 'b', 'rejected']);
				assert.match(r.json.errors[0].message, /missing-tenant/);
				await out.waitFor(1);
			},
		);
	});

	it('207: events routed to no known output are listed as unroutable', async () => {
		await withHub({}, (b, out) => b.output(out), async (port) => {
			const r = await postJson(port, '/events', [{ id: 'a' }, { id: 'b', route_to: ['nowhere'] }]);
			assert.equal(r.status, 207);
			assert.deepEqual(r.json.errors.map((e: { code: string }) => e.code), ['unroutable']);
		});
	});

	it('429 under drop-newest when the buffer is full: ids only of accepted events', async () => {
		await withHub(
			{},
			(b, out) => b.bufferCapacity(2).batchSize(1).overflow('drop-newest').output(out.hang(), { retry: false }),
			async (port, hub) => {
				const r = await postJson(port, '/events', events(5));
				assert.equal(r.status, 429);
				assert.equal(r.headers['retry-after'], '1');
				// the buffer holds 2; the output may take one in flight while the batch is admitted
				const accepted: number = r.json.accepted;
				assert.ok(accepted >= 2 && accepted < 5, String(accepted));
				assert.deepEqual(r.json.ids, events(accepted).map((e) => e.id));
				assert.deepEqual(
					r.json.errors.map((e: { id: string; code: string }) => `${e.id}:${e.code}`),
					events(5).slice(accepted).map((e) => `${e.id}:overflow`),
				);
				assert.equal(hub.stats().dropped.overflow, 5 - accepted);
			},
		);
	});

	it('503 with Retry-After under block when the buffer stays full, saying exactly which events got in', async () => {
		await withHub(
			{ backpressureTimeoutMs: 30 },
			(b, out) => b.bufferCapacity(2).batchSize(1).overflow('block').output(out.hang()),
			async (port, hub, out) => {
				const r = await postJson(port, '/events', events(4));
				assert.equal(r.status, 503);
				assert.equal(r.headers['retry-after'], '1');
				assert.equal(r.json.accepted, 3, 'one in flight, two buffered');
				assert.equal(r.json.ids.length, 3);
				assert.deepEqual(r.json.errors.map((e: { index: number; code: string }) => [e.index, e.code]), [[3, 'overflow']]);
				out.release();
				await out.waitFor(3);
				await new Promise((resolve) => setTimeout(resolve, 20));
				assert.equal(out.messages.length, 3, 'the withdrawn event is never admitted later');
				assert.equal(hub.stats().dropped.overflow, 1);
			},
		);
	});

	it('503 for events still waiting for space when stop() reaches its deadline', async () => {
		const input = new HttpInput({ address: '127.0.0.1:0', backpressureTimeoutMs: 60_000 });
		const out = new MemoryOutput({ name: 'out' }).hang();
		const hub = Hub.builder().input(input).bufferCapacity(1).batchSize(1).output(out, { retry: false }).build();
		await hub.start();
		const { port } = await input.ready;
		const reply = postJson(port, '/events', events(3));
		while (hub.stats().admitting === 0) await new Promise((resolve) => setImmediate(resolve));
		const stopped = hub.stop({ timeoutMs: 50 });
		const r = await reply;
		assert.equal(r.status, 503);
		assert.ok(r.json.errors.length > 0);
		assert.equal(r.json.accepted + r.json.errors.length, 3);
		assert.ok(r.json.errors.every((e: { code: string }) => e.code === 'shutdown'));
		assert.equal(r.json.ids.length, r.json.accepted);
		out.release();
		assert.equal((await stopped).drained, false);
	});

	it('ackAfterDelivery: 200 once delivered; 207 with output-failed or dead-lettered', async () => {
		await withHub(
			{ ackAfterDelivery: true },
			(b, out) => b.output(out, { retry: false, deadLetter: 'dlq' }).deadLetter(new MemoryOutput({ name: 'dlq' })),
			async (port, _hub, out) => {
				const ok = await postJson(port, '/events', events(2));
				assert.equal(ok.status, 200);
				assert.equal(ok.json.accepted, 2);
				assert.equal(out.messages.length, 2, 'answered only after delivery');
				out.failNext(1, new Error('warehouse said 503'));
				const failed = await postJson(port, '/events', [{ id: 'x' }]);
				assert.equal(failed.status, 207);
				assert.deepEqual(failed.json.errors, [{ index: 0, id: 'x', code: 'dead-lettered', message: 'warehouse said 503', output: 'out' }]);
			},
		);
	});
});

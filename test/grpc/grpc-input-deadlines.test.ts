// Every wait of GrpcInput is bounded: a SendEvent whose caller gave up (cancelled, or its deadline passed) is
// withdrawn and never admitted later; one the server gave up on gets RESOURCE_EXHAUSTED. Issue 7, item 15.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { ConfigError } from '../../src/index.js';
import { GrpcInput } from '../../src/adapters/grpc/index.js';
import { MemoryOutput } from '../../src/testing/index.js';
import { rejectionOf, startRig, wireEvent, type GatewayClient, type WireAck } from './helpers.js';

/** SendEvent with a client deadline `ms` from now. */
function sendWithDeadline(client: GatewayClient, request: object, ms: number): Promise<WireAck> {
	return new Promise((resolve, reject) => {
		const callback = (error: ServiceError | null, ack?: WireAck): void => (error ? reject(error) : resolve(ack!));
		(client.SendEvent as unknown as (r: object, m: Metadata, o: object, cb: typeof callback) => void)(request, new Metadata(), { deadline: Date.now() + ms }, callback);
	});
}

/** Waits until `check()` holds, polling; fails after `ms`. */
async function until(check: () => boolean, ms: number, what: string): Promise<void> {
	const end = Date.now() + ms;
	while (!check()) {
		if (Date.now() > end) throw new Error(`${what}: not after ${ms} ms`);
		await new Promise((resolve) => setTimeout(resolve, 5));
	}
}

describe('GrpcInput SendEvent: bounded waits for buffer space (block)', () => {
	it('withdraws the events of calls whose client deadline passed: none is admitted later (40 calls)', async () => {
		const output = new MemoryOutput({ name: 'memory' }).hang();
		const rig = await startRig({}, { capacity: 2, batchSize: 1, overflow: 'block', output });
		try {
			// Fill the pipeline: one batch in flight, two buffered.
			const first = ['f0', 'f1', 'f2'].map((id) => sendWithDeadline(rig.client, { event: wireEvent(id) }, 60_000));
			await until(() => rig.hub.stats().buffer.size === 2 && output.hanging === 1, 3000, 'pipeline full');
			const late = Array.from({ length: 40 }, (_, i) => rejectionOf(sendWithDeadline(rig.client, { event: wireEvent(`late-${i}`) }, 300)));
			const errors = await Promise.all(late);
			// The server withdraws a little before the deadline it was given (RESOURCE_EXHAUSTED: retry), or when the
			// client's own deadline cancels the call (DEADLINE_EXCEEDED); the server's deadline may lag the client's by
			// the time the request took to arrive, so wait for the withdrawals before space frees.
			for (const e of errors) assert.ok(e.code === status.RESOURCE_EXHAUSTED || e.code === status.DEADLINE_EXCEEDED, `${e.code} ${e.details}`);
			await until(() => rig.hub.stats().admitting === 0, 3000, 'every waiting call withdrawn');
			output.release();
			await Promise.all(first);
			await output.waitFor(3);
			await new Promise((resolve) => setTimeout(resolve, 50));
			assert.deepEqual(output.messages.map((m) => m.id).sort(), ['f0', 'f1', 'f2'], 'no event whose caller got an error is delivered');
		} finally {
			output.release();
			await rig.close();
		}
	});

	it('a call with a deadline sooner than backpressureTimeoutMs is withdrawn shortly before it: a definite RESOURCE_EXHAUSTED', async () => {
		const output = new MemoryOutput({ name: 'memory' }).hang();
		const rig = await startRig({}, { capacity: 1, batchSize: 1, overflow: 'block', output });
		try {
			const first = ['f0', 'f1'].map((id) => sendWithDeadline(rig.client, { event: wireEvent(id) }, 60_000));
			await until(() => rig.hub.stats().buffer.size === 1 && output.hanging === 1, 3000, 'pipeline full');
			const error = await rejectionOf(sendWithDeadline(rig.client, { event: wireEvent('near') }, 1000));
			assert.equal(error.code, status.RESOURCE_EXHAUSTED, error.details);
			assert.equal(error.details, "buffer full (1/1) until the call's deadline: event withdrawn; retry later");
			assert.equal(rig.hub.stats().dropped.overflow, 1, 'withdrawn before the answer');
			output.release();
			await Promise.all(first);
			await new Promise((resolve) => setTimeout(resolve, 50));
			assert.deepEqual(output.messages.map((m) => m.id).sort(), ['f0', 'f1']);
		} finally {
			output.release();
			await rig.close();
		}
	});

	it('answers RESOURCE_EXHAUSTED when the buffer stays full for backpressureTimeoutMs, and withdraws the event', async () => {
		const output = new MemoryOutput({ name: 'memory' }).hang();
		const rig = await startRig({ backpressureTimeoutMs: 100 }, { capacity: 1, batchSize: 1, overflow: 'block', output });
		try {
			const first = ['f0', 'f1'].map((id) => sendWithDeadline(rig.client, { event: wireEvent(id) }, 60_000));
			await until(() => rig.hub.stats().buffer.size === 1 && output.hanging === 1, 3000, 'pipeline full');
			const started = Date.now();
			const error = await rejectionOf(sendWithDeadline(rig.client, { event: wireEvent('waits') }, 60_000));
			assert.equal(error.code, status.RESOURCE_EXHAUSTED);
			assert.match(error.details, /^buffer full \(1\/1\) for 100 ms: event withdrawn; retry later$/);
			assert.ok(Date.now() - started < 2000);
			output.release();
			await Promise.all(first);
			await new Promise((resolve) => setTimeout(resolve, 50));
			assert.deepEqual(output.messages.map((m) => m.id).sort(), ['f0', 'f1']);
			assert.equal(rig.hub.stats().dropped.overflow, 1);
		} finally {
			output.release();
			await rig.close();
		}
	});

	it('with ackAfterDelivery: a call near its deadline withdraws what was not admitted', async () => {
		const output = new MemoryOutput({ name: 'memory' }).hang();
		const rig = await startRig({ ackAfterDelivery: true }, { capacity: 1, batchSize: 1, overflow: 'block', output });
		try {
			const first = ['f0', 'f1'].map((id) => sendWithDeadline(rig.client, { event: wireEvent(id) }, 60_000));
			await until(() => rig.hub.stats().buffer.size === 1 && output.hanging === 1, 3000, 'pipeline full');
			const error = await rejectionOf(sendWithDeadline(rig.client, { event: wireEvent('gone') }, 300));
			assert.ok(error.code === status.RESOURCE_EXHAUSTED || error.code === status.DEADLINE_EXCEEDED, String(error.code));
			await until(() => rig.hub.stats().dropped.overflow === 1, 3000, 'the withdrawn event');
			output.release();
			await Promise.all(first);
			assert.deepEqual(output.messages.map((m) => m.id).sort(), ['f0', 'f1']);
		} finally {
			output.release();
			await rig.close();
		}
	});

	it('a call the client cancels is withdrawn at once', async () => {
		const output = new MemoryOutput({ name: 'memory' }).hang();
		const rig = await startRig({}, { capacity: 1, batchSize: 1, overflow: 'block', output });
		try {
			const first = ['f0', 'f1'].map((id) => sendWithDeadline(rig.client, { event: wireEvent(id) }, 60_000));
			await until(() => rig.hub.stats().buffer.size === 1 && output.hanging === 1, 3000, 'pipeline full');
			const call = (rig.client as unknown as { SendEvent(r: object, cb: (e: ServiceError | null) => void): { cancel(): void } }).SendEvent({ event: wireEvent('cancelled') }, () => {});
			await until(() => rig.hub.stats().admitting === 1, 3000, 'the call waiting for space');
			call.cancel();
			await until(() => rig.hub.stats().dropped.overflow === 1, 3000, 'the cancelled call withdrawn');
			output.release();
			await Promise.all(first);
			await new Promise((resolve) => setTimeout(resolve, 50));
			assert.deepEqual(output.messages.map((m) => m.id).sort(), ['f0', 'f1']);
		} finally {
			output.release();
			await rig.close();
		}
	});

	it('rejects a bad backpressureTimeoutMs with a ConfigError naming it', () => {
		assert.throws(() => new GrpcInput({ backpressureTimeoutMs: -1 }), (e: unknown) => e instanceof ConfigError && e.field === 'GrpcInput.backpressureTimeoutMs');
	});
});

describe('GrpcInput StreamEvents: a cancelled stream withdraws its waiting batches', () => {
	it('events of a batch still waiting for space when the client cancels are never admitted', async () => {
		const output = new MemoryOutput({ name: 'memory' }).hang();
		const rig = await startRig({}, { capacity: 2, batchSize: 1, overflow: 'block', output });
		try {
			const call = rig.client.StreamEvents();
			call.on('data', () => {});
			call.on('error', () => {});
			call.write({ events: { events: ['s0', 's1', 's2', 's3', 's4'].map((id) => wireEvent(id)) } });
			await until(() => rig.hub.stats().admitting === 2, 3000, 'two events waiting');
			call.cancel();
			await until(() => rig.hub.stats().dropped.overflow === 2, 3000, 'the waiting events withdrawn');
			output.release();
			await output.waitFor(3);
			await new Promise((resolve) => setTimeout(resolve, 50));
			assert.deepEqual(output.messages.map((m) => m.id), ['s0', 's1', 's2']);
		} finally {
			output.release();
			await rig.close();
		}
	});
});

describe('GrpcInput maxEventsPerRequest', () => {
	it('refuses a request with more events than maxEventsPerRequest before decoding them all (INVALID_ARGUMENT / an INVALID Ack)', async () => {
		const rig = await startRig({ maxEventsPerRequest: 3 });
		try {
			const events = ['a', 'b', 'c', 'd'].map((id) => wireEvent(id));
			const unary = await rejectionOf(sendWithDeadline(rig.client, { format: 'ndjson', raw: Buffer.from('{}\n{}\n{}\n{}\n') }, 5000));
			assert.equal(unary.code, status.INVALID_ARGUMENT);
			assert.match(unary.details, /more than 3 events \(maxEventsPerRequest\)/);
			const call = rig.client.StreamEvents();
			const acks: WireAck[] = [];
			call.on('data', (a: WireAck) => acks.push(a));
			const ended = new Promise<void>((resolve, reject) => call.on('end', resolve).on('error', reject));
			call.write({ events: { events } });
			call.write({ raw: { format: 'json', data: Buffer.from('[{},{},{},{}]') } });
			call.write({ events: { events: events.slice(0, 3) } });
			call.end();
			await ended;
			assert.equal(acks.length, 3);
			assert.deepEqual(acks[0]!.event_ids ?? [], []);
			assert.match(acks[0]!.errors![0]!.message!, /IngestBatch holds more than 3 events \(maxEventsPerRequest\)/);
			assert.match(acks[1]!.errors![0]!.message!, /more than 3 events \(maxEventsPerRequest\)/);
			assert.deepEqual(acks[2]!.event_ids, ['a', 'b', 'c']);
			assert.equal(rig.input.stats.invalid, 3);
		} finally {
			await rig.close();
		}
	});

	it('defaults to 10 000 events per request', async () => {
		const rig = await startRig();
		try {
			const many = (n: number): Buffer => Buffer.from('[' + Array(n).fill('{}').join(',') + ']');
			const over = await rejectionOf(sendWithDeadline(rig.client, { format: 'json', raw: many(10_001) }, 10_000));
			assert.equal(over.code, status.INVALID_ARGUMENT);
			const ok = await sendWithDeadline(rig.client, { format: 'json', raw: many(10_000) }, 10_000);
			assert.equal(ok.event_ids!.length, 10_000);
		} finally {
			await rig.close();
		}
	});
});

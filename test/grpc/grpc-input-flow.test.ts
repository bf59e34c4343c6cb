import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import { MemoryOutput } from '../../src/testing/index.js';
import { gatewayClient, rejectionOf, sendEvent, startRig, streamBatches, wireEvent, type WireAck, type WireBatch } from './helpers.js';

const batchOf = (prefix: string, n: number, payloadBytes = 16): WireBatch => ({
	events: { events: Array.from({ length: n }, (_, i) => wireEvent(`${prefix}-${i}`, { payload: Buffer.alloc(payloadBytes, i) })) },
});

/** Resolves on the next macrotask turn: lets pending I/O callbacks run. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('GrpcInput overflow (drop-newest)', () => {
	it('acks only what the buffer took; every dropped id is in errors with OVERFLOW', async () => {
		const output = new MemoryOutput({ name: 'memory' }).hang();
		const rig = await startRig({}, { capacity: 10, batchSize: 5, overflow: 'drop-newest', output });
		try {
			const [ack] = await streamBatches(rig.client, [batchOf('ov', 30)]);
			const accepted = new Set(ack!.event_ids);
			const dropped = new Set(ack!.errors!.map((e) => e.event_id));
			assert.equal(accepted.size + dropped.size, 30);
			assert.ok(accepted.size >= 10 && accepted.size < 30, `accepted ${accepted.size}`);
			for (const id of dropped) assert.equal(accepted.has(id!), false);
			assert.ok(ack!.errors!.every((e) => e.code === 'OVERFLOW'));
			assert.equal(ack!.middleware_stats!['buffer_overflow_count'], String(dropped.size));
			assert.ok(Number(ack!.buffer_size) > 0 && Number(ack!.buffer_size) <= 10);

			// The output holds one batch in flight; top the buffer up so it is full for sure.
			const [topUp] = await streamBatches(rig.client, [batchOf('top', 20)]);
			for (const id of topUp!.event_ids ?? []) accepted.add(id);
			assert.equal(topUp!.buffer_size, '10');
			const error = await rejectionOf(sendEvent(rig.client, { event: wireEvent('one-too-many') }));
			assert.equal(error.code, status.RESOURCE_EXHAUSTED);
			assert.match(error.details, /buffer full \(10\/10\)/);

			output.release();
			await output.waitFor(accepted.size);
			assert.deepEqual(new Set(output.messages.map((m) => m.id)), accepted);
		} finally {
			await rig.close();
		}
	});
});

describe('GrpcInput backpressure (block)', () => {
	it('stops reading while the buffer is full: the client’s writes stall until the output is released, nothing is lost', async () => {
		const output = new MemoryOutput({ name: 'memory' }).hang();
		// A 64 KiB window and 2 KiB events: a few batches fill every buffer on the way.
		const rig = await startRig({ flowControlWindow: 65_535, maxPendingBatches: 2 }, { capacity: 100, batchSize: 50, overflow: 'block', output });
		const BATCHES = 200;
		const PER_BATCH = 50;
		try {
			const call = rig.client.StreamEvents();
			const acks: WireAck[] = [];
			call.on('data', (a: WireAck) => acks.push(a));
			const ended = new Promise<void>((resolve, reject) => call.on('end', resolve).on('error', reject));
			let written = 0;
			let stalled = false;
			const writer = (async () => {
				for (let b = 0; b < BATCHES; b++) {
					if (!call.write(batchOf(`blk-${b}`, PER_BATCH, 2048))) {
						stalled = true;
						await once(call, 'drain');
					}
					written++;
				}
				call.end();
			})();
			// Event-driven: wait until the output holds a batch and the client could not write ahead any more.
			while (output.hanging === 0 || !stalled) await turn();
			const admitted = rig.hub.stats().received + rig.hub.stats().admitting;
			assert.ok(written < BATCHES, `client wrote all ${written} batches while the output hung`);
			assert.ok(admitted < BATCHES * PER_BATCH, `hub took ${admitted} events while the output hung`);
			assert.ok(acks.length < BATCHES);
			output.release();
			await writer;
			await ended;
			assert.equal(acks.length, BATCHES);
			assert.ok(acks.every((a) => a.errors === undefined && a.event_ids!.length === PER_BATCH));
			await output.waitFor(BATCHES * PER_BATCH);
			assert.equal(output.messages.length, BATCHES * PER_BATCH);
			assert.deepEqual(
				output.messages.map((m) => m.id),
				Array.from({ length: BATCHES * PER_BATCH }, (_, i) => `blk-${Math.floor(i / PER_BATCH)}-${i % PER_BATCH}`),
			);
			assert.deepEqual(rig.hub.stats().dropped, { overflow: 0, unroutable: 0, 'output-failed': 0, 'middleware-error': 0, rejected: 0, shutdown: 0, invalid: 0 });
		} finally {
			await rig.close();
		}
	});
});

describe('GrpcInput and a client that reads its Acks late', () => {
	it('acks every batch exactly once, in order, once the client reads again', async () => {
		const rig = await startRig({ flowControlWindow: 65_535 }, { capacity: 100_000, batchSize: 1000 });
		const BATCHES = 300;
		const PER_BATCH = 200;
		try {
			const call = rig.client.StreamEvents();
			call.pause();
			const acks: WireAck[] = [];
			const ended = new Promise<void>((resolve, reject) => call.on('end', resolve).on('error', reject));
			const writer = (async () => {
				for (let b = 0; b < BATCHES; b++) if (!call.write(batchOf(`na-${b}`, PER_BATCH))) await once(call, 'drain');
				call.end();
			})();
			// Event-driven: let the server take what it will while the Acks go unread.
			const read = (): number => rig.input.stats.requests;
			for (let still = 0, last = -1; read() < BATCHES && still < 200; still = read() === last ? still + 1 : 0, last = read()) await turn();
			call.on('data', (a: WireAck) => acks.push(a));
			call.resume();
			await writer;
			await ended;
			assert.equal(acks.length, BATCHES);
			assert.deepEqual(acks.map((a) => a.event_ids![0]), Array.from({ length: BATCHES }, (_, b) => `na-${b}-0`));
			assert.ok(acks.every((a) => a.event_ids!.length === PER_BATCH && a.errors === undefined));
		} finally {
			await rig.close();
		}
	});
});

describe('GrpcInput ackAfterDelivery', () => {
	it('acks only after the output confirmed, and reports output failures in errors', async () => {
		const output = new MemoryOutput({ name: 'memory' }).hang();
		const rig = await startRig({ ackAfterDelivery: true }, { output });
		try {
			let acked: WireAck | undefined;
			const unary = sendEvent(rig.client, { event: wireEvent('d-1') }).then((a) => (acked = a));
			while (output.hanging === 0) await turn();
			await turn();
			assert.equal(acked, undefined, 'acked before the output confirmed');
			output.release();
			await unary;
			assert.deepEqual(acked!.event_ids, ['d-1']);
			assert.equal(output.messages.length, 1);

			output.failNext(1);
			const [ack] = await streamBatches(rig.client, [batchOf('df', 3)]);
			assert.equal(ack!.event_ids, undefined);
			assert.deepEqual(ack!.errors!.map((e) => [e.event_id, e.code]), [['df-0', 'OUTPUT_FAILED'], ['df-1', 'OUTPUT_FAILED'], ['df-2', 'OUTPUT_FAILED']]);
			assert.match(ack!.errors![0]!.message!, /memory/);
		} finally {
			await rig.close();
		}
	});

	it('reports DEAD_LETTERED when the batch went to the dead-letter output', async () => {
		const output = new MemoryOutput({ name: 'memory' });
		const dlq = new MemoryOutput({ name: 'dlq' });
		const rig2 = await startRig(
			{ ackAfterDelivery: true },
			{ output: new MemoryOutput({ name: 'unused' }), configure: (b) => b.output(output, { retry: false, deadLetter: 'dlq' }).deadLetter(dlq) },
		);
		try {
			output.failNext(1);
			const [ack] = await streamBatches(rig2.client, [{ events: { events: [wireEvent('dl-1', { route_to: ['memory'] })] } }]);
			assert.deepEqual(ack!.errors!.map((e) => [e.event_id, e.code]), [['dl-1', 'DEAD_LETTERED']]);
			await dlq.waitFor(1);
		} finally {
			await rig2.close();
		}
	});
});

describe('GrpcInput shutdown', () => {
	it('hub.stop() while streaming: acked events are all delivered, the stream ends, the port closes', async () => {
		const output = new MemoryOutput({ name: 'memory' });
		const rig = await startRig({ shutdownGraceMs: 2000 }, { output, capacity: 1000 });
		const call = rig.client.StreamEvents();
		const acked: string[] = [];
		call.on('data', (a: WireAck) => acked.push(...(a.event_ids ?? [])));
		const ended = new Promise<ServiceError | undefined>((resolve) => {
			call.on('error', (e: ServiceError) => resolve(e));
			call.on('end', () => resolve(undefined));
		});
		let open = true;
		void ended.then(() => (open = false));
		let b = 0;
		const writer = (async () => {
			while (open) {
				if (!call.write(batchOf(`sd-${b++}`, 20))) await Promise.race([once(call, 'drain'), ended]);
				await turn();
			}
		})();
		while (acked.length < 200) await turn();
		const stopped = await rig.hub.stop({ timeoutMs: 5000 });
		const end = await ended;
		await writer;
		assert.equal(stopped.drained, true);
		if (end !== undefined) assert.equal(end.code, status.UNAVAILABLE);
		const delivered = new Set(output.messages.map((m) => m.id));
		for (const id of acked) assert.ok(delivered.has(id), `acked ${id} was not delivered`);

		const late = gatewayClient(rig.port);
		const error = await rejectionOf(sendEvent(late, { event: wireEvent('late') }, undefined));
		assert.equal(error.code, status.UNAVAILABLE);
		late.close();
		rig.client.close();
	});
});

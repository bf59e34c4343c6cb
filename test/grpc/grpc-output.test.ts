import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import { Client } from '@grpc/grpc-js';
import { describe, it } from 'node:test';
import { ConfigError, createMessage, OutputError, reject, type Message, type Middleware } from '../../src/index.js';
import { DownstreamRejectedError, EndpointsUnavailableError, GrpcInput, GrpcOutput } from '../../src/adapters/grpc/index.js';
import { MemoryInput, MemoryOutput } from '../../src/testing/index.js';
import { Hub } from '../../src/index.js';
import { startRig } from './helpers.js';

/** A port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as { port: number };
	await new Promise((resolve) => server.close(resolve));
	return port;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const message = (id: string, extra: Partial<Message> = {}): Message => ({
	...createMessage({ id, source: 'upstream', messageType: 'tick', payload: `p-${id}` }),
	...extra,
});

describe('GrpcOutput → GrpcInput (polku → polku)', () => {
	it('forwards batches with ids, timestamps, metadata, payloads, route_to and severity exact', async () => {
		const downstream = await startRig();
		const out = new GrpcOutput({ endpoints: [`127.0.0.1:${downstream.port}`], source: 'edge-7' });
		try {
			const metadata = JSON.parse('{"__proto__":"p","k":"v","polku.severity":"5","polku.outcome":"3"}') as Record<string, string>;
			const sent = [
				message('o-1', { timestamp: 9223372036854775807n, metadata }),
				message('o-2', { payload: new Uint8Array(0), routeTo: ['memory'], source: '' }),
				message('o-3', { timestamp: -42n }),
			];
			await out.send(sent);
			await downstream.output.waitFor(3);
			const got = downstream.output.messages;
			assert.deepEqual(got.map((m) => m.id), ['o-1', 'o-2', 'o-3']);
			assert.equal(got[0]!.timestamp, 9223372036854775807n);
			assert.deepEqual({ ...got[0]!.metadata }, { ...metadata });
			assert.equal(Object.hasOwn(got[0]!.metadata, '__proto__'), true);
			assert.equal(Buffer.from(got[0]!.payload).toString(), 'p-o-1');
			assert.equal(got[1]!.payload.length, 0);
			assert.deepEqual(got[1]!.routeTo, ['memory']);
			assert.equal(got[1]!.source, 'edge-7');
			assert.equal(got[2]!.timestamp, -42n);
			assert.deepEqual(out.endpoints, { [`127.0.0.1:${downstream.port}`]: 'up' });
			assert.equal(await out.health(), true);
		} finally {
			await out.close();
			await downstream.close();
		}
	});

	it('runs as a hub output: every message of the upstream hub arrives downstream', async () => {
		const downstream = await startRig();
		const input = new MemoryInput();
		const out = new GrpcOutput({ endpoints: [`127.0.0.1:${downstream.port}`] });
		const upstream = Hub.builder().batchSize(64).input(input).output(out).build();
		await upstream.start();
		try {
			for (let i = 0; i < 10; i++) await input.push(Array.from({ length: 100 }, (_, j) => ({ id: `h-${i}-${j}`, source: 's', messageType: 't' })));
			await upstream.stop();
			await downstream.output.waitFor(1000);
			assert.equal(new Set(downstream.output.messages.map((m) => m.id)).size, 1000);
		} finally {
			await downstream.close();
		}
	});

	it('fails over from an endpoint that is down and keeps it marked down', async () => {
		const downstream = await startRig();
		const dead = await deadPort();
		const out = new GrpcOutput({ endpoints: [`127.0.0.1:${dead}`, `127.0.0.1:${downstream.port}`], healthCheckIntervalMs: 60_000 });
		try {
			for (let i = 0; i < 6; i++) await out.send([message(`f-${i}`)]);
			await downstream.output.waitFor(6);
			assert.deepEqual(downstream.output.messages.map((m) => m.id), ['f-0', 'f-1', 'f-2', 'f-3', 'f-4', 'f-5']);
			assert.deepEqual(out.endpoints, { [`127.0.0.1:${dead}`]: 'down', [`127.0.0.1:${downstream.port}`]: 'up' });
		} finally {
			await out.close();
			await downstream.close();
		}
	});

	it('spreads batches round-robin over healthy endpoints', async () => {
		const a = await startRig();
		const b = await startRig();
		const out = new GrpcOutput({ endpoints: [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`] });
		try {
			for (let i = 0; i < 10; i++) await out.send([message(`rr-${i}`)]);
			await a.output.waitFor(5);
			await b.output.waitFor(5);
			assert.equal(a.output.messages.length + b.output.messages.length, 10);
		} finally {
			await out.close();
			await a.close();
			await b.close();
		}
	});

	it('brings a down endpoint back after a Health probe succeeds', async () => {
		const port = await deadPort();
		const target = `127.0.0.1:${port}`;
		const out = new GrpcOutput({ endpoints: [target], healthCheckIntervalMs: 20, channelOptions: { 'grpc.initial_reconnect_backoff_ms': 20, 'grpc.max_reconnect_backoff_ms': 50 } });
		const memory = new MemoryOutput();
		const hub = Hub.builder().input(new GrpcInput({ address: target })).output(memory).build();
		try {
			const error = await out.send([message('x')]).then(
				() => undefined,
				(e: unknown) => e,
			);
			assert.ok(error instanceof EndpointsUnavailableError);
			assert.match(error.message, new RegExp(target.replace(/\./g, '\\.')));
			assert.equal(await out.health(), false);
			const state = (): string | undefined => out.endpoints[target];
			assert.equal(state(), 'down');
			await hub.start();
			while (state() !== 'up') await new Promise((r) => setTimeout(r, 5));
			await out.send([message('back')]);
			await memory.waitFor(1);
		} finally {
			await out.close();
			await hub.stop();
		}
	});

	it('rejects the send with DownstreamRejectedError naming the endpoint and the codes', async () => {
		const refuse: Middleware = { name: 'refuse', process: (m) => (m.messageType === 'bad' ? reject('invalid') : m) };
		const downstream = await startRig({}, { configure: (b) => b.middleware(refuse) });
		const endpoint = `127.0.0.1:${downstream.port}`;
		const out = new GrpcOutput({ name: 'up', endpoints: [endpoint] });
		try {
			const error = await out.send([message('g-1'), message('b-1', { messageType: 'bad' })]).then(
				() => undefined,
				(e: unknown) => e,
			);
			assert.ok(error instanceof DownstreamRejectedError);
			assert.equal(error.endpoint, endpoint);
			assert.deepEqual(error.codes, ['REJECTED']);
			assert.deepEqual(error.errors.map((e) => e.eventId), ['b-1']);
			assert.equal(error.output, 'up');
			assert.match(error.message, new RegExp(`${endpoint.replace(/\./g, '\\.')} did not accept 1 of 2 events \\(REJECTED x1\\)`));
			assert.equal(out.endpoints[endpoint], 'up');
		} finally {
			await out.close();
			await downstream.close();
		}
	});

	it('fails a batch whose Ack does not come in time and marks the endpoint down', async () => {
		const stuck = new MemoryOutput({ name: 'memory' }).hang();
		const downstream = await startRig({ ackAfterDelivery: true }, { output: stuck });
		const out = new GrpcOutput({ endpoints: [`127.0.0.1:${downstream.port}`], timeoutMs: 50, healthCheckIntervalMs: 60_000 });
		try {
			await assert.rejects(out.send([message('slow')]), /no Ack within 50 ms/);
			assert.equal(out.endpoints[`127.0.0.1:${downstream.port}`], 'down');
			stuck.release();
			await turn();
		} finally {
			await out.close();
			await downstream.close();
		}
	});

	it('a late Ack from a stream it cancelled never settles a batch of the new stream', async () => {
		// grpc-js delivers a message that was in its (async) read filter when the call was cancelled:
		// capture each StreamEvents call to replay that late Ack on the cancelled one.
		const streams: EventEmitter[] = [];
		const original = Client.prototype.makeBidiStreamRequest;
		Client.prototype.makeBidiStreamRequest = function (this: Client, ...args: Parameters<typeof original>) {
			const stream = original.apply(this, args);
			streams.push(stream);
			return stream;
		} as typeof original;
		const stuck = new MemoryOutput({ name: 'memory' }).hang();
		const downstream = await startRig({ ackAfterDelivery: true }, { output: stuck });
		const out = new GrpcOutput({ endpoints: [`127.0.0.1:${downstream.port}`], timeoutMs: 100, healthCheckIntervalMs: 60_000 });
		try {
			await assert.rejects(out.send([message('first')]), /no Ack within 100 ms/);
			let settled: string | undefined;
			const second = out.send([message('second')]).then(
				() => (settled = 'resolved'),
				(error: Error) => (settled = `rejected: ${error.message}`),
			);
			while (streams.length < 2) await turn();
			streams[0]!.emit('data', { eventIds: ['first'], errors: [], bufferSize: 0, bufferCapacity: 0 });
			await turn();
			assert.equal(settled, undefined, 'the Ack of "first" must not settle "second"');
			stuck.release();
			await second;
			assert.equal(settled, 'resolved');
		} finally {
			Client.prototype.makeBidiStreamRequest = original;
			stuck.release();
			await out.close();
			await downstream.close();
		}
	});

	it("send(batch, signal): the hub giving up cancels the batch's stream and rejects at once", async () => {
		const stuck = new MemoryOutput({ name: 'memory' }).hang();
		const downstream = await startRig({ ackAfterDelivery: true }, { output: stuck });
		const out = new GrpcOutput({ endpoints: [`127.0.0.1:${downstream.port}`], timeoutMs: 60_000, healthCheckIntervalMs: 60_000 });
		try {
			assert.equal(out.send.length, 2, 'the hub passes a signal only to a send that declares it');
			const controller = new AbortController();
			const sending = out.send([message('given-up')], controller.signal);
			while (stuck.hanging === 0) await turn();
			controller.abort(new Error('send timed out after 50 ms'));
			await assert.rejects(sending, (error: Error) => error instanceof OutputError && /abandoned by the hub: send timed out after 50 ms/.test(error.message));
			assert.notEqual(out.endpoints[`127.0.0.1:${downstream.port}`], 'down', 'giving up is not the endpoint failing');
			stuck.release();
			await out.send([message('next')]);
		} finally {
			stuck.release();
			await out.close();
			await downstream.close();
		}
	});

	it('validates its options', () => {
		assert.throws(() => new GrpcOutput({ endpoints: [] }), (e: unknown) => e instanceof ConfigError && e.field === 'GrpcOutput.endpoints');
		assert.throws(() => new GrpcOutput({ endpoints: ['a:1', 'a:1'] }), /must not repeat/);
		assert.throws(() => new GrpcOutput({ endpoints: ['a:1'], timeoutMs: 0 }), (e: unknown) => e instanceof ConfigError && e.field === 'GrpcOutput.timeoutMs');
	});
});

// The conformance suite (polku/testing) against GrpcOutput and GrpcInput, on loopback.
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { GrpcInput, GrpcOutput } from '../../src/adapters/grpc/index.js';
import type { Message } from '../../src/index.js';
import { inputConformance, outputConformance, type InputHarness, type OutputHarness } from '../../src/testing/index.js';
import { startRig } from './helpers.js';

/** A TCP server that accepts connections and never answers (no HTTP/2): a destination that cannot take a batch. */
async function blackHole(): Promise<{ port: number; close(): Promise<void> }> {
	const sockets = new Set<Socket>();
	const server = createTcpServer((socket) => {
		sockets.add(socket);
		socket.on('error', () => {});
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		port: (server.address() as AddressInfo).port,
		close: () => {
			for (const s of sockets) s.destroy();
			return new Promise((resolve) => server.close(() => resolve()));
		},
	};
}

async function atLeast(messages: readonly Message[], count: number, timeoutMs: number): Promise<readonly Message[]> {
	const end = Date.now() + timeoutMs;
	while (messages.length < count) {
		if (Date.now() > end) throw new Error(`${messages.length} of ${count} messages after ${timeoutMs} ms`);
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
	return [...messages];
}

const outputHarness: OutputHarness = {
	name: 'GrpcOutput',
	// The destination is polku's own GrpcInput (the documented mapping), delivering to a MemoryOutput.
	features: { ordering: 'total', envelope: true, maxPayloadBytes: 1024 * 1024 },
	async setup() {
		const rig = await startRig({ maxMessageBytes: 8 << 20 }, { capacity: 20_000 });
		const holes: { close(): Promise<void> }[] = [];
		return {
			output: new GrpcOutput({ endpoints: [`127.0.0.1:${rig.port}`], timeoutMs: 5000, channelOptions: { 'grpc.max_send_message_length': 8 << 20 } }),
			received: (count, timeoutMs) => atLeast(rig.output.messages, count, timeoutMs),
			async unreachable() {
				const hole = await blackHole();
				holes.push(hole);
				return new GrpcOutput({ endpoints: [`127.0.0.1:${hole.port}`], timeoutMs: 3000, healthCheckIntervalMs: 60_000 });
			},
			async teardown() {
				await rig.close();
				for (const h of holes) await h.close();
			},
		};
	},
};

describe('conformance: GrpcOutput', () => {
	for (const c of outputConformance(outputHarness)) it(c.name, { skip: c.skip ?? false, timeout: c.timeoutMs }, () => c.run());
});

const inputHarness: InputHarness = {
	name: 'GrpcInput',
	// A push source: an event is in the hub once its batch was acked; the client resends what was not
	// (nothing is kept for redelivery), and an undecodable batch is answered with INVALID errors.
	features: { ordering: 'total', envelope: true, redelivery: false, backpressure: false, poison: false },
	async setup() {
		let latest: GrpcInput | undefined;
		const publishers: GrpcOutput[] = [];
		return {
			createInput(name = 'grpc') {
				latest = new GrpcInput({ name, address: '127.0.0.1:0' });
				return latest;
			},
			async publish(messages) {
				const { port } = await latest!.ready;
				const publisher = new GrpcOutput({ endpoints: [`127.0.0.1:${port}`] });
				publishers.push(publisher);
				await publisher.send(messages);
			},
			async teardown() {
				for (const p of publishers) await p.close();
			},
		};
	},
};

describe('conformance: GrpcInput', () => {
	for (const c of inputConformance(inputHarness)) it(c.name, { skip: c.skip ?? false, timeout: c.timeoutMs }, () => c.run());
});

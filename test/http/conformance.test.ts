// The conformance suite (polku/testing) against WebhookOutput and HttpInput, on loopback.
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { HttpInput, WebhookOutput } from '../../src/adapters/http/index.js';
import { parseJsonEvents, toJsonEvent, type Message } from '../../src/index.js';
import { inputConformance, outputConformance, type InputHarness, type OutputHarness } from '../../src/testing/index.js';

/** A receiver reading each POST with the documented mapping (parseJsonEvents). */
async function receiver(format: 'json' | 'ndjson'): Promise<{ url: string; messages: Message[]; close(): Promise<void> }> {
	const messages: Message[] = [];
	const server: Server = createHttpServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			messages.push(...parseJsonEvents(Buffer.concat(chunks), format, { source: '' }));
			res.writeHead(204).end();
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
		messages,
		close: () => {
			server.closeAllConnections();
			return new Promise((resolve) => server.close(() => resolve()));
		},
	};
}

/** A TCP server that accepts connections and never answers: a destination that cannot take a batch. */
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

/** Resolves once `messages` holds `count`, else rejects after `timeoutMs`. */
async function atLeast(messages: readonly Message[], count: number, timeoutMs: number): Promise<readonly Message[]> {
	const end = Date.now() + timeoutMs;
	while (messages.length < count) {
		if (Date.now() > end) throw new Error(`${messages.length} of ${count} messages after ${timeoutMs} ms`);
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
	return [...messages];
}

for (const format of ['json', 'ndjson'] as const) {
	const harness: OutputHarness = {
		name: `WebhookOutput (${format})`,
		features: { ordering: 'total', envelope: true },
		async setup() {
			const destination = await receiver(format);
			const holes: { close(): Promise<void> }[] = [];
			return {
				output: new WebhookOutput({ url: destination.url, format, timeoutMs: 5000 }),
				received: (count, timeoutMs) => atLeast(destination.messages, count, timeoutMs),
				async unreachable() {
					const hole = await blackHole();
					holes.push(hole);
					return new WebhookOutput({ url: `http://127.0.0.1:${hole.port}/hook`, timeoutMs: 3000 });
				},
				async teardown() {
					await destination.close();
					for (const h of holes) await h.close();
				},
			};
		},
	};
	describe(`conformance: ${harness.name}`, () => {
		for (const c of outputConformance(harness)) it(c.name, { skip: c.skip ?? false, timeout: c.timeoutMs }, () => c.run());
	});
}

const inputHarness: InputHarness = {
	name: 'HttpInput',
	// A push source: an event is in the hub once its POST was answered; nothing is kept for redelivery
	// (the client retries what a 429 / 503 names), and a malformed body is answered 400, never dropped as invalid.
	features: { ordering: 'total', envelope: true, redelivery: false, backpressure: false, poison: false },
	async setup() {
		let latest: HttpInput | undefined;
		return {
			createInput(name = 'http') {
				latest = new HttpInput({ name, address: '127.0.0.1:0' });
				return latest;
			},
			async publish(messages) {
				const { port } = await latest!.ready;
				const body = '[' + messages.map((m) => toJsonEvent(m)).join(',') + ']';
				const res = await fetch(`http://127.0.0.1:${port}/events`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
				if (res.status !== 202) throw new Error(`POST answered ${res.status}: ${await res.text()}`);
			},
			teardown: async () => {},
		};
	},
};

describe('conformance: HttpInput', () => {
	for (const c of inputConformance(inputHarness)) it(c.name, { skip: c.skip ?? false, timeout: c.timeoutMs }, () => c.run());
});

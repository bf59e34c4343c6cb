// WebSocketInput and WebSocketOutput against the conformance suite. The independent peers are bare `ws`
// endpoints: a server that decodes frames and acks them (for the output), a client that sends frames and
// waits for their acks (for the input). A second pair runs polku against polku: WebSocketOutput (protobuf)
// into a WebSocketInput.
import { describe, it } from 'node:test';
import { WebSocketInput, WebSocketOutput } from '../../src/adapters/websocket/index.js';
import { Hub, type Message } from '../../src/index.js';
import { createServer } from 'node:net';
import { inputConformance, MemoryOutput, outputConformance, type ConformanceCase, type InputHarness, type OutputHarness } from '../../src/testing/index.js';
import { AckClient, BareServer, jsonFrame, protobufFrame } from './helpers.js';

function run(cases: readonly ConformanceCase[]): void {
	for (const c of cases) it(c.name, { skip: c.skip ?? false, timeout: c.timeoutMs }, () => c.run());
}

/** A port nothing listens on: the output keeps reconnecting and gives up after timeoutMs. */
const CLOSED_PORT_URL = 'ws://127.0.0.1:9/';

function bareServerHarness(name: string, acks: 'polku' | 'flush', format: 'json' | 'ndjson' | 'protobuf'): OutputHarness {
	return {
		name,
		features: { ordering: 'total', envelope: true },
		async setup() {
			const server = new BareServer(acks === 'polku');
			await new Promise((r) => server.wss.once('listening', r));
			const output = new WebSocketOutput({ url: server.url, acks, format });
			let stray: WebSocketOutput | undefined;
			return {
				output,
				received: (count, timeoutMs) => server.waitFor(count, timeoutMs),
				unreachable: () => (stray = new WebSocketOutput({ url: CLOSED_PORT_URL, acks, format, timeoutMs: 2000 })),
				teardown: async () => {
					await Promise.all([output.close(), stray?.close()]);
					await server.close();
				},
			};
		},
	};
}

/** polku → polku: WebSocketOutput (protobuf frames) into a WebSocketInput whose hub collects the messages. */
const polkuToPolku: OutputHarness = {
	name: 'WebSocketOutput→WebSocketInput',
	features: { ordering: 'total', envelope: true },
	async setup() {
		const input = new WebSocketInput({ address: '127.0.0.1:0', auth: 'conformance-token', maxPayload: 8 * 1024 * 1024 });
		const sink = new MemoryOutput('downstream');
		const hub = Hub.builder().bufferCapacity(20_000).flushInterval(1).input(input).output(sink).build();
		await hub.start();
		const { port } = await input.ready;
		const output = new WebSocketOutput({ url: `ws://127.0.0.1:${port}/`, format: 'protobuf', headers: { authorization: 'Bearer conformance-token' } });
		let stray: WebSocketOutput | undefined;
		return {
			output,
			received: (count, timeoutMs) => sink.waitFor(count, timeoutMs).then(() => sink.messages.slice()),
			unreachable: () => (stray = new WebSocketOutput({ url: CLOSED_PORT_URL, format: 'protobuf', timeoutMs: 2000 })),
			teardown: async () => {
				await Promise.all([output.close(), stray?.close()]);
				await hub.stop();
			},
		};
	},
};

/** Events per frame the input fixtures send. */
const PER_FRAME = 10;
/** The inputs' maxPendingFrames. */
const PENDING_FRAMES = 2;

/**
 * WebSocketInput: each input of a fixture listens on its own port; publish() connects a bare `ws` client
 * to the latest input and sends the messages in frames of 10 (JSON arrays of POLKU JSON events, or protobuf
 * IngestBatches), resolving once every frame is acked without errors. A WebSocket client is not a broker:
 * nothing is redelivered (features.redelivery false). While the hub blocks, the input stops reading the
 * connection and hands the hub at most `maxPendingFrames` frames (frames of the socket read in progress
 * wait in the connection).
 */
function inputHarness(name: string, frame: (messages: readonly Message[]) => string | Uint8Array): InputHarness {
	return {
		name,
		features: { ordering: 'total', envelope: true, redelivery: false, backpressure: true, poison: true, maxInFlight: PENDING_FRAMES * PER_FRAME },
		async setup() {
			let latest: WebSocketInput | undefined;
			const clients: AckClient[] = [];
			const connect = async (): Promise<AckClient> => {
				if (latest === undefined) throw new Error('publish() before createInput()');
				const { port } = await latest.ready;
				const client = new AckClient(`ws://127.0.0.1:${port}/?source=conformance-client`);
				clients.push(client);
				await client.opened;
				return client;
			};
			return {
				createInput: (inputName) => (latest = new WebSocketInput({ address: '127.0.0.1:0', maxPendingFrames: PENDING_FRAMES, ...(inputName === undefined ? {} : { name: inputName }) })),
				async publish(messages) {
					const client = await connect();
					const acks: Promise<unknown>[] = [];
					for (let i = 0; i < messages.length; i += PER_FRAME) {
						acks.push(
							client.send(frame(messages.slice(i, i + PER_FRAME))).then((ack) => {
								if (ack.errors.length > 0) throw new Error(`the input refused events: ${JSON.stringify(ack.errors[0])}`);
							}),
						);
					}
					await Promise.all(acks);
				},
				async publishPoison() {
					const client = await connect();
					const ack = await client.send('{"event_type": 42}');
					if (ack.errors[0]?.code !== 'INVALID') throw new Error(`expected an INVALID ack, got ${JSON.stringify(ack)}`);
				},
				teardown: async () => {
					for (const c of clients) c.close();
				},
			};
		},
	};
}

/** A free loopback port (bound, then released). */
function freePort(): Promise<number> {
	return new Promise((resolve) => {
		const probe = createServer().listen(0, '127.0.0.1', () => {
			const { port } = probe.address() as { port: number };
			probe.close(() => resolve(port));
		});
	});
}

/**
 * WebSocketInput with `ackAfterDelivery`, fed by a source that resends what was not acked: a polku hub
 * whose WebSocketOutput (retried by the hub, reconnecting by itself) sends to the fixture's port. Every
 * input of a fixture listens on that same port in turn, so a new input gets what the stopped one did not
 * ack. This is the at-least-once chain the README describes (polku → WebSocket → polku); the
 * redelivery cases apply. publish() resolves once the source hub has the messages.
 */
const resendingSource: InputHarness = {
	name: 'WebSocketInput(ackAfterDelivery) ← WebSocketOutput',
	features: { ordering: 'total', envelope: true, redelivery: true, backpressure: true, poison: true, maxInFlight: PENDING_FRAMES * PER_FRAME, redeliveryMs: 1000 },
	async setup() {
		const port = await freePort();
		const url = `ws://127.0.0.1:${port}/`;
		const upstream = new WebSocketOutput({ url, format: 'protobuf', timeoutMs: 3000, reconnect: { baseDelayMs: 20, maxDelayMs: 200 } });
		const source = Hub.builder()
			.bufferCapacity(10_000)
			.batchSize(PER_FRAME)
			.flushInterval(1)
			// Several frames in flight, so the input has more than one frame to hold back under backpressure.
			.output(upstream, { maxInFlight: 4, retry: { attempts: 1000, baseDelayMs: 20, maxDelayMs: 200 } })
			.build();
		await source.start();
		const clients: AckClient[] = [];
		return {
			createInput: (inputName) =>
				new WebSocketInput({ address: `127.0.0.1:${port}`, ackAfterDelivery: true, maxPendingFrames: PENDING_FRAMES, shutdownGraceMs: 2000, ...(inputName === undefined ? {} : { name: inputName }) }),
			async publish(messages) {
				const { dropped } = await source.sendBatch(messages);
				if (dropped.length > 0) throw new Error(`the source hub dropped ${dropped.length} messages`);
			},
			async publishPoison() {
				const client = new AckClient(url);
				clients.push(client);
				await client.opened;
				await client.send(new Uint8Array([0xff, 0x01]));
			},
			teardown: async () => {
				for (const c of clients) c.close();
				await source.stop({ timeoutMs: 500 });
			},
		};
	},
};

describe('outputConformance(WebSocketOutput) against a bare ws server that acks', () => run(outputConformance(bareServerHarness('WebSocketOutput(json, acks)', 'polku', 'json'))));
describe('outputConformance(WebSocketOutput) against a plain ws server (flush)', () => run(outputConformance(bareServerHarness('WebSocketOutput(ndjson, flush)', 'flush', 'ndjson'))));
describe('outputConformance(WebSocketOutput) into a WebSocketInput', () => run(outputConformance(polkuToPolku)));
describe('inputConformance(WebSocketInput) with JSON frames from a bare ws client', () => run(inputConformance(inputHarness('WebSocketInput(json)', jsonFrame))));
describe('inputConformance(WebSocketInput) with protobuf frames from a bare ws client', () => run(inputConformance(inputHarness('WebSocketInput(protobuf)', protobufFrame))));
describe('inputConformance(WebSocketInput, ackAfterDelivery) fed by a resending WebSocketOutput', () => run(inputConformance(resendingSource)));

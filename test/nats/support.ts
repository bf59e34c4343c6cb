// NATS test support: connections to the real server on 127.0.0.1:4222, unique streams and subjects, a
// reader of a stream that decodes through the documented mapping, and the conformance harnesses.
import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import type { Message } from '../../src/index.js';
import {
	JetStreamInput,
	JetStreamOutput,
	NatsInput,
	NatsOutput,
	type JetStreamClientLike,
	type JetStreamInputOptions,
	type NatsConnectionLike,
} from '../../src/adapters/nats/index.js';
import { fromNatsMsg } from '../../src/adapters/nats/headers.js';
import type { InputHarness, OutputHarness } from '../../src/testing/index.js';

// Compile-time proof that the NATS client's own objects fit the structural types.
export const natsFits = (nc: NatsConnection, js: JetStreamClient): [NatsConnectionLike, JetStreamClientLike] => [nc, js];

export const NATS_URL = '127.0.0.1:4222';

export function unique(prefix: string): string {
	return `${prefix}_${randomUUID().slice(0, 8)}`;
}

export function natsConnect(): Promise<NatsConnection> {
	return connect({ servers: NATS_URL, name: unique('polku-test') });
}

/** A fresh stream on subject `<stream>.>` (memory storage), deleted by `drop()`. */
export async function createStream(jsm: JetStreamManager, name = unique('POLKU'), duplicateWindowMs = 120_000): Promise<{ stream: string; subject: string; drop: () => Promise<void> }> {
	const stream = name.toUpperCase();
	await jsm.streams.add({ name: stream, subjects: [`${stream}.>`], storage: 'memory' as never, duplicate_window: duplicateWindowMs * 1_000_000 });
	return { stream, subject: `${stream}.in`, drop: async () => void (await jsm.streams.delete(stream).catch(() => false)) };
}

/** Every message of a stream, decoded through the mapping, in stream order (an ordered consumer). */
export async function readStream(js: JetStreamClient, stream: string, count: number, timeoutMs: number): Promise<Message[]> {
	const consumer = await js.consumers.get(stream);
	const out: Message[] = [];
	const messages = await consumer.consume();
	const timer = setTimeout(() => messages.stop(), timeoutMs);
	try {
		for await (const m of messages) {
			out.push(fromNatsMsg(m, { id: `${stream}/${m.seq}`, source: 'nats', messageType: m.subject }));
			if (out.length >= count && m.info.pending === 0) break;
		}
	} finally {
		clearTimeout(timer);
		messages.stop();
	}
	if (out.length < count) throw new Error(`stream ${stream}: ${out.length} of ${count} messages within ${timeoutMs} ms`);
	return out;
}

/** Publishes messages to JetStream as JetStreamOutput would (pipelined, with Nats-Msg-Id). */
export async function publishMessages(js: JetStreamClient, subject: string, messages: readonly Message[]): Promise<void> {
	const out = new JetStreamOutput({ js, subject, headers });
	for (let i = 0; i < messages.length; i += 100) await out.send(messages.slice(i, i + 100));
}

/** JetStreamOutput's harness: a stream per fixture; the unreachable destination is a subject whose only listener never answers. */
export function jetStreamOutputHarness(): OutputHarness {
	return {
		name: 'JetStreamOutput',
		// The server's max_payload (1 MiB by default) counts the headers too.
		features: { ordering: 'total', envelope: true, maxPayloadBytes: 1_000_000 },
		async setup() {
			const nc = await natsConnect();
			const js = jetstream(nc);
			const jsm = await jetstreamManager(nc);
			const { stream, subject, drop } = await createStream(jsm);
			const silent = nc.subscribe(unique('silent'));
			return {
				output: new JetStreamOutput({ js, subject }),
				received: (count, timeoutMs) => readStream(js, stream, count, timeoutMs),
				unreachable: () => new JetStreamOutput({ js, subject: silent.getSubject(), timeoutMs: 3_000, name: 'jetstream-unreachable' }),
				teardown: async () => {
					await drop();
					await nc.close();
				},
			};
		},
	};
}

/** NatsOutput's harness: a subscriber collects; the unreachable destination is a closed connection. */
export function natsOutputHarness(): OutputHarness {
	return {
		name: 'NatsOutput',
		features: { ordering: 'total', envelope: true, maxPayloadBytes: 1_000_000 },
		async setup() {
			const nc = await natsConnect();
			const subject = unique('polku.out');
			const got: Message[] = [];
			const sub = nc.subscribe(subject, { callback: (_, m) => void got.push(fromNatsMsg(m, { source: 'nats', messageType: m.subject })) });
			await nc.flush();
			const dead = await natsConnect();
			await dead.close();
			return {
				output: new NatsOutput({ nc, subject }),
				async received(count, timeoutMs) {
					const until = Date.now() + timeoutMs;
					while (got.length < count) {
						if (Date.now() > until) throw new Error(`${got.length} of ${count} within ${timeoutMs} ms`);
						await new Promise((r) => setTimeout(r, 10));
					}
					return got.slice();
				},
				unreachable: () => new NatsOutput({ nc: dead, subject, name: 'nats-unreachable' }),
				teardown: async () => {
					sub.unsubscribe();
					await nc.close();
				},
			};
		},
	};
}

export const JS_ACK_WAIT_MS = 2_000;

/** JetStreamInput's harness: a stream and a durable consumer (created by the input) per fixture. */
export function jetStreamInputHarness(maxInFlight = 100, pullBatch = 50): InputHarness {
	return {
		name: 'JetStreamInput',
		features: { ordering: 'total', envelope: true, redelivery: true, backpressure: true, poison: true, maxInFlight: maxInFlight + pullBatch, redeliveryMs: JS_ACK_WAIT_MS + 500 },
		async setup() {
			const nc = await natsConnect();
			const js = jetstream(nc);
			const jsm = await jetstreamManager(nc);
			const { stream, subject, drop } = await createStream(jsm);
			const consumer = unique('durable');
			return {
				createInput: (name) => new JetStreamInput({ js, stream, consumer, ackWaitMs: JS_ACK_WAIT_MS, nakDelayMs: 100, maxInFlight, pullBatch, name: name ?? 'jetstream' }),
				publish: (messages) => publishMessages(js, subject, messages),
				publishPoison: async () => {
					const h = headers();
					h.set('polku-id', 'poison-1');
					h.set('polku-timestamp', 'yesterday');
					await js.publish(subject, 'poison', { headers: h });
				},
				teardown: async () => {
					await drop();
					await nc.close();
				},
			};
		},
	};
}

/** NatsInput's harness (core NATS: nothing is kept, so no redelivery or backpressure). */
export function natsInputHarness(): InputHarness {
	return {
		name: 'NatsInput',
		features: { ordering: 'total', envelope: true, redelivery: false, backpressure: false, poison: true },
		async setup() {
			const nc = await natsConnect();
			const subject = unique('polku.in');
			let latest: NatsInput | undefined;
			const ready = async (): Promise<void> => {
				if (latest === undefined) throw new Error('publish() before createInput()');
				await latest.subscribed();
			};
			return {
				createInput: (name) => (latest = new NatsInput({ nc, subject, name: name ?? 'nats' })),
				async publish(messages) {
					await ready();
					const out = new NatsOutput({ nc, subject, headers });
					await out.send(messages);
					await nc.flush();
				},
				async publishPoison() {
					await ready();
					const h = headers();
					h.set('polku-id', 'poison-1');
					h.set('polku-timestamp', 'yesterday');
					nc.publish(subject, 'poison', { headers: h });
					await nc.flush();
				},
				teardown: () => nc.close(),
			};
		},
	};
}

export function jsInputOptions(js: JetStreamClient, stream: string, consumer: string, extra: Partial<JetStreamInputOptions> = {}): JetStreamInputOptions {
	return { js, stream, consumer, ackWaitMs: JS_ACK_WAIT_MS, nakDelayMs: 50, ...extra };
}

// Helpers of the AMQP tests: connections to the real RabbitMQ on 127.0.0.1:5672, unique queue names,
// an independent reader (bare amqplib + the shared header mapping), and a TCP server that never speaks AMQP.
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { fromEnvelopeHeaders, type Message } from '../../src/index.js';

export const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

/** A connection that does not crash the test process when the broker closes it. */
export async function connect(name = 'polku-test'): Promise<ChannelModel> {
	const connection = await amqp.connect(AMQP_URL, { clientProperties: { connection_name: name } });
	connection.on('error', () => {});
	return connection;
}

export function uniqueName(prefix: string): string {
	return `polku-test-${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Decodes a delivery through the documented mapping (independently of AmqpInput). */
export function decode(delivery: ConsumeMessage): Message {
	const headers = Object.entries(delivery.properties.headers ?? {})
		.filter(([name]) => !name.startsWith('x-'))
		.map(([name, value]) => [name, String(value)] as const);
	return fromEnvelopeHeaders(headers, delivery.content, { source: 'amqp', messageType: delivery.fields.routingKey });
}

/** Everything that arrives on `queue`, consumed without ack (auto-ack), decoded. */
export class QueueReader {
	readonly messages: Message[] = [];
	readonly raw: ConsumeMessage[] = [];
	readonly #channel: Channel;
	#tag: string | undefined;

	private constructor(channel: Channel) {
		this.#channel = channel;
	}

	static async start(connection: ChannelModel, queue: string): Promise<QueueReader> {
		const channel = await connection.createChannel();
		channel.on('error', () => {});
		const reader = new QueueReader(channel);
		const { consumerTag } = await channel.consume(
			queue,
			(delivery) => {
				if (delivery === null) return;
				reader.raw.push(delivery);
				reader.messages.push(decode(delivery));
			},
			{ noAck: true },
		);
		reader.#tag = consumerTag;
		return reader;
	}

	async waitFor(count: number, timeoutMs: number): Promise<readonly Message[]> {
		const until = performance.now() + timeoutMs;
		while (this.messages.length < count) {
			if (performance.now() > until) throw new Error(`only ${this.messages.length} of ${count} messages arrived within ${timeoutMs} ms`);
			await new Promise((r) => setTimeout(r, 10));
		}
		return this.messages.slice();
	}

	async stop(): Promise<void> {
		if (this.#tag !== undefined) await this.#channel.cancel(this.#tag).catch(() => {});
		await this.#channel.close().catch(() => {});
	}
}

/** Publishes with confirms on a channel of its own. */
export async function publishRaw(
	connection: ChannelModel,
	queue: string,
	items: readonly { content: Buffer; options?: amqp.Options.Publish }[],
): Promise<void> {
	const channel: ConfirmChannel = await connection.createConfirmChannel();
	channel.on('error', () => {});
	for (const item of items) channel.sendToQueue(queue, item.content, item.options ?? {});
	await channel.waitForConfirms();
	await channel.close();
}

/** A TCP server that accepts connections and never answers: an AMQP broker that does not respond. */
export async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
	const sockets = new Set<Socket>();
	const server: Server = createServer((socket) => {
		sockets.add(socket);
		socket.on('error', () => {});
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const address = server.address();
	if (address === null || typeof address === 'string') throw new Error('no port');
	return {
		port: address.port,
		close: () =>
			new Promise<void>((resolve) => {
				for (const s of sockets) s.destroy();
				server.close(() => resolve());
			}),
	};
}

/** Resolves once `check()` is true; rejects after `timeoutMs` with `what`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
	const deadline = performance.now() + timeoutMs;
	while (!(await check())) {
		if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
		await new Promise((r) => setTimeout(r, 20));
	}
}

/** The local port of an amqplib connection (what the broker sees as its peer port). */
export function localPort(connection: ChannelModel): number {
	return (connection as unknown as { connection: { stream: { localPort: number } } }).connection.stream.localPort;
}

/**
 * Closes the broker side of the connections from `ports` (and only those: other tests share the broker),
 * as `rabbitmqctl close_connection` would, in one rabbitmqctl call.
 */
export async function closeFromServer(ports: readonly number[]): Promise<void> {
	const { execFile } = await import('node:child_process');
	const list = ports.join(',');
	const code = `[rabbit_networking:close_connection(P, "polku test: closed from the server") || P <- rabbit_networking:connections(), lists:member(proplists:get_value(peer_port, rabbit_networking:connection_info(P, [peer_port])), [${list}])].`;
	await new Promise<void>((resolve, reject) => execFile('rabbitmqctl', ['eval', code], (error) => (error === null ? resolve() : reject(error))));
}

// Helpers for the WebSocket tests: bare `ws` peers (a client that speaks the ack protocol, a server that
// acks like WebSocketInput or not at all), independent of polku's adapters.
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { parseJsonEvents, toJsonEvent, type Message } from '../../src/index.js';
import { encodeIngestBatch } from '../../src/adapters/grpc/index.js';
import { decodeIngestBatch } from '../../src/adapters/grpc/codec/ingest.js';

export interface Ack {
	readonly eventIds: string[];
	readonly errors: { eventId: string; code: string; message: string }[];
	readonly bufferSize: number;
	readonly bufferCapacity: number;
}

/** A bare `ws` client: `send(frame)` resolves with the frame's ack (acks come back in frame order). */
export class AckClient {
	readonly ws: WebSocket;
	readonly acks: Ack[] = [];
	readonly #waiting: ((ack: Ack) => void)[] = [];
	readonly opened: Promise<void>;
	readonly closed: Promise<{ code: number; reason: string }>;

	constructor(url: string, headers: Record<string, string> = {}) {
		this.ws = new WebSocket(url, { headers });
		this.ws.on('error', () => {});
		this.opened = new Promise((resolve, reject) => {
			this.ws.once('open', () => resolve());
			this.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
			this.ws.once('error', reject);
		});
		this.opened.catch(() => {});
		this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
		this.ws.on('message', (data) => {
			const ack = JSON.parse(data.toString()) as Ack;
			this.acks.push(ack);
			this.#waiting.shift()?.(ack);
		});
	}

	send(frame: string | Uint8Array): Promise<Ack> {
		return new Promise((resolve, reject) => {
			this.#waiting.push(resolve);
			this.ws.send(frame, { binary: typeof frame !== 'string' }, (error) => error && reject(error));
		});
	}

	close(): void {
		this.ws.terminate();
	}
}

/** A batch as a JSON-array text frame of POLKU JSON events. */
export function jsonFrame(messages: readonly Message[]): string {
	return `[${messages.map((m) => toJsonEvent(m)).join(',')}]`;
}

/** A batch as a binary protobuf IngestBatch frame. */
export function protobufFrame(messages: readonly Message[]): Uint8Array {
	return encodeIngestBatch(messages, { source: '', cluster: '' });
}

/**
 * A bare `ws` server standing in for any WebSocket peer: it decodes each frame (JSON array / NDJSON of
 * POLKU JSON events, or a protobuf IngestBatch) and, with `ack`, answers with an ack frame listing the ids.
 */
export class BareServer {
	readonly wss: WebSocketServer;
	readonly messages: Message[] = [];
	readonly frames: { data: Buffer; isBinary: boolean }[] = [];
	readonly headers: Record<string, string | string[] | undefined>[] = [];
	/** When set, the next frames are answered with this ack instead (then cleared). */
	nextAck: ((ids: string[]) => object | string) | undefined;
	/** Stop answering (to test ack timeouts). */
	silent = false;

	constructor(readonly ack: boolean) {
		this.wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
		this.wss.on('connection', (ws, request) => {
			this.headers.push(request.headers);
			ws.on('message', (data: Buffer, isBinary) => {
				this.frames.push({ data, isBinary });
				const messages = isBinary ? decodeIngestBatch(data).messages ?? [] : parseJsonEvents(data, data.toString().trimStart().startsWith('[') ? 'json' : 'ndjson');
				this.messages.push(...(messages as Message[]));
				if (!this.ack || this.silent) return;
				const ids = messages.map((m) => m.id);
				const custom = this.nextAck?.(ids);
				this.nextAck = undefined;
				ws.send(typeof custom === 'string' ? custom : JSON.stringify(custom ?? { eventIds: ids, errors: [], bufferSize: 0, bufferCapacity: 0 }));
			});
		});
	}

	get port(): number {
		return (this.wss.address() as AddressInfo).port;
	}

	get url(): string {
		return `ws://127.0.0.1:${this.port}/`;
	}

	/** Drops every connection (the server keeps listening). */
	dropConnections(): void {
		for (const c of this.wss.clients) c.terminate();
	}

	async waitFor(count: number, timeoutMs = 5000): Promise<Message[]> {
		const deadline = Date.now() + timeoutMs;
		while (this.messages.length < count) {
			if (Date.now() > deadline) throw new Error(`bare server: ${this.messages.length} of ${count} messages after ${timeoutMs} ms`);
			await new Promise((r) => setTimeout(r, 5));
		}
		return this.messages.slice();
	}

	close(): Promise<void> {
		for (const c of this.wss.clients) c.terminate();
		return new Promise((resolve) => this.wss.close(() => resolve()));
	}
}

/** Resolves when `check()` is true (polled every 10 ms); rejects after `timeoutMs` with `what`. */
export async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!check()) {
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 10));
	}
}

// A loopback OTLP/HTTP receiver that records what it gets, and OpenTelemetry's own generated protobuf code
// (from @opentelemetry/otlp-transformer, built from the official opentelemetry-proto files) as the independent decoder.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import root from '@opentelemetry/otlp-transformer/build/src/generated/root.js';

export interface ReceivedRequest {
	readonly path: string;
	readonly headers: IncomingHttpHeaders;
	/** The body as sent (compressed if it was). */
	readonly raw: Buffer;
	/** The body after gzip decoding. */
	readonly body: Buffer;
}

/** How the receiver answers a request; default: 200 with an empty protobuf response. */
export type Responder = (res: ServerResponse, req: ReceivedRequest, n: number) => void;

export const ok: Responder = (res) => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();

export class OtlpReceiver {
	readonly requests: ReceivedRequest[] = [];
	respond: Responder = ok;
	readonly #server: Server;
	readonly #waiters = new Set<() => void>();
	port = 0;

	constructor() {
		this.#server = createServer((req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (c: Buffer) => chunks.push(c));
			req.on('end', () => {
				const raw = Buffer.concat(chunks);
				const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
				const received = { path: req.url ?? '', headers: req.headers, raw, body };
				this.requests.push(received);
				this.respond(res, received, this.requests.length);
				for (const wake of [...this.#waiters]) wake();
			});
		});
	}

	async start(port = 0): Promise<this> {
		await new Promise<void>((resolve) => this.#server.listen(port, '127.0.0.1', resolve));
		this.port = (this.#server.address() as AddressInfo).port;
		return this;
	}

	get endpoint(): string {
		return `http://127.0.0.1:${this.port}`;
	}

	/** Resolves once `count` requests arrived; rejects after `timeoutMs`. */
	waitFor(count: number, timeoutMs = 5000): Promise<ReceivedRequest[]> {
		if (this.requests.length >= count) return Promise.resolve(this.requests.slice());
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.#waiters.delete(check);
				reject(new Error(`${this.requests.length} of ${count} requests arrived in ${timeoutMs} ms`));
			}, timeoutMs);
			const check = (): void => {
				if (this.requests.length < count) return;
				clearTimeout(timer);
				this.#waiters.delete(check);
				resolve(this.requests.slice());
			};
			this.#waiters.add(check);
		});
	}

	stop(): Promise<void> {
		this.#server.closeAllConnections();
		return new Promise((resolve) => this.#server.close(() => resolve()));
	}
}

// ---- OpenTelemetry's generated decoder --------------------------------------------------------------------

interface ProtoType {
	decode(bytes: Uint8Array): object;
	encode(message: object): { finish(): Uint8Array };
	fromObject(object: object): object;
	toObject(message: object, options: object): Record<string, unknown>;
}

const proto = (root as unknown as { opentelemetry: { proto: Record<string, any> } }).opentelemetry.proto;
export const LogsRequest: ProtoType = proto['collector'].logs.v1.ExportLogsServiceRequest;
export const LogsResponse: ProtoType = proto['collector'].logs.v1.ExportLogsServiceResponse;
export const TraceRequest: ProtoType = proto['collector'].trace.v1.ExportTraceServiceRequest;
export const TraceResponse: ProtoType = proto['collector'].trace.v1.ExportTraceServiceResponse;
export const MetricsRequest: ProtoType = proto['collector'].metrics.v1.ExportMetricsServiceRequest;

/** What protobufjs' toObject gives, with 64-bit integers as decimal strings and bytes as base64. */
export const TO_OBJECT = { longs: String, bytes: String, enums: Number, defaults: false, oneofs: false } as const;

export function decode(type: ProtoType, bytes: Uint8Array): any {
	return type.toObject(type.decode(bytes), TO_OBJECT);
}

export function encode(type: ProtoType, object: object): Buffer {
	return Buffer.from(type.encode(type.fromObject(object)).finish());
}

/** Attributes as a plain object of their values (`{ key: { stringValue: 'v' } }` → `{ key: 'v' }` for strings). */
export function attributes(list: readonly { key: string; value: Record<string, unknown> }[] | undefined): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	for (const { key, value } of list ?? []) {
		const [kind] = Object.keys(value);
		out[key] = kind === 'stringValue' ? value['stringValue'] : value;
	}
	return out;
}

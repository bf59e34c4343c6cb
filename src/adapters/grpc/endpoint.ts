import { Client, credentials as channelCredentials, Metadata, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import type { GrpcAck } from './codec/ack.js';
import type { ResolvedGrpcOutputOptions } from './output-options.js';
import { gatewayClientService } from './service.js';

/**
 * The state of one GrpcOutput endpoint: `up` (the last call or probe worked),
 * `down` (it failed; probed with `Health` until it works), `unknown` (never
 * contacted).
 *
 * @example
 * ```ts
 * const down = Object.entries(output.endpoints).filter(([, state]) => state === 'down');
 * ```
 */
export type EndpointState = 'unknown' | 'up' | 'down';

interface Waiter {
	resolve(ack: GrpcAck): void;
	reject(error: Error): void;
	timer: NodeJS.Timeout;
}

const { StreamEvents, Health } = gatewayClientService;

/**
 * One downstream `polku.v1.Gateway`: a client, a long-lived `StreamEvents`
 * call opened on first use, and the batches written on it waiting for their
 * Ack (Acks come back in order).
 */
export class Endpoint {
	readonly target: string;
	state: EndpointState = 'unknown';
	/** Why the endpoint was last marked down. */
	lastError: Error | undefined;
	readonly #client: Client;
	readonly #options: ResolvedGrpcOutputOptions;
	readonly #metadata: Metadata;
	#stream: ClientDuplexStream<Buffer, GrpcAck> | undefined;
	readonly #waiting: Waiter[] = [];

	constructor(target: string, options: ResolvedGrpcOutputOptions) {
		this.target = target;
		this.#options = options;
		this.#client = new Client(target, options.credentials ?? channelCredentials.createInsecure(), options.channelOptions);
		this.#metadata = new Metadata();
		for (const [k, v] of Object.entries(options.metadata)) this.#metadata.set(k, v);
	}

	/** Writes one encoded IngestBatch and resolves with its Ack; rejects on a stream failure or timeout. */
	send(batch: Buffer): Promise<GrpcAck> {
		const stream = this.#stream ?? this.#open();
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => this.#timeout(), this.#options.timeoutMs);
			this.#waiting.push({ resolve, reject, timer });
			stream.write(batch);
		});
	}

	/** Calls `Health`; resolves true when the endpoint answers healthy within `timeoutMs`. */
	probe(timeoutMs: number): Promise<boolean> {
		return new Promise((resolve) => {
			this.#client.makeUnaryRequest(
				Health.path,
				Health.requestSerialize,
				Health.responseDeserialize,
				{},
				this.#metadata,
				{ deadline: Date.now() + timeoutMs },
				(error, report) => {
					const healthy = error === null && report?.healthy === true;
					if (healthy) this.state = 'up';
					else this.markDown(error ?? new Error(`${this.target} reports unhealthy`));
					resolve(healthy);
				},
			);
		});
	}

	markDown(error: Error): void {
		this.state = 'down';
		this.lastError = error;
	}

	/** Ends the stream and closes the channel; batches still waiting are rejected. */
	close(): void {
		const stream = this.#stream;
		this.#stream = undefined;
		this.#failAll(new Error(`${this.target}: output closed`));
		stream?.end();
		this.#client.close();
	}

	#open(): ClientDuplexStream<Buffer, GrpcAck> {
		const stream = this.#client.makeBidiStreamRequest(StreamEvents.path, StreamEvents.requestSerialize, StreamEvents.responseDeserialize, this.#metadata);
		this.#stream = stream;
		stream.on('data', (ack: GrpcAck) => {
			const waiter = this.#waiting.shift();
			if (waiter === undefined) return;
			clearTimeout(waiter.timer);
			this.state = 'up';
			waiter.resolve(ack);
		});
		stream.on('error', (error: ServiceError) => this.#lost(stream, new Error(`${this.target}: ${error.message}`, { cause: error }), true));
		stream.on('end', () => this.#lost(stream, new Error(`${this.target}: stream ended by the server`), false));
		return stream;
	}

	/** The current stream failed (`failed`) or was ended by the server: batches waiting on it fail. */
	#lost(stream: ClientDuplexStream<Buffer, GrpcAck>, error: Error, failed: boolean): void {
		if (this.#stream !== stream) return;
		this.#stream = undefined;
		if (failed || this.#waiting.length > 0) this.markDown(error);
		this.#failAll(error);
	}

	#timeout(): void {
		const error = new Error(`${this.target}: no Ack within ${this.#options.timeoutMs} ms`);
		const stream = this.#stream;
		this.#stream = undefined;
		this.markDown(error);
		this.#failAll(error);
		stream?.cancel();
	}

	#failAll(error: Error): void {
		for (const w of this.#waiting.splice(0)) {
			clearTimeout(w.timer);
			w.reject(error);
		}
	}
}

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

/** One StreamEvents call and the batches written on it, waiting for their Acks (in order). */
interface Link {
	readonly stream: ClientDuplexStream<Buffer, GrpcAck>;
	readonly waiting: Waiter[];
}

/** Why a send was given up by its caller: the signal's reason, for the error. */
export class AbandonedError extends Error {}

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
	/** The current call; a link that was cancelled or lost keeps its own (failed) waiters, so a late Ack on it settles nothing else. */
	#link: Link | undefined;

	constructor(target: string, options: ResolvedGrpcOutputOptions) {
		this.target = target;
		this.#options = options;
		this.#client = new Client(target, options.credentials ?? channelCredentials.createInsecure(), options.channelOptions);
		this.#metadata = new Metadata();
		for (const [k, v] of Object.entries(options.metadata)) this.#metadata.set(k, v);
	}

	/**
	 * Writes one encoded IngestBatch and resolves with its Ack; rejects on a
	 * stream failure or timeout. When `signal` aborts (the caller gave up), the
	 * call is cancelled, which fails every batch waiting on it: the Acks come
	 * in order, so one batch cannot leave the queue alone.
	 */
	send(batch: Buffer, signal?: AbortSignal): Promise<GrpcAck> {
		if (signal?.aborted === true) return Promise.reject(new AbandonedError(reasonOf(signal)));
		const link = this.#link ?? this.#open();
		return new Promise((resolve, reject) => {
			const onAbort = (): void => this.#cancel(link, new AbandonedError(reasonOf(signal!)), false);
			const timer = setTimeout(() => this.#cancel(link, new Error(`${this.target}: no Ack within ${this.#options.timeoutMs} ms`), true), this.#options.timeoutMs);
			signal?.addEventListener('abort', onAbort, { once: true });
			link.waiting.push({
				resolve: (ack) => {
					signal?.removeEventListener('abort', onAbort);
					resolve(ack);
				},
				reject: (error) => {
					signal?.removeEventListener('abort', onAbort);
					reject(error);
				},
				timer,
			});
			link.stream.write(batch);
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
		const link = this.#link;
		this.#link = undefined;
		if (link !== undefined) {
			failAll(link, new Error(`${this.target}: output closed`));
			link.stream.end();
		}
		this.#client.close();
	}

	#open(): Link {
		const stream = this.#client.makeBidiStreamRequest(StreamEvents.path, StreamEvents.requestSerialize, StreamEvents.responseDeserialize, this.#metadata);
		const link: Link = { stream, waiting: [] };
		this.#link = link;
		stream.on('data', (ack: GrpcAck) => {
			// Only this call's own batches: an Ack arriving after the call was cancelled finds its queue empty.
			const waiter = link.waiting.shift();
			if (waiter === undefined) return;
			clearTimeout(waiter.timer);
			this.state = 'up';
			waiter.resolve(ack);
		});
		stream.on('error', (error: ServiceError) => this.#lost(link, new Error(`${this.target}: ${error.message}`, { cause: error }), true));
		stream.on('end', () => this.#lost(link, new Error(`${this.target}: stream ended by the server`), false));
		return link;
	}

	/** A call failed (`failed`) or was ended by the server: batches waiting on it fail. */
	#lost(link: Link, error: Error, failed: boolean): void {
		const current = this.#link === link;
		if (current) this.#link = undefined;
		else if (link.waiting.length === 0) return; // a call given up on earlier (its batches already failed)
		if (failed || link.waiting.length > 0) this.markDown(error);
		failAll(link, error);
	}

	/** Gives up on a call: its batches fail with `error` (the endpoint is marked down when `down`). */
	#cancel(link: Link, error: Error, down: boolean): void {
		if (this.#link === link) this.#link = undefined;
		if (down) this.markDown(error);
		failAll(link, error);
		link.stream.cancel();
	}
}

function failAll(link: Link, error: Error): void {
	for (const w of link.waiting.splice(0)) {
		clearTimeout(w.timer);
		w.reject(error);
	}
}

function reasonOf(signal: AbortSignal): string {
	const reason: unknown = signal.reason;
	return reason instanceof Error ? reason.message : String(reason ?? 'aborted');
}

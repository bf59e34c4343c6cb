import type { Message, Output } from '../../index.js';
import { encodeIngestBatch } from './codec/ingest.js';
import { OutputError } from '../../index.js';
import { AbandonedError, Endpoint, type EndpointState } from './endpoint.js';
import { DownstreamRejectedError, EndpointsUnavailableError } from './output-errors.js';
import { resolveOutputOptions, type GrpcOutputOptions, type ResolvedGrpcOutputOptions } from './output-options.js';

/** Longest a `Health` probe may take. */
const PROBE_TIMEOUT_MS = 5000;

/**
 * An output forwarding each batch as one `IngestBatch` to a downstream
 * `polku.v1.Gateway` (POLKU or another polku's {@link GrpcInput}) on a
 * long-lived `StreamEvents` call, and waiting for its Ack. Batches go
 * round-robin to the healthy endpoints; a failed endpoint is marked down,
 * the batch fails over to the next one, and down endpoints are probed with
 * `Health` until they answer. An Ack with errors rejects the send with
 * {@link DownstreamRejectedError}, so the hub retries or dead-letters it.
 *
 * @example
 * ```ts
 * import { Hub } from 'polku';
 * import { GrpcOutput } from 'polku/grpc';
 *
 * const upstream = new GrpcOutput({ endpoints: ['polku-a:50051', 'polku-b:50051'], source: 'edge-7' });
 * const hub = Hub.builder().input(myInput).output(upstream, { retry: { attempts: 5 } }).build();
 * ```
 */
export class GrpcOutput implements Output {
	readonly name: string;
	readonly #options: ResolvedGrpcOutputOptions;
	readonly #endpoints: readonly Endpoint[];
	#next = 0;
	#timer: NodeJS.Timeout | undefined;
	#closed = false;

	constructor(options: GrpcOutputOptions) {
		this.#options = resolveOutputOptions(options);
		this.name = this.#options.name;
		this.#endpoints = this.#options.endpoints.map((target) => new Endpoint(target, this.#options));
	}

	/** Each endpoint's state, by `host:port`. */
	get endpoints(): Readonly<Record<string, EndpointState>> {
		return Object.fromEntries(this.#endpoints.map((e) => [e.target, e.state]));
	}

	/**
	 * Sends one batch; resolves once an endpoint acked every event. When
	 * `signal` aborts (the hub gave up on the send: its `timeoutMs`, or stop's
	 * deadline), the batch's call is cancelled and the send rejects at once,
	 * so the hub's retry never overlaps a send still waiting for its Ack.
	 */
	async send(batch: readonly Message[], signal?: AbortSignal): Promise<void> {
		if (this.#closed) throw new EndpointsUnavailableError(this.name, [new Error('output closed')]);
		const bytes = encodeIngestBatch(batch, this.#options);
		const failures: Error[] = [];
		for (const endpoint of this.#candidates()) {
			this.#next = (this.#endpoints.indexOf(endpoint) + 1) % this.#endpoints.length;
			let ack;
			try {
				ack = await endpoint.send(bytes, signal);
			} catch (error) {
				if (error instanceof AbandonedError) throw new OutputError(this.name, `send to ${endpoint.target} abandoned by the hub: ${error.message}`, { cause: error });
				failures.push(error as Error);
				this.#watch();
				continue;
			}
			if (ack.errors.length > 0) throw new DownstreamRejectedError(this.name, endpoint.target, ack.errors, batch.length);
			return;
		}
		throw new EndpointsUnavailableError(this.name, failures);
	}

	/** True when an endpoint is up; when none is known to be, probes them all first. */
	async health(): Promise<boolean> {
		if (this.#endpoints.some((e) => e.state === 'up')) return true;
		const results = await Promise.all(this.#endpoints.map((e) => e.probe(Math.min(PROBE_TIMEOUT_MS, this.#options.timeoutMs))));
		return results.includes(true);
	}

	/** Ends the streams and closes the channels. */
	async close(): Promise<void> {
		this.#closed = true;
		clearInterval(this.#timer);
		this.#timer = undefined;
		for (const e of this.#endpoints) e.close();
	}

	/** Every endpoint once: the healthy ones from the round-robin position, then those marked down. */
	#candidates(): Endpoint[] {
		const all = this.#endpoints;
		const start = this.#next;
		const healthy: Endpoint[] = [];
		const down: Endpoint[] = [];
		for (let i = 0; i < all.length; i++) {
			const e = all[(start + i) % all.length]!;
			(e.state === 'down' ? down : healthy).push(e);
		}
		return healthy.concat(down);
	}

	/** Probes endpoints marked down every `healthCheckIntervalMs` until none is. */
	#watch(): void {
		if (this.#timer !== undefined || this.#closed) return;
		this.#timer = setInterval(() => {
			const down = this.#endpoints.filter((e) => e.state === 'down');
			if (down.length === 0) {
				clearInterval(this.#timer);
				this.#timer = undefined;
				return;
			}
			for (const e of down) void e.probe(Math.min(PROBE_TIMEOUT_MS, this.#options.healthCheckIntervalMs));
		}, this.#options.healthCheckIntervalMs);
		this.#timer.unref();
	}
}

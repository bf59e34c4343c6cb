import { Server, ServerCredentials } from '@grpc/grpc-js';
import { PolkuError, type Input, type Sink } from '../../index.js';
import { applyFlowControlWindow } from './flow-control.js';
import { Gateway } from './gateway.js';
import { resolveInputOptions, type GrpcInputOptions, type ResolvedGrpcInputOptions } from './input-options.js';
import { InputCounters, type GrpcInputStats } from './input-stats.js';
import { gatewayServerService } from './service.js';

/**
 * Where a {@link GrpcInput} is listening.
 *
 * @example
 * ```ts
 * const { port } = await input.ready; // the port picked for address '127.0.0.1:0'
 * ```
 */
export interface GrpcInputAddress {
	/** The bound port (0 when the input runs on a server you bound yourself). */
	readonly port: number;
	/** The configured address, with the bound port. */
	readonly address: string;
}

/** Extra time `run()` gives `tryShutdown` after the grace period before forcing. */
const SHUTDOWN_SLACK_MS = 1000;

/**
 * An input serving POLKU's `polku.v1.Gateway` gRPC service (`StreamEvents`,
 * `SendEvent`, `Health`), wire-compatible with POLKU clients. Each
 * `IngestBatch` is decoded once, straight into messages, handed to the hub as
 * one batch and answered with one `Ack` listing the ids accepted; every event
 * not accepted is in `Ack.errors` with a code. When the buffer is full under
 * the `block` policy, the stream is not read until there is room, so HTTP/2
 * flow control pushes back on the client.
 *
 * @example
 * ```ts
 * import { Hub } from 'polku';
 * import { GrpcInput } from 'polku/grpc';
 *
 * const input = new GrpcInput({ address: '0.0.0.0:50051' });
 * const hub = Hub.builder().input(input).output(myOutput).build();
 * await hub.start();
 * console.log('listening on', (await input.ready).port);
 * ```
 */
export class GrpcInput implements Input {
	readonly name: string;
	readonly #options: ResolvedGrpcInputOptions;
	readonly #counters = new InputCounters();
	#ready!: Promise<GrpcInputAddress>;
	#resolveReady!: (address: GrpcInputAddress) => void;
	#rejectReady!: (error: Error) => void;
	#readySettled = false;

	constructor(options: GrpcInputOptions = {}) {
		this.#options = resolveInputOptions(options);
		this.name = this.#options.name;
		this.#resetReady();
	}

	/**
	 * Resolves once `run()` has bound the server (or added the service to
	 * yours); rejects if binding failed. A restarted `run()` makes a new one.
	 */
	get ready(): Promise<GrpcInputAddress> {
		return this.#ready;
	}

	/** Requests, events and refusals so far (a snapshot). */
	get stats(): GrpcInputStats {
		return this.#counters.snapshot();
	}

	/** @internal Called by the hub: serves until `signal` aborts, then shuts down gracefully. */
	async run(sink: Sink, signal: AbortSignal): Promise<void> {
		if (signal.aborted) return;
		if (this.#readySettled) this.#resetReady();
		const o = this.#options;
		const own = o.server === undefined;
		const server = o.server ?? new Server(o.serverOptions);
		const gateway = new Gateway(sink, o, this.#counters);
		const service = gatewayServerService(o.maxEventsPerRequest);
		server.addService(service, gateway.handlers);
		try {
			if (own) {
				applyFlowControlWindow(server, o.flowControlWindow);
				const port = await bind(server, o.address, o.credentials ?? ServerCredentials.createInsecure());
				const address = withPort(o.address, port);
				o.logger.info({ input: this.name, address, port }, 'polku grpc input listening');
				this.#resolveReady({ port, address });
			} else {
				this.#resolveReady({ port: 0, address: '' });
			}
		} catch (error) {
			server.removeService(service);
			if (own) server.forceShutdown();
			this.#rejectReady(error as Error);
			throw error;
		}
		await aborted(signal);
		await gateway.close(o.shutdownGraceMs);
		if (own) await shutdown(server, SHUTDOWN_SLACK_MS);
		else server.removeService(service);
	}

	#resetReady(): void {
		this.#readySettled = false;
		this.#ready = new Promise<GrpcInputAddress>((resolve, reject) => {
			this.#resolveReady = (address) => {
				this.#readySettled = true;
				resolve(address);
			};
			this.#rejectReady = (error) => {
				this.#readySettled = true;
				reject(error);
			};
		});
		this.#ready.catch(() => {}); // a failed bind also rejects run(); never an unhandled rejection
	}
}

function bind(server: Server, address: string, credentials: ServerCredentials): Promise<number> {
	return new Promise((resolve, reject) => {
		server.bindAsync(address, credentials, (error, port) => {
			if (error === null) resolve(port);
			else reject(new PolkuError('ERR_POLKU_GRPC_BIND', `GrpcInput could not bind ${address}: ${error.message}`, { cause: error }));
		});
	});
}

function withPort(address: string, port: number): string {
	const i = address.lastIndexOf(':');
	return i === -1 ? `${address}:${port}` : `${address.slice(0, i)}:${port}`;
}

function aborted(signal: AbortSignal): Promise<void> {
	if (signal.aborted) return Promise.resolve();
	return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** `tryShutdown`, then `forceShutdown` if connections are still open after `ms`. */
function shutdown(server: Server, ms: number): Promise<void> {
	return new Promise((resolve) => {
		const timer = setTimeout(() => {
			server.forceShutdown();
			resolve();
		}, ms);
		server.tryShutdown(() => {
			clearTimeout(timer);
			resolve();
		});
	});
}

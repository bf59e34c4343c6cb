import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { toError, type Input, type Sink } from '../../index.js';
import type { AuthResult } from '../http/auth.js';
import { listen, listening } from '../http/listen.js';
import { Connection, type ConnectionHost } from './connection.js';
import { connectionSource, pathOf, refuseUpgrade } from './upgrade.js';
import { resolveWebSocketInputOptions, type ResolvedWebSocketInputOptions, type WebSocketInputOptions } from './websocket-input-options.js';
import { WebSocketInputCounters, type WebSocketInputStats } from './websocket-input-stats.js';
import { loadWs, type WsServer } from './ws-module.js';

/** After the closing handshakes were started on stop, how long before the remaining connections are dropped. */
const CLOSE_HANDSHAKE_MS = 1000;

/**
 * A WebSocket endpoint for agents: on its own port, or on the `path` of your
 * own `http.Server` (sharing it with an `HttpInput`, say). Every frame is one
 * batch: a text frame holds the POLKU JSON event form (one event, an array,
 * or NDJSON: what `HttpInput` reads), a binary frame a protobuf
 * `polku.v1.IngestBatch` (what `GrpcInput` reads). Each frame is answered,
 * in order, with one text frame, the gRPC `Ack` as JSON:
 * `{"eventIds":[…],"errors":[{"eventId","code","message"}],"bufferSize":n,"bufferCapacity":n}`
 * (`eventIds`: the events accepted or filtered; `errors`: one per event not
 * accepted, with a code such as `OVERFLOW`, `REJECTED` or, for a frame that
 * could not be decoded, `INVALID`; an invalid frame is also recorded with
 * `sink.dropInvalid`).
 *
 * Delivery: the ack says the events are in the hub's buffer (at most once
 * from there on); with `ackAfterDelivery` it says every output confirmed
 * them, so a client that resends what was not acked gets at least once (a
 * frame whose connection closes before its ack may have been delivered: the
 * resend is then a duplicate).
 *
 * Auth is checked on the upgrade request (`Authorization: Bearer`): 401
 * before any handshake. Each connection is read only while fewer than
 * `maxPendingFrames` of its frames wait for the hub (under the `block`
 * policy the hub makes them wait when the buffer is full), so TCP pushes
 * back on that client alone. Frames above `maxPayload` close the connection
 * (1009). Connections are pinged every `pingIntervalMs` and dropped without a
 * pong; `idleTimeoutMs` closes silent ones. Idle connections cost no timer
 * each: one sweep covers them all.
 *
 * Needs the optional peer dependency `ws`, loaded when the input runs.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { Hub } from 'polku';
 * import { HttpInput } from 'polku/http';
 * import { WebSocketInput } from 'polku/websocket';
 *
 * const server = createServer();
 * const hub = Hub.builder()
 *   .input(new HttpInput({ server }))                                   // POST /events
 *   .input(new WebSocketInput({ server, path: '/ws', auth: 'token' }))  // ws://host:8080/ws
 *   .output(myOutput)
 *   .build();
 * await hub.start();
 * server.listen(8080);
 * ```
 */
export class WebSocketInput implements Input {
	readonly name: string;
	readonly #o: ResolvedWebSocketInputOptions;
	readonly #counters = new WebSocketInputCounters();
	readonly #connections = new Set<Connection>();
	#host: ConnectionHost | undefined;
	#wss: WsServer | undefined;
	#server: Server | undefined;
	#closing = false;
	#sweeper: NodeJS.Timeout | undefined;
	#lastPing = 0;
	#ready!: Promise<{ port: number }>;
	#resolveReady!: (value: { port: number }) => void;
	#rejectReady!: (error: Error) => void;

	/** @param options - See {@link WebSocketInputOptions}; throws `ConfigError` naming a bad option. */
	constructor(options: WebSocketInputOptions = {}) {
		this.#o = resolveWebSocketInputOptions(options);
		this.name = this.#o.name;
		this.#newReady();
	}

	/**
	 * Resolves with the bound port once the input accepts connections (after
	 * `hub.start()`; with your own `server`, once it listens). Rejects if
	 * listening (or loading `ws`) fails.
	 */
	get ready(): Promise<{ port: number }> {
		return this.#ready;
	}

	/** A snapshot of the input's counters. */
	stats(): WebSocketInputStats {
		return this.#counters.snapshot();
	}

	/** @internal Called by the hub: accepts connections until `signal` aborts, then acks what is in flight and closes them. */
	async run(sink: Sink, signal: AbortSignal): Promise<void> {
		if (signal.aborted) return;
		const o = this.#o;
		const own = o.server === undefined;
		const server = o.server ?? createServer(refuseRequest);
		let port: number | undefined;
		try {
			const ws = await loadWs(`WebSocketInput "${this.name}"`);
			this.#wss ??= new ws.WebSocketServer({ noServer: true, clientTracking: false, maxPayload: o.maxPayload, perMessageDeflate: false });
			this.#host = { sink, options: o, counters: this.#counters, forget: this.#forget };
			this.#closing = false;
			this.#server = server;
			server.on('upgrade', this.#onUpgrade);
			port = own ? await listen(server, o.listen!.host, o.listen!.port) : await listening(server, signal);
		} catch (error) {
			server.off('upgrade', this.#onUpgrade);
			this.#host = undefined;
			const failure = toError(error);
			this.#rejectReady(failure);
			this.#newReady();
			throw failure;
		}
		if (own) server.on('error', (error) => o.logger.error({ input: this.name, err: error }, 'polku websocket input server error'));
		if (port !== undefined && !signal.aborted) {
			this.#resolveReady({ port });
			o.logger.info({ input: this.name, port, path: o.path }, 'polku websocket input listening');
		}
		this.#startSweeper();
		if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
		await this.#shutdown(server, own);
	}

	async #shutdown(server: Server, own: boolean): Promise<void> {
		this.#closing = true;
		clearInterval(this.#sweeper);
		this.#sweeper = undefined;
		const connections = [...this.#connections];
		const drained = Promise.all(connections.map((c) => c.drain()));
		let timer: NodeJS.Timeout | undefined;
		const graceOver = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.#o.shutdownGraceMs)));
		if (await Promise.race([drained.then(() => false), graceOver])) {
			// Frames still waiting for buffer space: withdraw them (acked as OVERFLOW), so clients know to resend.
			const reason = new Error('the input is shutting down');
			for (const c of connections) c.withdraw(reason);
			await Promise.race([drained, new Promise((r) => setTimeout(r, CLOSE_HANDSHAKE_MS))]);
		}
		clearTimeout(timer);
		for (const c of this.#connections) c.close(1001, 'server shutting down');
		await this.#whenAllClosed(CLOSE_HANDSHAKE_MS);
		for (const c of this.#connections) c.terminate();
		await this.#whenAllClosed(100); // a terminated socket reports its close on the next turns
		server.off('upgrade', this.#onUpgrade);
		this.#host = undefined;
		this.#server = undefined;
		if (own) {
			const closed = new Promise((resolve) => server.close(resolve));
			server.closeAllConnections();
			await closed;
		}
	}

	#allClosed: (() => void) | undefined;

	/** Resolves once no connection is left, or after `ms`. */
	async #whenAllClosed(ms: number): Promise<void> {
		if (this.#connections.size === 0) return;
		await new Promise<void>((resolve) => {
			const t = setTimeout(resolve, ms);
			this.#allClosed = () => {
				clearTimeout(t);
				resolve();
			};
		});
		this.#allClosed = undefined;
	}

	#forget = (connection: Connection): void => {
		if (!this.#connections.delete(connection)) return;
		this.#counters.connections--;
		if (this.#connections.size === 0) this.#allClosed?.();
	};

	#onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
		socket.on('error', ignore); // a client resetting mid-handshake must not crash the process
		const o = this.#o;
		if (pathOf(request.url ?? '/') !== o.path) {
			// Someone else's path: leave it to the server's other upgrade listeners, if there are any.
			if (this.#server !== undefined && this.#server.listenerCount('upgrade') <= 1) this.#refuse(socket, 404, `no WebSocket endpoint at ${pathOf(request.url ?? '/')}`);
			return;
		}
		if (this.#host === undefined || this.#closing) return this.#refuse(socket, 503, 'the input is not running', { 'Retry-After': '1' });
		if (this.#connections.size >= o.maxConnections) return this.#refuse(socket, 503, `too many connections (${o.maxConnections})`, { 'Retry-After': '1' });
		const auth = o.auth?.check(request) ?? 'ok';
		if (auth === 'ok') return this.#handshake(request, socket, head);
		if (typeof auth === 'string') return this.#unauthorized(socket, auth);
		auth.then(
			(result) => (result === 'ok' ? this.#handshake(request, socket, head) : this.#unauthorized(socket, result)),
			(error: unknown) => {
				o.logger.error({ input: this.name, err: toError(error) }, 'polku websocket input: the auth verifier failed');
				this.#refuse(socket, 500, 'internal error');
			},
		);
	};

	#handshake(request: IncomingMessage, socket: Duplex, head: Buffer): void {
		const host = this.#host;
		if (host === undefined || this.#closing || socket.destroyed) return this.#refuse(socket, 503, 'the input is not running');
		this.#wss!.handleUpgrade(request, socket, head, (ws) => {
			if (this.#host === undefined || this.#closing) {
				ws.close(1001, 'server shutting down');
				return;
			}
			const connection = new Connection(ws, host, connectionSource(request, this.name));
			this.#connections.add(connection);
			this.#counters.connections++;
			this.#counters.accepted++;
		});
	}

	#unauthorized(socket: Duplex, result: Exclude<AuthResult, 'ok'>): void {
		const challenge = result === 'missing' ? 'Bearer realm="polku"' : 'Bearer realm="polku", error="invalid_token"';
		this.#refuse(socket, 401, result === 'missing' ? 'a bearer token is required' : 'the bearer token is not valid', { 'WWW-Authenticate': challenge });
	}

	#refuse(socket: Duplex, status: number, message: string, headers?: Readonly<Record<string, string>>): void {
		this.#counters.refused++;
		this.#o.logger.debug({ input: this.name, status, message }, 'polku websocket input refused an upgrade');
		refuseUpgrade(socket, status, message, headers);
	}

	/** One timer for every connection: pings (dropping those that missed the last pong) and idle timeouts. */
	#startSweeper(): void {
		const { pingIntervalMs, idleTimeoutMs } = this.#o;
		if (pingIntervalMs === 0 && idleTimeoutMs === 0) return;
		const tick = Math.max(10, Math.min(pingIntervalMs || Infinity, idleTimeoutMs === 0 ? Infinity : idleTimeoutMs / 4));
		this.#lastPing = performance.now();
		this.#sweeper = setInterval(() => {
			const now = performance.now();
			const pinging = pingIntervalMs > 0 && now - this.#lastPing >= pingIntervalMs - tick / 2;
			if (pinging) this.#lastPing = now;
			for (const c of this.#connections) {
				if (idleTimeoutMs > 0 && now - c.lastSeen >= idleTimeoutMs) {
					if (c.close(1000, 'idle timeout')) this.#counters.timedOut++;
				} else if (pinging) {
					if (!c.awaitingPong) c.ping();
					else if (c.terminate()) this.#counters.timedOut++;
				}
			}
		}, tick);
		this.#sweeper.unref();
	}

	#newReady(): void {
		this.#ready = new Promise((resolve, reject) => {
			this.#resolveReady = resolve;
			this.#rejectReady = reject;
		});
		this.#ready.catch(() => {}); // a failure is also raised by run(); don't make it unhandled
	}
}

function ignore(): void {}

/** The input's own server answers plain HTTP requests with 426. */
function refuseRequest(_request: IncomingMessage, response: ServerResponse): void {
	const body = JSON.stringify({ error: 'upgrade-required', message: 'this endpoint speaks WebSocket' });
	response.writeHead(426, { upgrade: 'websocket', connection: 'Upgrade', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}

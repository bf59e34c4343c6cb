import { OutputError, toJsonEvent, type Message, type Output } from '../../index.js';
import { encodeIngestBatch } from '../grpc/codec/ingest.js';
import { DownstreamRejectedError } from '../grpc/output-errors.js';
import { parseAckFrame } from './ack-frame.js';
import { resolveWebSocketOutputOptions, type ResolvedWebSocketOutputOptions, type WebSocketOutputOptions } from './websocket-output-options.js';
import { loadWs, OPEN, type WsSocket } from './ws-module.js';

/** A frame sent, waiting for its ack (acks come back in frame order). */
interface PendingAck {
	readonly count: number;
	readonly resolve: () => void;
	readonly reject: (error: Error) => void;
}

/** A send waiting for the connection. */
interface Waiter {
	readonly resolve: (ws: WsSocket) => void;
	readonly reject: (error: Error) => void;
}

/**
 * Where a {@link WebSocketOutput}'s connection stands.
 *
 * @example
 * ```ts
 * if (output.state !== 'open') console.warn('upstream polku unreachable');
 * ```
 */
export type WebSocketOutputState = 'idle' | 'connecting' | 'open' | 'waiting' | 'closed';

/**
 * An output sending each batch as one frame over a long-lived WebSocket, to
 * a {@link WebSocketInput} of another polku, or to any WebSocket server.
 *
 * A send resolves, with `acks: 'polku'` (the default), when the server
 * answered the frame with its ack frame (one JSON `Ack` per frame, in
 * order); an ack listing errors fails the send with
 * `DownstreamRejectedError` (the hub retries it, so the events the server did
 * accept arrive twice: at least once). With `acks: 'flush'` a send resolves
 * once the frame was written to the socket: the server may still lose it.
 *
 * It connects on first use (or `connect()`), and after a lost connection
 * reconnects by itself with exponential backoff. Frames waiting for an ack
 * when the connection drops fail (the hub retries them, possibly
 * duplicating what the server had processed); a send waits up to `timeoutMs`
 * for a connection, then for its ack, and a missing ack closes the
 * connection (later acks could not be matched anymore). `health()` is false
 * while disconnected; `close()` is idempotent.
 *
 * Needs the optional peer dependency `ws`, loaded when the output connects.
 *
 * @example
 * ```ts
 * import { Hub } from 'polku';
 * import { WebSocketOutput } from 'polku/websocket';
 *
 * const upstream = new WebSocketOutput({ url: 'ws://central:8081/', format: 'protobuf', headers: { authorization: 'Bearer t' } });
 * const hub = Hub.builder().input(myInput).output(upstream, { retry: { attempts: 10, maxDelayMs: 5_000 } }).build();
 * ```
 */
export class WebSocketOutput implements Output {
	readonly name: string;
	readonly #o: ResolvedWebSocketOutputOptions;
	#ws: WsSocket | undefined;
	#state: WebSocketOutputState = 'idle';
	#attempt = 0;
	#retry: NodeJS.Timeout | undefined;
	#lastError: Error | undefined;
	readonly #waiters = new Set<Waiter>();
	#pending: PendingAck[] = [];
	#closing: Promise<void> | undefined;

	/** @param options - See {@link WebSocketOutputOptions}; throws `ConfigError` naming a bad option. */
	constructor(options: WebSocketOutputOptions) {
		this.#o = resolveWebSocketOutputOptions(options);
		this.name = this.#o.name;
	}

	/** The connection's state: `waiting` is the pause before a reconnect. */
	get state(): WebSocketOutputState {
		return this.#state;
	}

	/** Connects now (sends also connect on demand); resolves once open, rejects after `timeoutMs`. */
	async connect(): Promise<void> {
		await this.#open(undefined);
	}

	/** Sends one batch as one frame; resolves per `acks` (see the class). */
	async send(batch: readonly Message[], signal?: AbortSignal): Promise<void> {
		if (batch.length === 0) return;
		const { frame, binary } = this.#encode(batch);
		const ws = await this.#open(signal);
		return new Promise<void>((resolve, reject) => {
			let settled = false;
			const finish = (error: Error | undefined): void => {
				if (settled) return;
				settled = true;
				clearTimeout(timer);
				signal?.removeEventListener('abort', onAbort);
				if (error === undefined) resolve();
				else reject(error);
			};
			const lose = (why: string): void => {
				finish(new OutputError(this.name, why));
				// The frame's ack may still come; a later frame would then take it for its own: start afresh.
				if (this.#o.acks === 'polku') this.#abandon(ws, why);
			};
			const timer = setTimeout(() => lose(`no ${this.#o.acks === 'polku' ? 'ack' : 'flush'} within ${this.#o.timeoutMs} ms`), this.#o.timeoutMs);
			const onAbort = (): void => lose('abandoned by the hub before the ack');
			signal?.addEventListener('abort', onAbort, { once: true });
			if (this.#o.acks === 'polku') {
				this.#pending.push({
					count: batch.length,
					resolve: () => finish(undefined),
					reject: (error) => finish(error),
				});
				ws.send(frame, { binary }, (error) => {
					if (error) finish(new OutputError(this.name, `sending the frame failed: ${error.message}`, { cause: error }));
				});
			} else {
				ws.send(frame, { binary }, (error) => finish(error ? new OutputError(this.name, `sending the frame failed: ${error.message}`, { cause: error }) : undefined));
			}
		});
	}

	/** True while connected; when idle, starts connecting (and is false until that succeeds). */
	health(): boolean {
		if (this.#state === 'idle') this.#connect();
		return this.#state === 'open';
	}

	/** Closes the connection and stops reconnecting; sends still waiting fail. Idempotent. */
	close(): Promise<void> {
		this.#closing ??= (async () => {
			this.#state = 'closed';
			clearTimeout(this.#retry);
			const error = new OutputError(this.name, 'the output is closed');
			for (const w of this.#waiters) w.reject(error);
			this.#waiters.clear();
			this.#failPending(error);
			const ws = this.#ws;
			if (ws === undefined) return;
			await new Promise<void>((resolve) => {
				const timer = setTimeout(() => {
					ws.terminate();
					resolve();
				}, 1000);
				ws.on('close', () => {
					clearTimeout(timer);
					resolve();
				});
				ws.close(1000, 'polku output closed');
			});
		})();
		return this.#closing;
	}

	/** The open socket, once there is one (connecting if needed), within `timeoutMs`. */
	#open(signal: AbortSignal | undefined): Promise<WsSocket> {
		if (this.#state === 'open' && this.#ws !== undefined && this.#ws.readyState === OPEN) return Promise.resolve(this.#ws);
		if (this.#state === 'closed') return Promise.reject(new OutputError(this.name, 'the output is closed'));
		if (signal?.aborted === true) return Promise.reject(new OutputError(this.name, 'abandoned by the hub before connecting'));
		if (this.#state === 'idle') this.#connect();
		return new Promise<WsSocket>((resolve, reject) => {
			const done = (): void => {
				this.#waiters.delete(waiter);
				clearTimeout(timer);
				signal?.removeEventListener('abort', onAbort);
			};
			const waiter: Waiter = {
				resolve: (ws) => {
					done();
					resolve(ws);
				},
				reject: (error) => {
					done();
					reject(error);
				},
			};
			const timer = setTimeout(() => {
				const why = this.#lastError === undefined ? '' : `: ${this.#lastError.message}`;
				waiter.reject(new OutputError(this.name, `could not connect to ${this.#o.url} within ${this.#o.timeoutMs} ms${why}`, { cause: this.#lastError }));
			}, this.#o.timeoutMs);
			const onAbort = (): void => waiter.reject(new OutputError(this.name, 'abandoned by the hub before connecting'));
			signal?.addEventListener('abort', onAbort, { once: true });
			this.#waiters.add(waiter);
		});
	}

	#connect(): void {
		if (this.#state !== 'idle') return;
		this.#state = 'connecting';
		const o = this.#o;
		loadWs(`WebSocketOutput "${this.name}"`).then(
			(mod) => {
				if (this.#state !== 'connecting') return;
				let ws: WsSocket;
				try {
					ws = new mod.WebSocket(o.url, { headers: o.headers, handshakeTimeout: o.timeoutMs, maxPayload: o.maxPayload, perMessageDeflate: false });
				} catch (error) {
					this.#lastError = error as Error;
					this.#state = 'waiting';
					this.#scheduleReconnect();
					return;
				}
				this.#ws = ws;
				ws.on('open', () => this.#onOpen(ws));
				ws.on('message', (data, isBinary) => this.#onFrame(ws, data, isBinary));
				ws.on('error', (error) => (this.#lastError = error));
				ws.on('close', (code, reason) => this.#onClose(ws, code, reason.toString()));
			},
			(error: Error) => {
				// `ws` is not installed: fail what waits; later sends try again (and fail the same way).
				this.#lastError = error;
				this.#state = 'idle';
				for (const w of this.#waiters) w.reject(new OutputError(this.name, error.message, { cause: error }));
			},
		);
	}

	#onOpen(ws: WsSocket): void {
		if (this.#ws !== ws || this.#state !== 'connecting') return;
		this.#state = 'open';
		if (this.#attempt > 0) this.#o.logger.info({ output: this.name, url: this.#o.url, attempts: this.#attempt }, 'polku websocket output reconnected');
		this.#attempt = 0;
		this.#lastError = undefined;
		for (const w of [...this.#waiters]) w.resolve(ws);
	}

	#onFrame(ws: WsSocket, data: Buffer, isBinary: boolean): void {
		if (this.#ws !== ws || this.#o.acks !== 'polku') return;
		const head = this.#pending.shift();
		const ack = isBinary ? 'a binary frame' : parseAckFrame(data.toString('utf8'));
		if (head === undefined || typeof ack === 'string') {
			const why = head === undefined ? 'an ack for no frame' : `a frame that is not an ack (${ack})`;
			this.#o.logger.warn({ output: this.name, url: this.#o.url }, `polku websocket output: the server sent ${why}; reconnecting`);
			head?.reject(new OutputError(this.name, `the server answered with ${why}`));
			this.#abandon(ws, `the server answered with ${why}`);
			return;
		}
		if (ack.errors.length > 0) head.reject(new DownstreamRejectedError(this.name, this.#o.url, ack.errors, head.count));
		else head.resolve();
	}

	/** Drops a connection whose acks can no longer be matched to frames, at once (its close event comes later). */
	#abandon(ws: WsSocket, why: string): void {
		if (this.#ws !== ws) return;
		ws.terminate();
		this.#onClose(ws, 1006, why);
	}

	#onClose(ws: WsSocket, code: number, reason: string): void {
		if (this.#ws !== ws) return;
		this.#ws = undefined;
		ws.removeAllListeners();
		ws.on('error', () => {});
		const why = this.#lastError?.message ?? `closed with ${code}${reason === '' ? '' : ` ${reason}`}`;
		this.#failPending(new OutputError(this.name, `the connection to ${this.#o.url} was lost before the ack (${why})`));
		if (this.#state === 'closed') return;
		if (this.#state === 'open') this.#o.logger.warn({ output: this.name, url: this.#o.url, code, reason }, 'polku websocket output: connection lost; reconnecting');
		this.#state = 'waiting';
		this.#scheduleReconnect();
	}

	#scheduleReconnect(): void {
		const { baseDelayMs, maxDelayMs } = this.#o;
		const delay = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(this.#attempt, 30)) * (0.8 + Math.random() * 0.4);
		this.#attempt++;
		this.#retry = setTimeout(() => {
			this.#retry = undefined;
			if (this.#state !== 'waiting') return;
			this.#state = 'idle';
			this.#connect();
		}, delay);
		this.#retry.unref();
	}

	#failPending(error: Error): void {
		const pending = this.#pending;
		this.#pending = [];
		for (const p of pending) p.reject(error);
	}

	#encode(batch: readonly Message[]): { frame: string | Buffer; binary: boolean } {
		const o = this.#o;
		if (o.format === 'protobuf') return { frame: encodeIngestBatch(batch, { source: o.source, cluster: o.cluster }), binary: true };
		const encoding = o.payloadEncoding;
		let out = o.format === 'json' ? '[' : '';
		for (let i = 0; i < batch.length; i++) {
			if (o.format === 'ndjson') out += toJsonEvent(batch[i]!, encoding) + '\n';
			else out += (i === 0 ? '' : ',') + toJsonEvent(batch[i]!, encoding);
		}
		return { frame: o.format === 'json' ? out + ']' : out, binary: false };
	}
}

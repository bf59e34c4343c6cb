import { freezeMetadata, newMetadata, PolkuError, type BatchOutcome, type DeliveryBatchOutcome, type Message, type Sink } from '../../index.js';
import { ackFromDelivery, ackFromFailures, ackFromSend, ackFromSinkError } from '../grpc/acks.js';
import type { GrpcAck } from '../grpc/codec/ack.js';
import { Withdrawal } from '../http/withdrawal.js';
import { decodeFrame } from './frames.js';
import type { WebSocketInputCounters } from './websocket-input-stats.js';
import type { ResolvedWebSocketInputOptions } from './websocket-input-options.js';
import { OPEN, type WsSocket } from './ws-module.js';

/** Where a `ws` socket keeps its Connection, for the shared listeners. */
const CONNECTION = Symbol('polku.connection');

function onMessage(this: WsSocket, data: Buffer, isBinary: boolean): void {
	Connection.message(this, data, isBinary);
}

function onPong(this: WsSocket): void {
	Connection.pong(this);
}

function onClose(this: WsSocket): void {
	Connection.closed(this);
}

function onError(this: WsSocket, error: Error): void {
	Connection.failed(this, error);
}

/** Acks handed to `ws` but not yet written to the socket before the connection stops being read (the client is not reading them). */
const MAX_UNWRITTEN_ACKS = 64;

/** What a connection needs from the input that accepted it. */
export interface ConnectionHost {
	readonly sink: Sink;
	readonly options: ResolvedWebSocketInputOptions;
	readonly counters: WebSocketInputCounters;
	/** The connection closed: forget it. */
	forget(connection: Connection): void;
}

/** One frame handed to the sink, waiting for its outcome; acks leave in frame order. */
interface PendingFrame {
	ack: string | undefined;
	readonly withdraw: Withdrawal | undefined;
}

/**
 * One WebSocket connection of a {@link WebSocketInput}: decodes each frame
 * once, hands its events to the sink as one batch, and answers every frame
 * with one ack frame (the gRPC `Ack` as JSON), in frame order. Frames go to
 * the sink one at a time (each once the previous one is admitted), or with
 * `ackAfterDelivery` up to `maxPendingFrames` at a time; the others wait in
 * the connection. Once `maxPendingFrames` frames wait, or
 * `MAX_UNWRITTEN_ACKS` acks wait for the client to read them, the connection
 * is not read (TCP pushes back on the client) until there is room; the
 * frames of the socket read in progress still arrive and wait here.
 */
export class Connection {
	readonly #ws: WsSocket;
	readonly #host: ConnectionHost;
	readonly #source: string;
	readonly #queue: PendingFrame[] = [];
	/** Frames read while `maxPendingFrames` were in the hub (the rest of a socket read after the pause): at most one read's worth. */
	readonly #backlog: { readonly data: Buffer; readonly isBinary: boolean }[] = [];
	/** Frames handed to the sink and not settled yet. */
	#inHub = 0;
	/**
	 * Frames in the sink at once: 1 when acking on admission (the next frame
	 * goes in once the previous one is admitted, so frames keep their order
	 * even while the buffer is full); `maxPendingFrames` with
	 * `ackAfterDelivery` (delivery takes a flush interval or more).
	 */
	readonly #concurrency: number;
	#unwritten = 0;
	#paused = false;
	#closed = false;
	#stopping = false;
	#terminated = false;
	#idle: (() => void) | undefined;
	/** `performance.now()` of the last frame (or of the connection). */
	lastSeen = performance.now();
	/** A ping was sent and no pong (or frame) came back yet. */
	awaitingPong = false;

	constructor(ws: WsSocket, host: ConnectionHost, source: string) {
		this.#ws = ws;
		this.#host = host;
		this.#source = source;
		this.#concurrency = host.options.ackAfterDelivery ? host.options.maxPendingFrames : 1;
		// Shared listeners (no closures per connection: idle connections should cost little).
		(ws as unknown as Record<symbol, Connection>)[CONNECTION] = this;
		ws.on('message', onMessage);
		ws.on('pong', onPong);
		ws.on('close', onClose);
		ws.on('error', onError);
	}

	/** Pings the client (keep-alive). */
	ping(): void {
		this.awaitingPong = true;
		if (this.#ws.readyState === OPEN) this.#ws.ping();
	}

	/** Starts the closing handshake; false when it had already started. */
	close(code: number, reason: string): boolean {
		if (this.#closed || this.#ws.readyState !== OPEN) return false;
		this.#ws.close(code, reason);
		// Read again, or the client's close frame would never be seen (frames are ignored once closing).
		this.#stopping = true;
		if (this.#paused) {
			this.#paused = false;
			this.#ws.resume();
		}
		return true;
	}

	/** Drops the connection at once (no closing handshake); false when it was already gone. */
	terminate(): boolean {
		if (this.#closed || this.#terminated) return false;
		this.#terminated = true;
		this.#ws.terminate();
		return true;
	}

	/** Stops reading; resolves once every frame already received is acked (or the connection closed). */
	drain(): Promise<void> {
		this.#stopping = true;
		this.#pause();
		if ((this.#queue.length === 0 && this.#backlog.length === 0) || this.#closed) return Promise.resolve();
		return new Promise((resolve) => (this.#idle = resolve));
	}

	/** Gives up waiting for buffer space for the frames still being admitted (they are acked with `OVERFLOW`). */
	withdraw(reason: Error): void {
		for (const p of this.#queue) p.withdraw?.abort(reason);
	}

	/** @internal */
	static message(ws: WsSocket, data: Buffer, isBinary: boolean): void {
		const c = (ws as unknown as Record<symbol, Connection | undefined>)[CONNECTION];
		if (c !== undefined) c.#onMessage(data, isBinary);
	}

	/** @internal */
	static pong(ws: WsSocket): void {
		const c = (ws as unknown as Record<symbol, Connection | undefined>)[CONNECTION];
		if (c !== undefined) c.awaitingPong = false;
	}

	/** @internal */
	static closed(ws: WsSocket): void {
		const c = (ws as unknown as Record<symbol, Connection | undefined>)[CONNECTION];
		if (c !== undefined) c.#onClose();
	}

	/** @internal */
	static failed(ws: WsSocket, error: Error): void {
		const c = (ws as unknown as Record<symbol, Connection | undefined>)[CONNECTION];
		if (c === undefined) return;
		const { options } = c.#host;
		options.logger.debug({ input: options.name, err: error }, 'polku websocket input: connection error');
	}

	#onMessage(data: Buffer, isBinary: boolean): void {
		if (this.#closed || this.#stopping) return;
		this.#host.counters.frames++;
		this.lastSeen = performance.now();
		this.awaitingPong = false;
		if (this.#inHub >= this.#concurrency || this.#backlog.length > 0) {
			// Wait here, not in the hub: behind the frame being admitted, or read before the pause took effect.
			this.#backlog.push({ data, isBinary });
			if (this.#inHub + this.#backlog.length >= this.#host.options.maxPendingFrames) this.#pause();
			return;
		}
		this.#take(data, isBinary);
	}

	/** Decodes a frame and hands its events to the sink. */
	#take(data: Buffer, isBinary: boolean): void {
		const { sink, options, counters } = this.#host;
		const decoded = decodeFrame(data, isBinary, this.#source);
		const messages = decoded.messages;
		if (messages === undefined) {
			counters.invalidFrames++;
			const problem = decoded.failures.map((f) => f.message).join('; ');
			options.logger.debug({ input: options.name, problem }, 'polku websocket input: invalid frame');
			const metadata = newMetadata();
			metadata['polku.websocket.frame'] = isBinary ? 'binary' : 'text';
			freezeMetadata(metadata);
			sink.dropInvalid({ source: this.#source, messageType: 'polku.invalid', payload: data, metadata }, new PolkuError('ERR_POLKU_INVALID_FRAME', problem));
			this.#queue.push({ ack: JSON.stringify(ackFromFailures(decoded.failures, sink)), withdraw: undefined });
			this.#flush();
			return;
		}
		counters.events += messages.length;
		const pending: PendingFrame = { ack: undefined, withdraw: new Withdrawal() };
		this.#queue.push(pending);
		this.#inHub++;
		if (this.#inHub + this.#backlog.length >= options.maxPendingFrames) this.#pause();
		const batchOptions = { signal: pending.withdraw! };
		if (options.ackAfterDelivery) {
			sink.deliverBatch(messages, batchOptions).then(
				(outcome: DeliveryBatchOutcome) => this.#settle(pending, ackFromDelivery(messages, outcome, sink, false)),
				(error: unknown) => this.#settle(pending, ackFromSinkError(messages, error, sink)),
			);
		} else {
			sink.sendBatch(messages as readonly Message[], batchOptions).then(
				(outcome: BatchOutcome) => this.#settle(pending, ackFromSend(messages, outcome, sink, false)),
				(error: unknown) => this.#settle(pending, ackFromSinkError(messages, error, sink)),
			);
		}
	}

	#settle(pending: PendingFrame, ack: GrpcAck): void {
		pending.ack = JSON.stringify(ack);
		this.#inHub--;
		this.#flush();
		this.#takeBacklog();
	}

	/** Hands waiting frames to the sink, as many as may be there at once. */
	#takeBacklog(): void {
		const backlog = this.#backlog;
		while (backlog.length > 0 && this.#inHub < this.#concurrency && !this.#closed) {
			const frame = backlog.shift()!;
			this.#take(frame.data, frame.isBinary);
		}
		this.#maybeResume();
	}

	/** Sends the acks at the head of the queue that are ready, then resumes reading if there is room. */
	#flush(): void {
		const queue = this.#queue;
		while (queue.length > 0 && queue[0]!.ack !== undefined) {
			const ack = queue.shift()!.ack!;
			if (this.#closed || this.#ws.readyState !== OPEN) continue;
			this.#unwritten++;
			this.#ws.send(ack, { binary: false }, (this.#written ??= () => this.#ackWritten()));
		}
		if (this.#unwritten >= MAX_UNWRITTEN_ACKS) this.#pause();
		if (queue.length === 0 && this.#backlog.length === 0 && this.#idle !== undefined) {
			const idle = this.#idle;
			this.#idle = undefined;
			idle();
		}
		this.#maybeResume();
	}

	/** The send callback of acks (made on the first ack: idle connections do without). */
	#written: (() => void) | undefined;

	#ackWritten(): void {
		this.#unwritten--;
		this.#maybeResume();
	}

	#pause(): void {
		if (this.#paused || this.#closed) return;
		this.#paused = true;
		this.#host.counters.pauses++;
		this.#ws.pause();
	}

	#maybeResume(): void {
		if (!this.#paused || this.#closed || this.#stopping) return;
		if (this.#inHub + this.#backlog.length >= this.#host.options.maxPendingFrames || this.#unwritten >= MAX_UNWRITTEN_ACKS) return;
		this.#paused = false;
		this.#ws.resume();
	}

	#onClose(): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#host.forget(this);
		const idle = this.#idle;
		this.#idle = undefined;
		idle?.();
	}
}

import { status, type ServerDuplexStream, type StatusObject } from '@grpc/grpc-js';
import type { BatchOutcome, DeliveryBatchOutcome, Sink } from '../../index.js';
import { ackFromDelivery, ackFromFailures, ackFromSend, ackFromSinkError } from './acks.js';
import { checkAuth } from './auth.js';
import type { GrpcAck } from './codec/ack.js';
import { setMetadata } from './codec/event.js';
import type { DecodedEvents } from './codec/json-events.js';
import type { ResolvedGrpcInputOptions } from './input-options.js';
import type { InputCounters } from './input-stats.js';
import { Withdrawal } from '../http/withdrawal.js';

/** What a call handler needs from the gateway that runs it. */
export interface GatewayHost {
	readonly sink: Sink;
	readonly options: ResolvedGrpcInputOptions;
	readonly counters: InputCounters;
	/** The session ended; forget it. */
	forget(session: StreamSession): void;
}

/** One batch handed to the sink, waiting for its outcome; acks leave in arrival order. */
interface PendingAck {
	ack: GrpcAck | undefined;
	/** Withdraws the batch's events still waiting for buffer space (the call ended: nobody gets their Ack). */
	readonly withdraw: Withdrawal | undefined;
}

type StatusInit = Pick<StatusObject, 'code' | 'details'>;

const SHUTTING_DOWN: StatusInit = { code: status.UNAVAILABLE, details: 'polku gRPC input is shutting down' };

/**
 * Serves one `StreamEvents` call: decodes each IngestBatch once (in the
 * service's deserializer), hands the whole batch to the sink, and writes
 * exactly one Ack per batch, in order. At most `maxPendingBatches` batches are
 * admitted at once; beyond that (or while the client does not read its Acks)
 * the call stops being read, so HTTP/2 flow control pushes back on the client.
 * When the call ends before its batches are acked (the client cancelled, its
 * deadline passed, or shutdown cut it), the events still waiting for buffer
 * space are withdrawn: the client resends them, so admitting them later would
 * duplicate them.
 */
export class StreamSession {
	readonly #call: ServerDuplexStream<DecodedEvents, GrpcAck>;
	readonly #host: GatewayHost;
	readonly #queue: PendingAck[] = [];
	#authorization: string | undefined;
	#clientDone = false;
	#ended = false;
	#writeBlocked = false;
	#stopping = false;
	#idle: (() => void) | undefined;

	constructor(call: ServerDuplexStream<DecodedEvents, GrpcAck>, host: GatewayHost) {
		this.#call = call;
		this.#host = host;
	}

	/** Authenticates the call, then starts reading it. */
	start(): void {
		const call = this.#call;
		call.on('error', () => this.#closed());
		call.on('close', () => this.#closed());
		call.on('cancelled', () => this.#closed());
		const { auth, forwardAuthorization } = this.#host.options;
		if (forwardAuthorization) {
			const header = call.metadata.get('authorization')[0];
			if (typeof header === 'string') this.#authorization = header;
		}
		if (auth === undefined) return this.#listen();
		const verdict = checkAuth(auth, call.metadata, { method: 'StreamEvents', peer: call.getPeer() });
		if (verdict instanceof Promise) void verdict.then((v) => this.#authorized(v));
		else this.#authorized(verdict);
	}

	/** Stops reading; resolves once every batch already handed over is acked, then ends the call. */
	stop(): Promise<void> {
		this.#stopping = true;
		if (!this.#ended) this.#call.pause();
		if (this.#queue.length === 0) {
			this.#finish();
			return Promise.resolve();
		}
		return new Promise((resolve) => (this.#idle = resolve));
	}

	/** Ends the call with `UNAVAILABLE` now; batches not yet acked stay un-acked (the client resends them). */
	abort(): void {
		this.#end(SHUTTING_DOWN);
	}

	#authorized(reason: string | undefined): void {
		if (this.#ended) return;
		if (reason !== undefined) {
			this.#host.counters.unauthenticated++;
			this.#end({ code: status.UNAUTHENTICATED, details: reason });
		} else if (this.#stopping) this.#finish();
		else this.#listen();
	}

	#listen(): void {
		this.#call.on('data', this.#onData);
		this.#call.on('end', this.#onEnd);
	}

	#onData = (decoded: DecodedEvents): void => {
		if (this.#ended || this.#stopping) return;
		const pending: PendingAck = { ack: undefined, withdraw: decoded.messages === undefined ? undefined : new Withdrawal() };
		this.#queue.push(pending);
		const host = this.#host;
		const { sink, counters } = host;
		const messages = decoded.messages;
		counters.requests++;
		if (messages === undefined) {
			counters.invalid++;
			pending.ack = ackFromFailures(decoded.failures, sink);
			this.#flush();
			return;
		}
		counters.events += messages.length;
		if (this.#authorization !== undefined) for (const m of messages) setMetadata(m, 'authorization', this.#authorization);
		if (this.#queue.length >= host.options.maxPendingBatches) this.#call.pause();
		const stats = host.options.ackStats;
		if (host.options.ackAfterDelivery) {
			sink.deliverBatch(messages, { signal: pending.withdraw! }).then(
				(outcome: DeliveryBatchOutcome) => {
					counters.processed += outcome.delivered + outcome.filtered;
					this.#settle(pending, ackFromDelivery(messages, outcome, sink, stats));
				},
				(error: unknown) => this.#settle(pending, ackFromSinkError(messages, error, sink)),
			);
		} else {
			sink.sendBatch(messages, { signal: pending.withdraw! }).then(
				(outcome: BatchOutcome) => {
					counters.processed += outcome.accepted + outcome.filtered;
					this.#settle(pending, ackFromSend(messages, outcome, sink, stats));
				},
				(error: unknown) => this.#settle(pending, ackFromSinkError(messages, error, sink)),
			);
		}
	};

	#onEnd = (): void => {
		this.#clientDone = true;
		if (this.#queue.length === 0) this.#end(undefined);
	};

	#settle(pending: PendingAck, ack: GrpcAck): void {
		pending.ack = ack;
		this.#flush();
	}

	/** Writes the acks at the head of the queue that are ready, then resumes reading if there is room. */
	#flush(): void {
		const queue = this.#queue;
		const call = this.#call;
		while (queue.length > 0 && queue[0]!.ack !== undefined) {
			const ack = queue.shift()!.ack!;
			if (!this.#ended && !call.write(ack) && !this.#writeBlocked) {
				// The client is not reading its Acks: stop reading its batches until it does.
				this.#writeBlocked = true;
				call.pause();
				call.once('drain', this.#drained);
			}
		}
		if (queue.length === 0) {
			if (this.#stopping) return this.#finish();
			if (this.#clientDone) return this.#end(undefined);
		}
		this.#maybeResume();
	}

	#drained = (): void => {
		this.#writeBlocked = false;
		this.#maybeResume();
	};

	#maybeResume(): void {
		if (this.#ended || this.#stopping || this.#writeBlocked) return;
		if (this.#queue.length < this.#host.options.maxPendingBatches && this.#call.isPaused()) this.#call.resume();
	}

	/** Graceful end after stop(): OK when the client had finished sending, else UNAVAILABLE. */
	#finish(): void {
		this.#end(this.#clientDone ? undefined : SHUTTING_DOWN);
		const idle = this.#idle;
		this.#idle = undefined;
		idle?.();
	}

	#end(error: StatusInit | undefined): void {
		if (this.#ended) return;
		this.#ended = true;
		this.#withdrawAll();
		if (error === undefined) this.#call.end();
		else this.#call.emit('error', error);
		this.#host.forget(this);
	}

	/** The call is over: nobody will read the Acks of the batches still queued, so withdraw what they still wait for. */
	#withdrawAll(): void {
		for (const pending of this.#queue) pending.withdraw?.abort(new Error('the stream ended before the batch was admitted'));
	}

	#closed(): void {
		this.#withdrawAll();
		if (!this.#ended) {
			this.#ended = true;
			this.#host.forget(this);
		}
		const idle = this.#idle;
		this.#idle = undefined;
		idle?.();
	}
}

import { status, type sendUnaryData, type ServerDuplexStream, type ServerUnaryCall, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { BatchOutcome, DeliveryBatchOutcome, Sink } from '../../index.js';
import { AdmissionDeadlines, TIMED_OUT } from '../http/admission-deadlines.js';
import { Withdrawal } from '../http/withdrawal.js';
import { ackFromDelivery, ackFromSend, ackFromSinkError } from './acks.js';
import { checkAuth } from './auth.js';
import type { GrpcAck } from './codec/ack.js';
import { setMetadata, type DecodedMessage } from './codec/event.js';
import type { GrpcHealthReport } from './codec/health.js';
import type { DecodedEvents } from './codec/json-events.js';
import type { ResolvedGrpcInputOptions } from './input-options.js';
import type { InputCounters } from './input-stats.js';
import { StreamSession, type GatewayHost } from './stream-session.js';

const MAX_DETAILS = 2000;

/**
 * The `polku.v1.Gateway` implementation behind one `GrpcInput.run()`: the
 * three handlers, the live streams, and the counters `Health` reports.
 */
export class Gateway implements GatewayHost {
	readonly sink: Sink;
	readonly options: ResolvedGrpcInputOptions;
	readonly counters: InputCounters;
	readonly startedAt = performance.now();
	#closing = false;
	#unary = 0;
	#unaryIdle: (() => void) | undefined;
	readonly #sessions = new Set<StreamSession>();
	readonly #deadlines: AdmissionDeadlines;

	constructor(sink: Sink, options: ResolvedGrpcInputOptions, counters: InputCounters) {
		this.sink = sink;
		this.options = options;
		this.counters = counters;
		this.#deadlines = new AdmissionDeadlines(options.backpressureTimeoutMs);
	}

	/** Handlers for `server.addService(gatewayServerService(…), …)`. */
	get handlers(): UntypedServiceImplementation {
		return { StreamEvents: this.#streamEvents, SendEvent: this.#sendEvent, Health: this.#health };
	}

	forget(session: StreamSession): void {
		if (this.#sessions.delete(session)) this.counters.openStreams--;
	}

	/**
	 * Refuses new calls, lets in-flight batches be acked for up to `graceMs`,
	 * then ends every stream (`UNAVAILABLE` where batches are still un-acked).
	 */
	async close(graceMs: number): Promise<void> {
		this.#closing = true;
		const sessions = [...this.#sessions];
		const unaryDone = this.#unary === 0 ? undefined : new Promise<void>((resolve) => (this.#unaryIdle = resolve));
		let timer: NodeJS.Timeout | undefined;
		const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
		await Promise.race([Promise.all([...sessions.map((s) => s.stop()), unaryDone]), deadline]);
		clearTimeout(timer);
		for (const s of sessions) s.abort();
	}

	#streamEvents = (call: ServerDuplexStream<DecodedEvents, GrpcAck>): void => {
		if (this.#closing) {
			call.emit('error', { code: status.UNAVAILABLE, details: 'polku gRPC input is shutting down' });
			return;
		}
		const session = new StreamSession(call, this);
		this.#sessions.add(session);
		this.counters.openStreams++;
		session.start();
	};

	#sendEvent = (call: ServerUnaryCall<DecodedEvents, GrpcAck>, callback: sendUnaryData<GrpcAck>): void => {
		if (this.#closing) return callback({ code: status.UNAVAILABLE, details: 'polku gRPC input is shutting down' });
		const auth = this.options.auth;
		this.#unary++;
		const done: sendUnaryData<GrpcAck> = (error, value) => {
			callback(error, value);
			if (--this.#unary === 0 && this.#unaryIdle !== undefined) this.#unaryIdle();
		};
		if (auth === undefined) return this.#admitOne(call, done);
		const verdict = checkAuth(auth, call.metadata, { method: 'SendEvent', peer: call.getPeer() });
		const next = (reason: string | undefined): void => {
			if (reason === undefined) return this.#admitOne(call, done);
			this.counters.unauthenticated++;
			done({ code: status.UNAUTHENTICATED, details: reason });
		};
		if (verdict instanceof Promise) void verdict.then(next);
		else next(verdict);
	};

	#admitOne(call: ServerUnaryCall<DecodedEvents, GrpcAck>, done: sendUnaryData<GrpcAck>): void {
		const { sink, options, counters } = this;
		const messages = call.request.messages;
		counters.requests++;
		if (messages === undefined) {
			counters.invalid++;
			const details = call.request.failures.map((f) => f.message).join('; ');
			return done({ code: status.INVALID_ARGUMENT, details: details.length > MAX_DETAILS ? `${details.slice(0, MAX_DETAILS)}…` : details });
		}
		counters.events += messages.length;
		if (options.forwardAuthorization) forwardAuthorization(call, messages);
		// A caller that gave up (cancelled, or its deadline passed) withdraws what is not admitted yet: its
		// retry would otherwise duplicate events admitted after it was told the call failed.
		const withdraw = new Withdrawal();
		const onCancel = (): void => withdraw.abort(new Error('the client cancelled the call or its deadline passed'));
		call.once('cancelled', onCancel);
		if (call.cancelled) onCancel();
		// A call with a deadline sooner than backpressureTimeoutMs gives up a little before it, so the
		// client gets a definite RESOURCE_EXHAUSTED (retry) rather than an ambiguous DEADLINE_EXCEEDED.
		const untilDeadline = Number(call.getDeadline()) - Date.now();
		const callTimer =
			untilDeadline < options.backpressureTimeoutMs
				? setTimeout(() => withdraw.abort(new Error('the call was about to pass its deadline')), Math.max(0, untilDeadline - deadlineMargin(untilDeadline)))
				: undefined;
		this.#admit(messages, withdraw).then(({ outcome, timedOut }) => {
			clearTimeout(callTimer);
			call.off('cancelled', onCancel);
			const delivered = 'delivered' in outcome;
			const refused: readonly { readonly reason: string }[] = delivered ? outcome.failed : outcome.dropped;
			counters.processed += (delivered ? outcome.delivered : outcome.accepted) + outcome.filtered;
			if (refused.length > 0 && refused.length === messages.length && refused.every((d) => d.reason === 'overflow')) {
				const what = messages.length === 1 ? 'event' : `${messages.length} events`;
				const details = timedOut
					? `buffer full (${sink.bufferSize}/${sink.bufferCapacity}) for ${options.backpressureTimeoutMs} ms: ${what} withdrawn; retry later`
					: withdraw.aborted
						? `buffer full (${sink.bufferSize}/${sink.bufferCapacity}) until the call's deadline: ${what} withdrawn; retry later`
						: `buffer full (${sink.bufferSize}/${sink.bufferCapacity}): ${what} dropped under the overflow policy`;
				return done({ code: status.RESOURCE_EXHAUSTED, details });
			}
			done(null, delivered ? ackFromDelivery(messages, outcome, sink, options.ackStats) : ackFromSend(messages, outcome, sink, options.ackStats));
		}, (error: unknown) => {
			clearTimeout(callTimer);
			call.off('cancelled', onCancel);
			done(null, ackFromSinkError(messages, error, sink));
		});
	}

	/** Hands a SendEvent's messages to the hub; withdraws what still waits for space after `backpressureTimeoutMs`. */
	async #admit(messages: DecodedMessage[], withdraw: Withdrawal): Promise<{ outcome: BatchOutcome | DeliveryBatchOutcome; timedOut: boolean }> {
		const { sink, options } = this;
		const pending: Promise<BatchOutcome | DeliveryBatchOutcome> = options.ackAfterDelivery
			? sink.deliverBatch(messages, { signal: withdraw })
			: sink.sendBatch(messages, { signal: withdraw });
		const outcome = await this.#deadlines.wait(pending);
		if (outcome !== TIMED_OUT) return { outcome, timedOut: false };
		withdraw.abort(new Error(`the buffer stayed full for ${options.backpressureTimeoutMs} ms`));
		return { outcome: await pending, timedOut: true };
	}

	#health = (_call: ServerUnaryCall<unknown, GrpcHealthReport>, callback: sendUnaryData<GrpcHealthReport>): void => {
		const custom = this.options.health;
		if (custom === undefined) return callback(null, this.#defaultHealth());
		const unhealthy = (error: unknown): void =>
			callback(null, { healthy: false, components: { health: { healthy: false, message: error instanceof Error ? error.message : String(error) } } });
		try {
			Promise.resolve(custom()).then((report) => callback(null, report), unhealthy);
		} catch (error) {
			unhealthy(error);
		}
	};

	#defaultHealth(): GrpcHealthReport {
		const { sink } = this;
		const healthy = !this.#closing;
		return {
			healthy,
			components: { [this.options.name]: { healthy, message: `${healthy ? 'serving' : 'shutting down'}; buffer ${sink.bufferSize}/${sink.bufferCapacity}` } },
			uptimeSeconds: Math.floor((performance.now() - this.startedAt) / 1000),
			eventsProcessed: this.counters.processed,
		};
	}
}

/** How long before a call's deadline a waiting SendEvent gives up: a tenth of the time left, 5 to 100 ms. */
function deadlineMargin(untilDeadline: number): number {
	return Math.min(100, Math.max(5, untilDeadline / 10));
}

function forwardAuthorization(call: ServerUnaryCall<DecodedEvents, GrpcAck>, messages: DecodedMessage[]): void {
	const header = call.metadata.get('authorization')[0];
	if (typeof header === 'string') for (const m of messages) setMetadata(m, 'authorization', header);
}

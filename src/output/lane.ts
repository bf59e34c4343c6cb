import { CircuitOpenError, DROP_REASONS, PolkuError, SendTimeoutError, toError, type DropReason } from '../errors.js';
import type { Delivery } from '../hub/delivery.js';
import type { OutputStats } from '../hub/stats.js';
import { backoffDelay, type ResolvedRetry } from '../hub/options.js';
import type { Message } from '../message/message.js';
import type { Output } from './output.js';
import { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './resilience/circuit-breaker.js';

/** Where a lane takes its messages from: its view of the hub buffer, or a dead-letter queue. */
export interface LaneSource {
	pending(): number;
	/** Messages ever routed to this lane. */
	routed(): number;
	take(max: number, into: Message[], keys: (Delivery | undefined)[] | undefined): number;
	readonly hasKeys: boolean;
	/** Removes everything left, calling `dropped` for each message. */
	clear(dropped: (message: Message, key: Delivery | undefined) => void): void;
	/** Changes the most messages that may wait here (the hub buffer's per-output limit); absent for a dead-letter queue. */
	setLimit?(limit: number): void;
	/** The limit now. */
	limit?(): number;
}

/** What a lane needs from the hub. */
export interface LaneHost {
	/** True while the hub drains on stop, or the buffer is full: send partial batches now. */
	readonly urgent: boolean;
	/** The lane took messages out of the hub buffer. */
	spaceFreed(lane: OutputLane): void;
	/** The lane has nothing pending and nothing in flight. */
	idle(lane: OutputLane): void;
	flushed(lane: OutputLane, batch: readonly Message[], durationMs: number, attempts: number): void;
	retrying(lane: OutputLane, batch: readonly Message[], attempt: number, delayMs: number, error: Error): void;
	dropped(lane: OutputLane, reason: DropReason, batch: readonly Message[], error: Error | undefined): void;
	/** Hand a finally failed batch to the lane's dead-letter output; false when it has no room yet. */
	deadLetter(lane: OutputLane, batch: readonly Message[], error: Error, attempts: number): boolean;
	/** The lane's circuit breaker changed state. */
	circuit(lane: OutputLane, to: CircuitState, from: CircuitState): void;
	/** The lane became stalled (no successful send for `stall.afterMs` while it had work) or recovered. */
	stalled(lane: OutputLane, stalled: boolean, sinceMs: number): void;
}

/** Resolved stall detection of one output. */
export interface LaneStall {
	readonly afterMs: number;
	readonly maxPending: number;
}

/**
 * Circuit breaker settings of one output inside a hub.
 *
 * @example
 * ```ts
 * hub.output(webhook, { circuitBreaker: { failureThreshold: 5, openMs: 30_000, whenOpen: 'dead-letter' }, deadLetter: 'dlq' });
 * ```
 */
export interface OutputCircuitOptions extends CircuitBreakerOptions {
	/**
	 * While the circuit is open: `wait` keeps batches in the buffer
	 * (backpressure, then the overflow policy); `dead-letter` fails them at
	 * once with `CircuitOpenError` (to the dead-letter output, else dropped as
	 * `output-failed`). @default 'wait'
	 */
	readonly whenOpen?: 'wait' | 'dead-letter';
}

/** Resolved per-output settings. */
export interface LaneOptions {
	readonly batchSize: number;
	readonly flushInterval: number;
	readonly retry: ResolvedRetry;
	readonly deadLetter: string | undefined;
	/** Time limit of one send, in ms. */
	readonly timeoutMs: number | undefined;
	/** Most messages that may wait for this output before its oldest are dropped. */
	readonly maxPending: number | undefined;
	/** Most batches in flight (sending or waiting to retry) at once. */
	readonly maxInFlight: number;
	/** Stall detection, or `undefined` (off; dead-letter outputs). */
	readonly stall: LaneStall | undefined;
	readonly circuitBreaker: OutputCircuitOptions | undefined;
}

/** Send durations of one output. */
export interface SendDurations {
	count: number;
	totalMs: number;
	maxMs: number;
	lastMs: number;
}

/**
 * What an output's lane is doing: `idle` (nothing in flight), `sending`,
 * `retrying` (waiting for the next attempt, or for an open circuit),
 * `parked` (waiting for room in its dead-letter queue), `closed` (after stop).
 * With `maxInFlight` above 1 it is the most pressing state of its batches in
 * flight (`parked`, then `retrying`, then `sending`).
 *
 * @example
 * ```ts
 * if (hub.stats().outputs['kafka']!.state === 'retrying') console.warn('kafka is struggling');
 * ```
 */
export type LaneState = 'idle' | 'sending' | 'retrying' | 'parked' | 'closed';

/** One batch in flight: its messages, its attempts and their timers. */
class Flight {
	state: 'sending' | 'retrying' | 'parked' = 'sending';
	attempt = 0;
	/** Identifies the current attempt; a result for another id is stale and ignored. */
	sendId = 0;
	abort: AbortController | undefined;
	timeoutTimer: NodeJS.Timeout | undefined;
	retryTimer: NodeJS.Timeout | undefined;
	error: Error | undefined;

	constructor(
		readonly batch: Message[],
		readonly keys: (Delivery | undefined)[] | undefined,
	) {}
}

/**
 * One output's dispatcher: takes batches from its source (at most
 * `maxInFlight` in flight, 1 by default: in order), sends them, retries with
 * backoff, then dead-letters or drops. Lanes run independently, so a slow
 * output only ever delays itself.
 */
export class OutputLane {
	readonly name: string;
	readonly output: Output;
	readonly options: LaneOptions;
	readonly isDeadLetter: boolean;
	readonly #source: LaneSource;
	readonly #host: LaneHost;

	delivered = 0;
	deadLettered = 0;
	batches = 0;
	failedSends = 0;
	retries = 0;
	readonly dropped: Record<DropReason, number> = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
	readonly durations: SendDurations = { count: 0, totalMs: 0, maxMs: 0, lastMs: 0 };

	#closed = false;
	/** Batches in flight, oldest first. */
	readonly #flights = new Set<Flight>();
	#inFlight = 0;
	#nextSendId = 1;
	#flushTimer: NodeJS.Timeout | undefined;
	#flushDue = false;
	readonly #breaker: CircuitBreaker | undefined;
	readonly #takesSignal: boolean;
	/** When the lane last made progress: a successful send, or having nothing to do. */
	#progressAt = performance.now();
	#stalled = false;
	#stallTimer: NodeJS.Timeout | undefined;
	/** The buffer limit to restore when a stall ends. */
	#limit: number | undefined;

	constructor(name: string, output: Output, options: LaneOptions, source: LaneSource, host: LaneHost, isDeadLetter: boolean) {
		this.name = name;
		this.output = output;
		this.options = options;
		this.#source = source;
		this.#host = host;
		this.isDeadLetter = isDeadLetter;
		this.#takesSignal = output.send.length >= 2;
		const circuit = options.circuitBreaker;
		this.#breaker =
			circuit === undefined
				? undefined
				: new CircuitBreaker(circuit, (to, from) => host.circuit(this, to, from), undefined, `output "${name}".circuitBreaker`);
	}

	/** The circuit breaker's state, if the output has one. */
	get circuit(): CircuitState | undefined {
		return this.#breaker?.state;
	}

	/** Messages ever routed to this output. */
	get routed(): number {
		return this.#source.routed();
	}

	get state(): LaneState {
		if (this.#closed) return 'closed';
		if (this.#flights.size === 0) return 'idle';
		let state: LaneState = 'sending';
		for (const flight of this.#flights) {
			if (flight.state === 'parked') return 'parked';
			if (flight.state === 'retrying') state = 'retrying';
		}
		return state;
	}

	/** True while the output is stalled (see `OutputOptions.stall`). */
	get stalled(): boolean {
		return this.#stalled;
	}

	/** Messages routed here and not yet delivered, dropped or dead-lettered. */
	get pending(): number {
		return this.#source.pending() + this.#inFlight;
	}

	get inFlight(): number {
		return this.#inFlight;
	}

	/** This output's counters, as in `hub.stats().outputs`. */
	stats(): OutputStats {
		const d = this.durations;
		return {
			deadLetter: this.isDeadLetter,
			state: this.state,
			...(this.#breaker === undefined ? {} : { circuit: this.#breaker.state }),
			routed: this.routed,
			delivered: this.delivered,
			deadLettered: this.deadLettered,
			pending: this.pending,
			inFlight: this.inFlight,
			stalled: this.#stalled,
			dropped: { ...this.dropped },
			batches: this.batches,
			failedSends: this.failedSends,
			retries: this.retries,
			sendDuration: { count: d.count, avgMs: d.count === 0 ? 0 : d.totalMs / d.count, maxMs: d.maxMs, lastMs: d.lastMs },
		};
	}

	/** Sends batches while some are due and there is room in flight, else arms the flush timer. */
	pump(): void {
		while (!this.#closed && this.#flights.size < this.options.maxInFlight) {
			const pending = this.#source.pending();
			if (pending === 0) {
				this.#flushDue = false;
				if (this.#flights.size === 0) {
					this.#progressAt = performance.now(); // nothing owed: the stall clock starts again with the next batch
					this.#host.idle(this);
				}
				return;
			}
			const breaker = this.#breaker;
			if (breaker !== undefined && this.options.circuitBreaker!.whenOpen !== 'dead-letter' && breaker.state === 'open') {
				// Keep the batches in the buffer until a trial send is allowed.
				this.#flushTimer ??= setTimeout(this.#onFlushTimer, Math.max(1, breaker.waitMs()));
				return;
			}
			const { batchSize, flushInterval } = this.options;
			if (!(pending >= batchSize || this.#flushDue || flushInterval === 0 || this.#host.urgent)) {
				this.#flushTimer ??= setTimeout(this.#onFlushTimer, flushInterval);
				return;
			}
			this.#dispatch();
		}
	}

	#onFlushTimer = (): void => {
		this.#flushTimer = undefined;
		this.#flushDue = true;
		this.pump();
	};

	#dispatch(): void {
		if (this.#flushTimer !== undefined) {
			clearTimeout(this.#flushTimer);
			this.#flushTimer = undefined;
		}
		this.#flushDue = false;
		const batch: Message[] = [];
		const keys = this.#source.hasKeys ? [] : undefined;
		this.#source.take(this.options.batchSize, batch, keys);
		const flight = new Flight(batch, keys !== undefined && keys.length > 0 ? keys : undefined);
		this.#flights.add(flight);
		this.#inFlight += batch.length;
		this.#watch();
		this.#host.spaceFreed(this);
		this.#send(flight);
	}

	/** Arms the stall watchdog (one timer per lane, re-armed as needed). */
	#watch(): void {
		const stall = this.options.stall;
		if (stall === undefined || this.#stallTimer !== undefined || this.#stalled || this.#closed) return;
		const wait = Math.max(1, stall.afterMs - (performance.now() - this.#progressAt));
		this.#stallTimer = setTimeout(this.#onStallTimer, wait);
		this.#stallTimer.unref();
	}

	#onStallTimer = (): void => {
		this.#stallTimer = undefined;
		const stall = this.options.stall!;
		if (this.#closed || this.#stalled) return;
		// Work is owed: a batch in flight (sending, retrying, parked), or a full batch kept back by an open circuit.
		const owed = this.#flights.size > 0 || this.#source.pending() >= this.options.batchSize;
		if (!owed) return;
		const since = performance.now() - this.#progressAt;
		if (since < stall.afterMs) {
			this.#watch();
			return;
		}
		this.#stalled = true;
		if (this.#source.setLimit !== undefined) {
			this.#limit = this.#source.limit!();
			this.#source.setLimit(Math.min(this.#limit, stall.maxPending));
		}
		this.#host.stalled(this, true, since);
	};

	/** A send succeeded: the lane is making progress (and no longer stalled). */
	#progressed(): void {
		this.#progressAt = performance.now();
		if (!this.#stalled) return;
		this.#stalled = false;
		if (this.#limit !== undefined) this.#source.setLimit?.(this.#limit);
		this.#host.stalled(this, false, 0);
	}

	#send(flight: Flight): void {
		flight.retryTimer = undefined;
		const breaker = this.#breaker;
		if (breaker !== undefined && !breaker.allow()) {
			if (this.options.circuitBreaker!.whenOpen === 'dead-letter') {
				flight.error = new CircuitOpenError(this.name);
				this.#giveUp(flight);
			} else {
				flight.state = 'retrying';
				flight.retryTimer = setTimeout(() => this.#send(flight), Math.max(1, breaker.waitMs()));
			}
			return;
		}
		flight.state = 'sending';
		flight.attempt++;
		const id = (flight.sendId = this.#nextSendId++);
		// An AbortController costs microseconds: make one only for outputs whose send takes the signal.
		const abort = this.#takesSignal ? (flight.abort = new AbortController()) : undefined;
		const { timeoutMs } = this.options;
		if (timeoutMs !== undefined) {
			flight.timeoutTimer = setTimeout(() => {
				const error = new SendTimeoutError(this.name, timeoutMs);
				abort?.abort(error);
				this.#failed(flight, id, error);
			}, timeoutMs);
		}
		const started = performance.now();
		let result: Promise<void>;
		try {
			result = this.output.send(flight.batch, abort?.signal);
		} catch (error) {
			result = Promise.reject(error);
		}
		Promise.resolve(result).then(
			() => this.#sent(flight, id, started),
			(error: unknown) => this.#failed(flight, id, error),
		);
	}

	/** Ends the flight's current attempt; false if `id` is not it (a stale result). */
	#settle(flight: Flight, id: number): boolean {
		if (id !== flight.sendId || !this.#flights.has(flight)) return false;
		flight.sendId = 0;
		flight.abort = undefined;
		if (flight.timeoutTimer !== undefined) {
			clearTimeout(flight.timeoutTimer);
			flight.timeoutTimer = undefined;
		}
		return true;
	}

	#sent(flight: Flight, id: number, started: number): void {
		if (!this.#settle(flight, id)) return;
		this.#breaker?.success();
		this.#progressed();
		const ms = performance.now() - started;
		const d = this.durations;
		d.count++;
		d.totalMs += ms;
		d.lastMs = ms;
		if (ms > d.maxMs) d.maxMs = ms;
		const { batch, keys } = flight;
		this.delivered += batch.length;
		this.batches++;
		this.#land(flight);
		if (keys !== undefined) for (const key of keys) key?.confirm();
		this.#host.flushed(this, batch, ms, flight.attempt);
		this.pump();
	}

	#failed(flight: Flight, id: number, reason: unknown): void {
		if (!this.#settle(flight, id)) return;
		this.#breaker?.failure();
		const error = toError(reason);
		this.failedSends++;
		const { retry } = this.options;
		let retryable = flight.attempt < retry.attempts;
		if (retryable) {
			if (retry.retryable !== undefined) {
				try {
					retryable = retry.retryable(error);
				} catch {
					retryable = false;
				}
			} else retryable = (error as { retryable?: unknown }).retryable !== false;
		}
		if (retryable) {
			const delay = retryDelay(flight.attempt, retry, error);
			this.retries++;
			flight.state = 'retrying';
			flight.retryTimer = setTimeout(() => this.#send(flight), delay);
			this.#host.retrying(this, flight.batch, flight.attempt, delay, error);
			return;
		}
		flight.error = error;
		this.#giveUp(flight);
	}

	/** After the last attempt: dead-letter (or wait for room to) or drop. */
	#giveUp(flight: Flight): void {
		const { batch, keys } = flight;
		const error = flight.error!;
		if (this.options.deadLetter !== undefined) {
			if (!this.#host.deadLetter(this, batch, error, flight.attempt)) {
				flight.state = 'parked';
				return;
			}
			this.deadLettered += batch.length;
			this.#land(flight);
			if (keys !== undefined) for (const key of keys) key?.fail('dead-lettered', this.name, error);
		} else {
			this.#drop(flight, 'output-failed', error);
		}
		this.pump();
	}

	/** Parked batches try their dead-letter hand-off again (the dead-letter queue has room). */
	unpark(): void {
		for (const flight of this.#flights) if (flight.state === 'parked') this.#giveUp(flight);
	}

	#drop(flight: Flight, reason: DropReason, error: Error | undefined): void {
		const { batch, keys } = flight;
		this.dropped[reason] += batch.length;
		this.#land(flight);
		if (keys !== undefined) for (const key of keys) key?.fail(reason, this.name, error);
		this.#host.dropped(this, reason, batch, error);
	}

	/** The flight is over (delivered, dead-lettered or dropped). */
	#land(flight: Flight): void {
		this.#flights.delete(flight);
		this.#inFlight -= flight.batch.length;
		flight.error = undefined;
	}

	/**
	 * Gives up on everything: the batches in flight (their late results are
	 * ignored), pending retries, and all it has pending, each dropped with
	 * `reason`.
	 */
	abandon(reason: DropReason, error?: Error): void {
		clearTimeout(this.#flushTimer);
		this.#flushTimer = undefined;
		clearTimeout(this.#stallTimer);
		this.#stallTimer = undefined;
		for (const flight of [...this.#flights]) {
			flight.abort?.abort(error ?? new PolkuError('ERR_POLKU_ABANDONED', `output "${this.name}": send abandoned (${reason})`));
			this.#settle(flight, flight.sendId);
			clearTimeout(flight.retryTimer);
			flight.retryTimer = undefined;
			this.#drop(flight, reason, error);
		}
		const messages: Message[] = [];
		this.#source.clear((message, key) => {
			messages.push(message);
			key?.fail(reason, this.name, error);
		});
		if (messages.length > 0) {
			this.dropped[reason] += messages.length;
			this.#host.dropped(this, reason, messages, error);
		}
		this.#closed = true;
	}
}

/** The most a `retryAfterMs` on an error may delay the next try. */
const MAX_RETRY_AFTER_MS = 300_000;

/**
 * The wait before the next try: the backoff, or longer when the error asks for
 * it (`retryAfterMs`, e.g. from an HTTP `Retry-After`), up to 5 minutes.
 */
function retryDelay(attempt: number, retry: ResolvedRetry, error: Error): number {
	const backoff = backoffDelay(attempt, retry);
	const after = (error as { retryAfterMs?: unknown }).retryAfterMs;
	if (typeof after !== 'number' || !(after > backoff)) return backoff;
	return Math.min(after, MAX_RETRY_AFTER_MS);
}

import { DROP_REASONS, toError, type DropReason } from '../errors.js';
import type { Delivery } from '../hub/delivery.js';
import { backoffDelay, type ResolvedRetry } from '../hub/options.js';
import type { Message } from '../message/message.js';
import type { Output } from './output.js';

/** Where a lane takes its messages from: its view of the hub buffer, or a dead-letter queue. */
export interface LaneSource {
	pending(): number;
	/** Messages ever routed to this lane. */
	routed(): number;
	take(max: number, into: Message[], keys: (Delivery | undefined)[] | undefined): number;
	readonly hasKeys: boolean;
	/** Removes everything left, calling `dropped` for each message. */
	clear(dropped: (message: Message, key: Delivery | undefined) => void): void;
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
}

/** Resolved per-output settings. */
export interface LaneOptions {
	readonly batchSize: number;
	readonly flushInterval: number;
	readonly retry: ResolvedRetry;
	readonly deadLetter: string | undefined;
}

/** Send durations of one output. */
export interface SendDurations {
	count: number;
	totalMs: number;
	maxMs: number;
	lastMs: number;
}

export type LaneState = 'idle' | 'sending' | 'retrying' | 'parked' | 'closed';

/**
 * One output's dispatcher: takes batches from its source (at most one in
 * flight), sends them, retries with backoff, then dead-letters or drops. Lanes
 * run independently, so a slow output only ever delays itself.
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

	#state: LaneState = 'idle';
	#batch: Message[] | undefined;
	#keys: (Delivery | undefined)[] | undefined;
	#attempt = 0;
	#epoch = 0;
	#error: Error | undefined;
	#flushTimer: NodeJS.Timeout | undefined;
	#retryTimer: NodeJS.Timeout | undefined;
	#flushDue = false;

	constructor(name: string, output: Output, options: LaneOptions, source: LaneSource, host: LaneHost, isDeadLetter: boolean) {
		this.name = name;
		this.output = output;
		this.options = options;
		this.#source = source;
		this.#host = host;
		this.isDeadLetter = isDeadLetter;
	}

	/** Messages ever routed to this output. */
	get routed(): number {
		return this.#source.routed();
	}

	get state(): LaneState {
		return this.#state;
	}

	/** Messages routed here and not yet delivered, dropped or dead-lettered. */
	get pending(): number {
		return this.#source.pending() + (this.#batch?.length ?? 0);
	}

	get inFlight(): number {
		return this.#batch?.length ?? 0;
	}

	/** Sends a batch if one is due, else arms the flush timer. */
	pump(): void {
		if (this.#state !== 'idle') return;
		const pending = this.#source.pending();
		if (pending === 0) {
			this.#flushDue = false;
			this.#host.idle(this);
			return;
		}
		const { batchSize, flushInterval } = this.options;
		if (pending >= batchSize || this.#flushDue || flushInterval === 0 || this.#host.urgent) {
			this.#dispatch();
		} else {
			this.#flushTimer ??= setTimeout(this.#onFlushTimer, flushInterval);
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
		this.#batch = batch;
		this.#keys = keys !== undefined && keys.length > 0 ? keys : undefined;
		this.#attempt = 0;
		this.#host.spaceFreed(this);
		this.#send();
	}

	#send(): void {
		this.#retryTimer = undefined;
		this.#state = 'sending';
		this.#attempt++;
		const epoch = this.#epoch;
		const batch = this.#batch!;
		const started = performance.now();
		let result: Promise<void>;
		try {
			result = this.output.send(batch);
		} catch (error) {
			result = Promise.reject(error);
		}
		Promise.resolve(result).then(
			() => this.#sent(epoch, started),
			(error: unknown) => this.#failed(epoch, error),
		);
	}

	#sent(epoch: number, started: number): void {
		if (epoch !== this.#epoch) return;
		const ms = performance.now() - started;
		const d = this.durations;
		d.count++;
		d.totalMs += ms;
		d.lastMs = ms;
		if (ms > d.maxMs) d.maxMs = ms;
		const batch = this.#batch!;
		const keys = this.#keys;
		this.delivered += batch.length;
		this.batches++;
		this.#finish();
		if (keys !== undefined) for (const key of keys) key?.confirm();
		this.#host.flushed(this, batch, ms, this.#attempt);
		this.pump();
	}

	#failed(epoch: number, reason: unknown): void {
		if (epoch !== this.#epoch) return;
		const error = toError(reason);
		this.failedSends++;
		const { retry } = this.options;
		let retryable = this.#attempt < retry.attempts;
		if (retryable && retry.retryable !== undefined) {
			try {
				retryable = retry.retryable(error);
			} catch {
				retryable = false;
			}
		}
		if (retryable) {
			const delay = backoffDelay(this.#attempt, retry);
			this.retries++;
			this.#state = 'retrying';
			this.#retryTimer = setTimeout(() => this.#send(), delay);
			this.#host.retrying(this, this.#batch!, this.#attempt, delay, error);
			return;
		}
		this.#error = error;
		this.#giveUp();
	}

	/** After the last attempt: dead-letter (or wait for room to) or drop. */
	#giveUp(): void {
		const batch = this.#batch!;
		const error = this.#error!;
		if (this.options.deadLetter !== undefined) {
			if (!this.#host.deadLetter(this, batch, error, this.#attempt)) {
				this.#state = 'parked';
				return;
			}
			const keys = this.#keys;
			this.deadLettered += batch.length;
			this.#finish();
			if (keys !== undefined) for (const key of keys) key?.fail('dead-lettered', this.name, error);
		} else {
			this.#drop('output-failed', error);
		}
		this.pump();
	}

	/** A parked lane tries its dead-letter hand-off again (the dead-letter queue has room). */
	unpark(): void {
		if (this.#state === 'parked') this.#giveUp();
	}

	#drop(reason: DropReason, error: Error | undefined): void {
		const batch = this.#batch!;
		const keys = this.#keys;
		this.dropped[reason] += batch.length;
		this.#finish();
		if (keys !== undefined) for (const key of keys) key?.fail(reason, this.name, error);
		this.#host.dropped(this, reason, batch, error);
	}

	#finish(): void {
		this.#batch = undefined;
		this.#keys = undefined;
		this.#error = undefined;
		this.#state = 'idle';
	}

	/**
	 * Gives up on everything: the batch in flight (its late result is ignored),
	 * a pending retry, and all it has pending, each dropped with `reason`.
	 */
	abandon(reason: DropReason, error?: Error): void {
		this.#epoch++;
		clearTimeout(this.#retryTimer);
		clearTimeout(this.#flushTimer);
		this.#retryTimer = undefined;
		this.#flushTimer = undefined;
		if (this.#batch !== undefined) this.#drop(reason, error);
		const messages: Message[] = [];
		this.#source.clear((message, key) => {
			messages.push(message);
			key?.fail(reason, this.name, error);
		});
		if (messages.length > 0) {
			this.dropped[reason] += messages.length;
			this.#host.dropped(this, reason, messages, error);
		}
		this.#state = 'closed';
	}
}

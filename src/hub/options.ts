import { ConfigError } from '../errors.js';
import type { OutputCircuitOptions } from '../output/lane.js';

/**
 * What happens when the buffer is full.
 *
 * - `block` (default): senders wait for space (backpressure).
 * - `drop-newest`: new messages are dropped (reason `overflow`, before the buffer).
 * - `drop-oldest`: the oldest buffered message is dropped from the view of the
 *   output(s) still holding it (reason `overflow`, naming the output), making room.
 *
 * @example
 * ```ts
 * Hub.builder().overflow('drop-oldest');
 * ```
 */
export type OverflowPolicy = 'block' | 'drop-newest' | 'drop-oldest';

/**
 * Retry of failed sends with exponential backoff: try `n` waits
 * `min(maxDelayMs, baseDelayMs * 2^(n-1))`, reduced by a random fraction of
 * up to `jitter` of itself.
 *
 * @example
 * ```ts
 * hub.output(kafka, { retry: { attempts: 5, baseDelayMs: 200, maxDelayMs: 5_000, jitter: 0.5 } });
 * ```
 */
export interface RetryOptions {
	/** Total tries, the first included. 1 disables retry. @default 3 */
	readonly attempts?: number;
	/** @default 100 */
	readonly baseDelayMs?: number;
	/** @default 10000 */
	readonly maxDelayMs?: number;
	/** 0 = exact delays; 1 = anywhere from 0 to the delay ("full jitter"). @default 0.2 */
	readonly jitter?: number;
	/**
	 * Whether an error is worth retrying; `false` goes straight to the dead
	 * letter / drop. By default every error is, except one carrying
	 * `retryable: false` (a permanent failure, such as a 4xx from a
	 * collector; polku's adapters mark theirs). An error with a numeric
	 * `retryAfterMs` (an HTTP `Retry-After`) delays the next try at least that
	 * long (at most 5 minutes).
	 * @default (error) => error.retryable !== false
	 */
	readonly retryable?: (error: Error) => boolean;
}

/**
 * Per-output options for `HubBuilder.output()`.
 *
 * @example
 * ```ts
 * Hub.builder()
 *   .output(warehouse, { batchSize: 200, flushInterval: 50, retry: { attempts: 5 }, deadLetter: 'dlq' })
 *   .deadLetter(dlq);
 * ```
 */
export interface OutputOptions {
	/** Largest batch handed to `send()`. @default the hub's batchSize */
	readonly batchSize?: number;
	/** Longest wait (ms) before a partial batch is sent. @default the hub's flushInterval */
	readonly flushInterval?: number;
	/** Retry policy, or `false` for a single try. @default the hub's retry */
	readonly retry?: RetryOptions | false;
	/** Name of a dead-letter output (registered with `.deadLetter()`) for batches that finally fail. */
	readonly deadLetter?: string;
	/**
	 * Time limit of one send, in ms: a send still pending then fails with
	 * `SendTimeoutError` (and its `AbortSignal` aborts), then is retried.
	 * @default no limit
	 */
	readonly timeoutMs?: number;
	/** Open a circuit after repeated failures (see {@link OutputCircuitOptions}). @default none */
	readonly circuitBreaker?: OutputCircuitOptions;
	/**
	 * The most messages that may wait in the buffer for this output (at least
	 * its batch size). When one more arrives, this output's oldest are dropped
	 * from its view, down to 7/8 of `maxPending` (reason `overflow`, naming
	 * it), whatever the overflow policy, so a stalled or slow low-priority
	 * output can never hold more of the shared buffer than this, nor block the
	 * senders under `block`.
	 * @default the buffer capacity (no bound of its own)
	 */
	readonly maxPending?: number;
	/**
	 * How many batches may be in flight to this output at once (sending, or
	 * waiting to be retried). 1 keeps batches strictly in order. Above 1,
	 * high-latency outputs (object stores, remote collectors) keep up by
	 * sending several batches in parallel, and batches may complete, be
	 * retried, dead-lettered or dropped out of order; each batch is still
	 * delivered, retried and accounted on its own, and `stop()` drains them
	 * all.
	 * @default 1
	 * @example
	 * ```ts
	 * Hub.builder().output(s3, { batchSize: 10_000, flushInterval: 5_000, maxInFlight: 8 });
	 * ```
	 */
	readonly maxInFlight?: number;
	/**
	 * Stall detection. An output is *stalled* when none of its sends has
	 * succeeded for `afterMs` while it owed one (a batch in flight, retrying,
	 * or a full batch held back by its open circuit). While stalled, it may
	 * hold at most `maxPending` messages of the shared buffer: its oldest are
	 * dropped from its view (reason `overflow`, naming it), under every
	 * overflow policy, so a hanging output neither blocks the senders nor
	 * keeps a full buffer of messages alive (which costs the healthy outputs
	 * most of their throughput in garbage collection). Its first successful
	 * send ends the stall and lifts the bound. Outputs that keep making
	 * progress, however slowly, are never stalled: the buffer absorbs their
	 * slowdowns. Each change is a `stall` event and a log line.
	 *
	 * `false` turns it off: a hanging output may then hold the whole buffer
	 * (under `block`, stopping every sender). Raise `afterMs` above the
	 * longest a healthy send of this output can take.
	 * @default { afterMs: 2000, maxPending: max(batchSize, capacity / 16) }
	 * @example
	 * ```ts
	 * hub.output(s3, { batchSize: 10_000, stall: { afterMs: 60_000 } }); // uploads may take a while
	 * hub.output(audit, { stall: false });                                // never drop for audit: block instead
	 * ```
	 */
	readonly stall?: { readonly afterMs?: number; readonly maxPending?: number } | false;
}

/**
 * Restart policy for an input whose `run()` rejects.
 *
 * @example
 * ```ts
 * Hub.builder().input(consumer, { restart: { attempts: Infinity, baseDelayMs: 500, maxDelayMs: 30_000 } });
 * ```
 */
export interface RestartOptions {
	/** Restarts allowed. @default Infinity */
	readonly attempts?: number;
	/** @default 100 */
	readonly baseDelayMs?: number;
	/** @default 30000 */
	readonly maxDelayMs?: number;
}

/**
 * Per-input options for `HubBuilder.input()`.
 *
 * @example
 * ```ts
 * Hub.builder().input(consumer, { restart: true });
 * ```
 */
export interface InputOptions {
	/** Restart `run()` with exponential backoff when it rejects. @default false */
	readonly restart?: boolean | RestartOptions;
}

/** Retry settings after defaults. */
export interface ResolvedRetry {
	readonly attempts: number;
	readonly baseDelayMs: number;
	readonly maxDelayMs: number;
	readonly jitter: number;
	readonly retryable: ((error: Error) => boolean) | undefined;
}

export const DEFAULT_RETRY: ResolvedRetry = Object.freeze({
	attempts: 3,
	baseDelayMs: 100,
	maxDelayMs: 10_000,
	jitter: 0.2,
	retryable: undefined,
});

export const NO_RETRY: ResolvedRetry = Object.freeze({ ...DEFAULT_RETRY, attempts: 1 });

/** Throws `ConfigError` unless `value` is an integer in [min, max]. */
export function checkInteger(field: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
	if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
		const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
		throw new ConfigError(field, `must be an integer ${range}, got ${String(value)}`);
	}
	return value;
}

/** Throws `ConfigError` unless `value` is a finite number in [min, max] (or Infinity when allowed). */
export function checkNumber(field: string, value: unknown, min: number, max = Infinity, allowInfinity = false): number {
	const ok = typeof value === 'number' && !Number.isNaN(value) && value >= min && value <= max && (allowInfinity || Number.isFinite(value));
	if (!ok) throw new ConfigError(field, `must be a number in [${min}, ${max}], got ${String(value)}`);
	return value;
}

/** Validates retry options and fills defaults from `base`. */
export function resolveRetry(field: string, options: RetryOptions | false | undefined, base: ResolvedRetry): ResolvedRetry {
	if (options === false) return NO_RETRY;
	if (options === undefined) return base;
	if (options === null || typeof options !== 'object') throw new ConfigError(field, 'must be an object or false');
	const attempts = checkInteger(`${field}.attempts`, options.attempts ?? base.attempts, 1);
	const baseDelayMs = checkNumber(`${field}.baseDelayMs`, options.baseDelayMs ?? base.baseDelayMs, 0);
	const maxDelayMs = checkNumber(`${field}.maxDelayMs`, options.maxDelayMs ?? base.maxDelayMs, 0);
	if (maxDelayMs < baseDelayMs) throw new ConfigError(`${field}.maxDelayMs`, `must be >= baseDelayMs (${baseDelayMs})`);
	const jitter = checkNumber(`${field}.jitter`, options.jitter ?? base.jitter, 0, 1);
	const retryable = options.retryable ?? base.retryable;
	if (retryable !== undefined && typeof retryable !== 'function') throw new ConfigError(`${field}.retryable`, 'must be a function');
	return { attempts, baseDelayMs, maxDelayMs, jitter, retryable };
}

/**
 * The delay before try `attempt + 1`, after `attempt` tries failed.
 *
 * @internal
 */
export function backoffDelay(attempt: number, retry: Pick<ResolvedRetry, 'baseDelayMs' | 'maxDelayMs' | 'jitter'>, random: () => number = Math.random): number {
	const exact = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** Math.max(0, attempt - 1));
	return Math.round(exact * (1 - retry.jitter * random()));
}

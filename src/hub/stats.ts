import type { DropReason } from '../errors.js';
import type { LaneState } from '../output/lane.js';
import type { CircuitState } from '../output/resilience/circuit-breaker.js';

/**
 * One output's counters. For every output, at any moment:
 * `routed = delivered + (sum of dropped) + deadLettered + pending`.
 *
 * @example
 * ```ts
 * const s = hub.stats().outputs['warehouse']!;
 * console.log(`${s.delivered}/${s.routed} delivered, ${s.pending} pending, avg ${s.sendDuration.avgMs} ms`);
 * ```
 */
export interface OutputStats {
	/** True for outputs registered with `.deadLetter()`. */
	readonly deadLetter: boolean;
	readonly state: LaneState;
	/** The circuit breaker's state, for outputs with the `circuitBreaker` option. */
	readonly circuit?: CircuitState;
	/** Messages routed to this output (for a dead-letter output: dead letters received). */
	readonly routed: number;
	/** Messages the output confirmed. */
	readonly delivered: number;
	/** Messages this output failed that went to its dead-letter output. */
	readonly deadLettered: number;
	/** Buffered for this output, plus in flight. */
	readonly pending: number;
	/** In the batches being sent or retried. */
	readonly inFlight: number;
	/** No send has succeeded for `stall.afterMs` while one was owed; its share of the buffer is bounded (see `OutputOptions.stall`). */
	readonly stalled: boolean;
	/** Messages dropped at this output, by reason. */
	readonly dropped: Readonly<Record<DropReason, number>>;
	/** Batches confirmed. */
	readonly batches: number;
	/** `send()` calls that failed (each retry counts). */
	readonly failedSends: number;
	/** Retries scheduled. */
	readonly retries: number;
	/** Durations of successful sends. */
	readonly sendDuration: { readonly count: number; readonly avgMs: number; readonly maxMs: number; readonly lastMs: number };
}

/**
 * One middleware's counters.
 *
 * @example
 * ```ts
 * const { processed, filtered, errors } = hub.stats().middleware['dedup']!;
 * ```
 */
export interface MiddlewareStats {
	readonly processed: number;
	/** Returned `null` / `undefined`. */
	readonly filtered: number;
	/** Returned `reject(label)` (also counted per label in `counters`). */
	readonly rejected: number;
	/** Threw, rejected, or returned something that is not a message. */
	readonly errors: number;
	/** Counters the middleware keeps itself (`context.count()`). */
	readonly counters: Readonly<Record<string, number>>;
}

/**
 * One input's counters.
 *
 * @example
 * ```ts
 * const { sent, running, restarts } = hub.stats().inputs['grpc']!;
 * ```
 */
export interface InputStats {
	/** Messages the input handed to its sink. */
	readonly sent: number;
	/** Poison messages it gave up on (`sink.dropInvalid()`, drop reason `invalid`). */
	readonly invalid: number;
	/** Whether `run()` is executing. */
	readonly running: boolean;
	/** Times `run()` rejected. */
	readonly failures: number;
	/** Times it was restarted after a rejection. */
	readonly restarts: number;
}

/**
 * A snapshot of the hub's counters. Before the buffer, at any moment:
 * `received = filtered + (sum of dropped) + accepted`, where a message counts
 * as received once its admission is decided (until then it is in `admitting`).
 *
 * @example
 * ```ts
 * const s = hub.stats();
 * const lost = Object.values(s.dropped).reduce((a, b) => a + b, 0);
 * console.log(`${s.accepted} accepted, ${lost} dropped before the buffer, buffer ${s.buffer.size}/${s.buffer.capacity}`);
 * ```
 */
export interface HubStats {
	readonly state: HubState;
	/** Milliseconds from `start()` to now (or to the end of `stop()`), 0 before `start()`. */
	readonly uptimeMs: number;
	readonly received: number;
	readonly filtered: number;
	readonly accepted: number;
	/** Handed in but not yet decided: in async middleware or waiting for buffer space. */
	readonly admitting: number;
	/** Dropped before the buffer, by reason. */
	readonly dropped: Readonly<Record<DropReason, number>>;
	readonly buffer: { readonly size: number; readonly capacity: number };
	/**
	 * How loaded the pipeline is, from 0 (idle) to 1 (overloaded): the buffer's
	 * fill ratio, or 1 while senders are blocked waiting for space.
	 */
	readonly pressure: number;
	readonly inputs: Readonly<Record<string, InputStats>>;
	readonly middleware: Readonly<Record<string, MiddlewareStats>>;
	readonly outputs: Readonly<Record<string, OutputStats>>;
}

/**
 * The hub's lifecycle: `created` → `starting` → `running` → `stopping` → `stopped`.
 *
 * @example
 * ```ts
 * if (hub.state === 'running') await hub.stop();
 * ```
 */
export type HubState = 'created' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * The result of `hub.health()`.
 *
 * @example
 * ```ts
 * const { healthy, outputs } = await hub.health();
 * res.writeHead(healthy ? 200 : 503).end(JSON.stringify(outputs));
 * ```
 */
export interface HubHealth {
	/** Running, and every output reports healthy. */
	readonly healthy: boolean;
	readonly state: HubState;
	readonly outputs: Readonly<Record<string, { readonly healthy: boolean; readonly error?: string }>>;
}

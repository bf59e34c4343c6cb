import type { DropReason } from '../errors.js';
import type { Message } from '../message/message.js';
import type { CircuitState } from '../output/resilience/circuit-breaker.js';

/**
 * Payload of the hub's `drop` event. Emitted for every message that leaves
 * the pipeline without reaching its output; drops of one call or one tick are
 * grouped into one event per reason and output.
 *
 * @example
 * ```ts
 * hub.on('drop', ({ reason, messages, output, error }) => {
 *   log.warn({ reason, output, count: messages.length, err: error }, 'polku dropped messages');
 * });
 * ```
 */
export interface DropEvent {
	readonly reason: DropReason;
	readonly messages: readonly Message[];
	/** The output the drop belongs to (drop-oldest overflow, output-failed, shutdown of buffered data). */
	readonly output?: string;
	readonly error?: Error;
}

/**
 * Payload of the hub's `flush` event: an output confirmed a batch.
 *
 * @example
 * ```ts
 * hub.on('flush', ({ output, messages, durationMs }) => histogram.observe({ output }, durationMs / 1000));
 * ```
 */
export interface FlushEvent {
	readonly output: string;
	readonly messages: readonly Message[];
	/** How long the successful `send()` took. */
	readonly durationMs: number;
	/** 1 when the first try succeeded. */
	readonly attempts: number;
}

/**
 * Payload of the hub's `retry` event: a send failed and will be tried again
 * after `delayMs`.
 *
 * @example
 * ```ts
 * hub.on('retry', ({ output, attempt, delayMs, error }) => console.warn(`${output} try ${attempt} failed, again in ${delayMs} ms`, error));
 * ```
 */
export interface RetryEvent {
	readonly output: string;
	/** The attempt that just failed (1 = first try). */
	readonly attempt: number;
	readonly delayMs: number;
	readonly error: Error;
	readonly messages: readonly Message[];
}

/**
 * Payload of the hub's `dead-letter` event: a batch that failed at `output`
 * was handed to the dead-letter output `deadLetter`.
 *
 * @example
 * ```ts
 * hub.on('dead-letter', ({ output, deadLetter, messages }) => console.warn(`${messages.length} from ${output} to ${deadLetter}`));
 * ```
 */
export interface DeadLetterEvent {
	readonly output: string;
	readonly deadLetter: string;
	readonly messages: readonly Message[];
	readonly error: Error;
	readonly attempts: number;
}

/**
 * Payload of the hub's `circuit` event: an output's circuit breaker changed
 * state.
 *
 * @example
 * ```ts
 * hub.on('circuit', ({ output, state, previous }) => log.warn({ output, state, previous }, 'circuit changed'));
 * ```
 */
export interface CircuitEvent {
	readonly output: string;
	readonly state: CircuitState;
	readonly previous: CircuitState;
}

/**
 * Payload of the hub's `stall` event: an output became stalled (no send
 * succeeded for `stall.afterMs` while one was owed; its share of the buffer is
 * now bounded) or recovered (a send succeeded).
 *
 * @example
 * ```ts
 * hub.on('stall', ({ output, stalled, sinceMs }) => log.warn({ output, stalled, sinceMs }, stalled ? 'output stalled' : 'output recovered'));
 * ```
 */
export interface StallEvent {
	readonly output: string;
	readonly stalled: boolean;
	/** How long it had made no progress (0 when it recovered). */
	readonly sinceMs: number;
}

/**
 * Where an `error` event came from.
 *
 * @example
 * ```ts
 * hub.on('error', (error, { kind, name }) => console.error(`${kind} ${name ?? ''} failed`, error));
 * ```
 */
export interface ErrorContext {
	readonly kind: 'input' | 'output' | 'middleware' | 'listener' | 'hub';
	/** The input, output or middleware name, or the event whose listener threw. */
	readonly name?: string;
}

/**
 * Payload of the hub's `stop` event.
 *
 * @example
 * ```ts
 * hub.on('stop', ({ drained, durationMs }) => console.log(drained ? 'clean stop' : 'deadline hit', durationMs));
 * ```
 */
export interface StopEvent {
	/** True when everything buffered reached its outputs before the deadline. */
	readonly drained: boolean;
	readonly durationMs: number;
}

/**
 * The hub's events and their listener arguments.
 *
 * @example
 * ```ts
 * import type { HubEvents } from 'polku';
 *
 * const onDrop: HubEvents['drop'] = (event) => console.warn(event.reason);
 * hub.on('drop', onDrop);
 * ```
 */
export interface HubEvents {
	drop: (event: DropEvent) => void;
	flush: (event: FlushEvent) => void;
	retry: (event: RetryEvent) => void;
	'dead-letter': (event: DeadLetterEvent) => void;
	circuit: (event: CircuitEvent) => void;
	stall: (event: StallEvent) => void;
	error: (error: Error, context: ErrorContext) => void;
	start: () => void;
	stop: (event: StopEvent) => void;
}

import { CircuitOpenError } from '../../errors.js';
import type { Output } from '../output.js';
import { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './circuit-breaker.js';
import { delegate } from './delegate.js';

/**
 * Options of the {@link circuitBreaker} wrapper.
 *
 * @example
 * ```ts
 * circuitBreaker(out, { failureThreshold: 3, openMs: 5_000, onStateChange: (s) => log.warn(s) });
 * ```
 */
export interface CircuitBreakerWrapperOptions extends CircuitBreakerOptions {
	/** Called on every state change. */
	readonly onStateChange?: (to: CircuitState, from: CircuitState) => void;
}

/**
 * An output guarded by a {@link CircuitBreaker}, with the breaker attached.
 *
 * @example
 * ```ts
 * const guarded = circuitBreaker(out);
 * guarded.breaker.state; // 'closed'
 * ```
 */
export interface CircuitBreakerOutput extends Output {
	readonly breaker: CircuitBreaker;
}

/**
 * Wraps an output with a circuit breaker: after `failureThreshold`
 * consecutive failed sends it fails fast with {@link CircuitOpenError} for
 * `openMs`, then lets one trial send through. Inside a hub, prefer the
 * per-output `circuitBreaker` option: there an open circuit holds batches in
 * the buffer (or dead-letters them) instead of failing, and state changes are
 * `circuit` events and stats.
 *
 * @param output - The output to guard.
 * @param options - Thresholds, open time and a state-change callback.
 * @returns The guarded output, with its `breaker`.
 * @example
 * ```ts
 * import { circuitBreaker } from 'polku';
 *
 * const guarded = circuitBreaker(webhook, { failureThreshold: 5, openMs: 30_000 });
 * ```
 */
export function circuitBreaker(output: Output, options: CircuitBreakerWrapperOptions = {}): CircuitBreakerOutput {
	const breaker = new CircuitBreaker(options, options.onStateChange);
	return {
		...delegate(output),
		breaker,
		async send(batch, signal) {
			if (!breaker.allow()) throw new CircuitOpenError(output.name);
			try {
				await output.send(batch, signal);
			} catch (error) {
				breaker.failure();
				throw error;
			}
			breaker.success();
		},
	};
}

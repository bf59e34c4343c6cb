import { toError } from '../../errors.js';
import { backoffDelay, DEFAULT_RETRY, resolveRetry, type RetryOptions } from '../../hub/options.js';
import type { Output } from '../output.js';
import { delegate } from './delegate.js';

/**
 * Wraps an output so that a failed send is retried with exponential backoff
 * and jitter; errors the `retryable` predicate refuses fail at once. Inside a
 * hub, prefer the per-output `retry` option (the hub then reports each retry
 * as a `retry` event); the wrapper is for composing, e.g. retrying the primary
 * of a `fallback()` before switching.
 *
 * @param output - The output to retry.
 * @param options - Attempts (total, the first included), delays and jitter.
 * @returns An output with the same name.
 * @example
 * ```ts
 * import { fallback, retry } from 'polku';
 *
 * const out = fallback(retry(primary, { attempts: 3, baseDelayMs: 50 }), backup);
 * ```
 */
export function retry(output: Output, options: RetryOptions = {}): Output {
	const policy = resolveRetry('retry', options, DEFAULT_RETRY);
	return {
		...delegate(output),
		async send(batch, signal) {
			for (let attempt = 1; ; attempt++) {
				try {
					return await output.send(batch, signal);
				} catch (reason) {
					const error = toError(reason);
					const again = attempt < policy.attempts && !signal?.aborted && (policy.retryable?.(error) ?? true);
					if (!again) throw error;
					await sleep(backoffDelay(attempt, policy), signal);
				}
			}
		},
	};
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
	return new Promise((resolve) => {
		const timer = setTimeout(done, ms);
		signal?.addEventListener('abort', done, { once: true });
		function done(): void {
			clearTimeout(timer);
			signal?.removeEventListener('abort', done);
			resolve();
		}
	});
}

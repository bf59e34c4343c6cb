import { SendTimeoutError } from '../../errors.js';
import { checkNumber } from '../../option-checks.js';
import type { Output } from '../output.js';
import { delegate } from './delegate.js';

/**
 * Wraps an output so that a send that does not settle within `ms` rejects
 * with a {@link SendTimeoutError} and its `AbortSignal` aborts (so an output
 * that honours the signal cancels its I/O). Inside a hub, the per-output
 * `timeoutMs` option does the same.
 *
 * @param output - The output to guard.
 * @param ms - The time limit per send.
 * @returns An output with the same name.
 * @example
 * ```ts
 * import { timeout, retry } from 'polku';
 *
 * const guarded = retry(timeout(webhook, 2_000), { attempts: 3 });
 * ```
 */
export function timeout(output: Output, ms: number): Output {
	checkNumber('timeout.ms', ms, 0, 2 ** 31 - 1);
	return {
		...delegate(output),
		send(batch, signal) {
			const controller = new AbortController();
			const onAbort = (): void => controller.abort(signal?.reason);
			signal?.addEventListener('abort', onAbort, { once: true });
			let timer: NodeJS.Timeout | undefined;
			return new Promise<void>((resolve, reject) => {
				timer = setTimeout(() => {
					const error = new SendTimeoutError(output.name, ms);
					controller.abort(error);
					reject(error);
				}, ms);
				output.send(batch, controller.signal).then(resolve, reject);
			}).finally(() => {
				clearTimeout(timer);
				signal?.removeEventListener('abort', onAbort);
			});
		},
	};
}

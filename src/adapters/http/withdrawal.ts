import type { AbortSignalLike } from '../../index.js';

/**
 * A one-listener abort signal for `sink.sendBatch`: lets a request withdraw
 * what still waits for buffer space when its backpressure deadline passes,
 * without an `AbortController` (which costs microseconds per request).
 */
export class Withdrawal implements AbortSignalLike {
	aborted = false;
	reason: unknown;
	#listener: (() => void) | undefined;

	addEventListener(_type: 'abort', listener: () => void): void {
		this.#listener = listener;
	}

	removeEventListener(_type: 'abort', listener: () => void): void {
		if (this.#listener === listener) this.#listener = undefined;
	}

	abort(reason: unknown): void {
		if (this.aborted) return;
		this.aborted = true;
		this.reason = reason;
		const listener = this.#listener;
		this.#listener = undefined;
		listener?.();
	}
}

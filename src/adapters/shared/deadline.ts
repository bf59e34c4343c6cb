// Helpers shared by the broker adapters (not an adapter, not exported).
import { OutputError } from '../../index.js';

/**
 * The bound of one send: its own timeout and the hub's abort signal. `race`
 * waits for a promise unless the bound passes first.
 */
export class SendDeadline {
	readonly #expired: Promise<never>;
	#reason: OutputError | undefined;
	#fail!: (error: OutputError) => void;
	readonly #timer: ReturnType<typeof setTimeout>;
	readonly #signal: AbortSignal | undefined;
	readonly #onAbort: () => void;

	constructor(output: string, timeoutMs: number, signal: AbortSignal | undefined) {
		this.#expired = new Promise<never>((_resolve, reject) => (this.#fail = reject));
		this.#expired.catch(() => {});
		this.#timer = setTimeout(() => this.#expire(new OutputError(output, `send did not complete within ${timeoutMs} ms (timeoutMs)`)), timeoutMs);
		this.#signal = signal;
		this.#onAbort = () => this.#expire(new OutputError(output, 'send abandoned: the hub aborted it', { cause: signal?.reason }));
		if (signal?.aborted === true) this.#onAbort();
		else signal?.addEventListener('abort', this.#onAbort, { once: true });
	}

	/** The timeout or abort, once it happened. */
	get expired(): OutputError | undefined {
		return this.#reason;
	}

	/** `promise`, or a rejection with the reason when the bound passes first. */
	race<T>(promise: Promise<T>): Promise<T> {
		if (this.#reason !== undefined) return Promise.reject(this.#reason);
		return Promise.race([promise, this.#expired]);
	}

	dispose(): void {
		clearTimeout(this.#timer);
		this.#signal?.removeEventListener('abort', this.#onAbort);
	}

	#expire(error: OutputError): void {
		if (this.#reason !== undefined) return;
		this.#reason = error;
		this.#fail(error);
	}
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
	return new Promise((resolve) => {
		if (signal.aborted) return resolve();
		const done = (): void => {
			clearTimeout(timer);
			signal.removeEventListener('abort', done);
			resolve();
		};
		const timer = setTimeout(done, ms);
		signal.addEventListener('abort', done, { once: true });
	});
}

/** Waits for `promise` (ignoring its outcome) at most `ms`: for clean-up steps that must not hang a stop. */
export function bounded(promise: Promise<unknown>, ms: number): Promise<void> {
	return new Promise<void>((resolve) => {
		const timer = setTimeout(resolve, ms);
		promise.then(
			() => {
				clearTimeout(timer);
				resolve();
			},
			() => {
				clearTimeout(timer);
				resolve();
			},
		);
	});
}

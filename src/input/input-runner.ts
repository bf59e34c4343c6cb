import { toError } from '../errors.js';
import { backoffDelay, type ResolvedRetry } from '../hub/options.js';
import type { InputStats } from '../hub/stats.js';
import type { Input, Sink } from './input.js';

/**
 * Runs one input for the hub: calls `run()`, reports a rejection, and
 * restarts it with backoff when its restart policy allows. Keeps the input's
 * counters.
 */
export class InputRunner {
	readonly input: Input;
	readonly #restart: ResolvedRetry | undefined;
	sent = 0;
	invalid = 0;
	running = false;
	/** True until the input is finally done (or the hub stops waiting for it): its sink refuses sends after that. */
	open = true;
	failures = 0;
	restarts = 0;
	/** Settles when the input is finally done (returned, or failed for good). */
	done: Promise<void> = Promise.resolve();

	constructor(input: Input, restart: ResolvedRetry | undefined) {
		this.input = input;
		this.#restart = restart;
	}

	start(sink: Sink, signal: AbortSignal, failed: (error: Error) => void): void {
		this.done = this.#run(sink, signal, failed).finally(() => {
			this.open = false;
		});
	}

	/** Closes the input's sink: what it sends from now on is dropped with reason `shutdown`. */
	close(): void {
		this.open = false;
	}

	stats(): InputStats {
		return { sent: this.sent, invalid: this.invalid, running: this.running, failures: this.failures, restarts: this.restarts };
	}

	async #run(sink: Sink, signal: AbortSignal, failed: (error: Error) => void): Promise<void> {
		for (;;) {
			this.running = true;
			try {
				await this.input.run(sink, signal);
				return;
			} catch (reason) {
				this.failures++;
				failed(toError(reason));
				const restart = this.#restart;
				if (restart === undefined || signal.aborted || this.restarts >= restart.attempts) return;
				this.restarts++;
				await abortableDelay(backoffDelay(this.restarts, restart), signal);
				if (signal.aborted) return;
			} finally {
				this.running = false;
			}
		}
	}
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
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

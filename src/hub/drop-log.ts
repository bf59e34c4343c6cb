import type { DropReason } from '../errors.js';
import type { Logger } from '../logger.js';

interface Tally {
	readonly reason: DropReason;
	readonly output: string | undefined;
	count: number;
	error: Error | undefined;
}

/**
 * Every drop reaches the logger, rate-limited: the first drop of a reason (at
 * an output) is logged at once; while drops of it continue, one summary line
 * per `intervalMs` carries their count. A reason that stayed quiet for a whole
 * interval is logged at once again. `close()` writes what is left.
 */
export class DropLog {
	readonly #logger: Logger;
	readonly #intervalMs: number;
	readonly #tallies = new Map<string, Tally>();
	#timer: NodeJS.Timeout | undefined;

	constructor(logger: Logger, intervalMs = 1000) {
		this.#logger = logger;
		this.#intervalMs = intervalMs;
	}

	record(reason: DropReason, output: string | undefined, count: number, error: Error | undefined): void {
		if (count === 0) return;
		const key = output === undefined ? reason : `${reason}\u0000${output}`;
		const tally = this.#tallies.get(key);
		if (tally !== undefined) {
			tally.count += count;
			tally.error = error ?? tally.error;
			return;
		}
		this.#logger.warn({ reason, output, count, err: error }, 'polku dropped messages');
		this.#tallies.set(key, { reason, output, count: 0, error: undefined });
		if (this.#timer === undefined) {
			this.#timer = setInterval(this.#flush, this.#intervalMs);
			this.#timer.unref();
		}
	}

	#flush = (): void => {
		for (const [key, tally] of this.#tallies) {
			if (tally.count === 0) {
				this.#tallies.delete(key);
				continue;
			}
			const { reason, output, count, error } = tally;
			this.#logger.warn({ reason, output, count, err: error, intervalMs: this.#intervalMs }, 'polku dropped messages (summary)');
			tally.count = 0;
			tally.error = undefined;
		}
		if (this.#tallies.size === 0 && this.#timer !== undefined) {
			clearInterval(this.#timer);
			this.#timer = undefined;
		}
	};

	/** Logs the drops not yet summarised and stops the timer. */
	close(): void {
		this.#flush();
		for (const tally of this.#tallies.values()) tally.count = 0;
		this.#tallies.clear();
		clearInterval(this.#timer);
		this.#timer = undefined;
	}
}

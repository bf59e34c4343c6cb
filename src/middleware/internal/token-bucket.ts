/**
 * Token-bucket arithmetic on plain numbers, so that a bucket can live in an
 * object or in parallel arrays (see `throttle`). Levels are kept in
 * thousandths of a token and refilled as `elapsedMs * perSecond`, which is
 * exact for integer clocks and rates: the bound "at most `burst + perSecond ×
 * W / 1000` messages in any window of `W` ms" holds without rounding slack.
 */
export const TOKEN = 1000;

/** The level of a bucket at `now`, refilled from `level` at `last`, capped at `burst` tokens. */
export function refill(level: number, last: number, now: number, perSecond: number, burst: number): number {
	if (now <= last) return level;
	const next = level + (now - last) * perSecond;
	const cap = burst * TOKEN;
	return next > cap ? cap : next;
}

/** A single token bucket. Tokens are taken only when the message passes, never reserved ahead. */
export class TokenBucket {
	readonly perSecond: number;
	readonly burst: number;
	#level: number;
	#last: number;

	constructor(perSecond: number, burst: number, now: number) {
		this.perSecond = perSecond;
		this.burst = burst;
		this.#level = burst * TOKEN;
		this.#last = now;
	}

	/** Takes a token if one is available now. */
	tryTake(now: number): boolean {
		this.#refill(now);
		if (this.#level < TOKEN) return false;
		this.#level -= TOKEN;
		return true;
	}

	/**
	 * Milliseconds from `now` until `tokens` more tokens will have been
	 * refilled, counting what is in the bucket (0 when they are there now),
	 * provided each is taken as soon as it is refilled.
	 */
	msUntil(tokens: number, now: number): number {
		this.#refill(now);
		const deficit = tokens * TOKEN - this.#level;
		return deficit <= 0 ? 0 : deficit / this.perSecond;
	}

	#refill(now: number): void {
		this.#level = refill(this.#level, this.#last, now, this.perSecond, this.burst);
		if (now > this.#last) this.#last = now;
	}
}

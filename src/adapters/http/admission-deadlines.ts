/** What {@link AdmissionDeadlines.wait} resolves with when the deadline passed first. */
export const TIMED_OUT: unique symbol = Symbol('timed out');

interface Entry {
	readonly deadline: number;
	readonly resolve: (value: typeof TIMED_OUT) => void;
}

/**
 * Bounds how long requests wait for the hub to admit their batch, with one
 * shared timer instead of one per request: it runs only while some admission
 * is pending, and checks deadlines every `max(5, timeoutMs / 10)` ms.
 */
export class AdmissionDeadlines {
	readonly #timeoutMs: number;
	readonly #tickMs: number;
	readonly #entries = new Set<Entry>();
	#timer: NodeJS.Timeout | undefined;

	constructor(timeoutMs: number) {
		this.#timeoutMs = timeoutMs;
		this.#tickMs = Math.min(1000, Math.max(5, timeoutMs / 10));
	}

	/** Resolves with `pending`'s value, or `TIMED_OUT` if it takes longer than the timeout. */
	wait<T>(pending: Promise<T>): Promise<T | typeof TIMED_OUT> {
		return new Promise<T | typeof TIMED_OUT>((resolve, reject) => {
			const entry: Entry = { deadline: performance.now() + this.#timeoutMs, resolve };
			this.#entries.add(entry);
			this.#timer ??= setInterval(this.#sweep, this.#tickMs);
			pending.then(
				(value) => {
					this.#remove(entry);
					resolve(value);
				},
				(error: unknown) => {
					this.#remove(entry);
					reject(error);
				},
			);
		});
	}

	#remove(entry: Entry): void {
		if (this.#entries.delete(entry) && this.#entries.size === 0) this.#stop();
	}

	#stop(): void {
		clearInterval(this.#timer);
		this.#timer = undefined;
	}

	#sweep = (): void => {
		const now = performance.now();
		for (const entry of this.#entries) {
			if (entry.deadline > now) continue;
			this.#entries.delete(entry);
			entry.resolve(TIMED_OUT);
		}
		if (this.#entries.size === 0) this.#stop();
	};
}

/**
 * A middleware's timers (aggregation windows, rate-limit delays, lookup
 * timeouts). While the hub runs they keep the process alive, as a pending
 * send would (a script awaiting `hub.send()` must not exit under it); once the
 * hub's signal aborts (`stop()` began) every one of them is unreferenced, so
 * a stop cut short by its deadline never keeps the process alive.
 */
export class MiddlewareTimers {
	readonly #live = new Set<NodeJS.Timeout>();
	#stopping = false;

	/** Unreferences every timer once `signal` aborts (the hub's `context.signal`). */
	attach(signal: AbortSignal): void {
		if (signal.aborted) this.#unrefAll();
		else signal.addEventListener('abort', () => this.#unrefAll(), { once: true });
	}

	/** `setTimeout(fn, ms)`, tracked. */
	set(fn: () => void, ms: number): NodeJS.Timeout {
		const timer: NodeJS.Timeout = setTimeout(() => {
			this.#live.delete(timer);
			fn();
		}, ms);
		if (this.#stopping) timer.unref();
		else this.#live.add(timer);
		return timer;
	}

	clear(timer: NodeJS.Timeout | undefined): void {
		if (timer === undefined) return;
		clearTimeout(timer);
		this.#live.delete(timer);
	}

	#unrefAll(): void {
		this.#stopping = true;
		for (const timer of this.#live) timer.unref();
		this.#live.clear();
	}
}

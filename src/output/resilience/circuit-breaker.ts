import { checkInteger, checkNumber } from '../../option-checks.js';

/**
 * A circuit's state: `closed` lets every call through, `open` lets none,
 * `half-open` lets one trial call through to decide.
 *
 * @example
 * ```ts
 * hub.on('circuit', ({ output, state }) => console.warn(`${output} circuit ${state}`));
 * ```
 */
export type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * Circuit breaker settings.
 *
 * @example
 * ```ts
 * hub.output(webhook, { circuitBreaker: { failureThreshold: 5, successThreshold: 2, openMs: 30_000 } });
 * ```
 */
export interface CircuitBreakerOptions {
	/** Consecutive failed sends that open the circuit. @default 5 */
	readonly failureThreshold?: number;
	/** Successful trial sends (half-open) that close it again. @default 1 */
	readonly successThreshold?: number;
	/** How long it stays open before a trial send is allowed. @default 10000 */
	readonly openMs?: number;
}

/**
 * The closed / open / half-open state machine behind the `circuitBreaker`
 * wrapper and the per-output `circuitBreaker` option. Time comes from `now`
 * (milliseconds, monotonic).
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from 'polku';
 *
 * const breaker = new CircuitBreaker({ failureThreshold: 2, openMs: 1000 }, (to, from) => console.log(from, '→', to));
 * if (breaker.allow()) {
 *   try { await call(); breaker.success(); } catch { breaker.failure(); }
 * }
 * ```
 */
export class CircuitBreaker {
	readonly failureThreshold: number;
	readonly successThreshold: number;
	readonly openMs: number;
	readonly #onChange: ((to: CircuitState, from: CircuitState) => void) | undefined;
	readonly #now: () => number;
	#state: CircuitState = 'closed';
	#failures = 0;
	#successes = 0;
	#openedAt = 0;
	#trial = false;

	constructor(options: CircuitBreakerOptions = {}, onChange?: (to: CircuitState, from: CircuitState) => void, now: () => number = () => performance.now(), field = 'circuitBreaker') {
		this.failureThreshold = checkInteger(`${field}.failureThreshold`, options.failureThreshold ?? 5, 1);
		this.successThreshold = checkInteger(`${field}.successThreshold`, options.successThreshold ?? 1, 1);
		this.openMs = checkNumber(`${field}.openMs`, options.openMs ?? 10_000, 0, 2 ** 31 - 1);
		this.#onChange = onChange;
		this.#now = now;
	}

	/** The current state (an open circuit turns half-open once `openMs` has passed). */
	get state(): CircuitState {
		if (this.#state === 'open' && this.#now() - this.#openedAt >= this.openMs) this.#move('half-open');
		return this.#state;
	}

	/** Whether a call may go ahead now; in half-open, only one trial at a time. */
	allow(): boolean {
		const state = this.state;
		if (state === 'closed') return true;
		if (state === 'open' || this.#trial) return false;
		this.#trial = true;
		return true;
	}

	/** Milliseconds until `allow()` can next return true (0 if it can now). */
	waitMs(): number {
		return this.state === 'open' ? Math.max(0, this.#openedAt + this.openMs - this.#now()) : 0;
	}

	/** Records a successful call. */
	success(): void {
		if (this.#state === 'half-open') {
			this.#trial = false;
			if (++this.#successes >= this.successThreshold) this.#move('closed');
		} else {
			this.#failures = 0;
		}
	}

	/** Records a failed call. */
	failure(): void {
		if (this.#state === 'half-open' || (this.#state === 'closed' && ++this.#failures >= this.failureThreshold)) {
			this.#openedAt = this.#now();
			this.#move('open');
		}
	}

	#move(to: CircuitState): void {
		const from = this.#state;
		this.#state = to;
		this.#failures = 0;
		this.#successes = 0;
		this.#trial = false;
		this.#onChange?.(to, from);
	}
}

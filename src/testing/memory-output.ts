import { PolkuError } from '../errors.js';
import type { Message } from '../message/message.js';
import type { Output } from '../output/output.js';

/**
 * Options of {@link MemoryOutput}.
 *
 * @example
 * ```ts
 * new MemoryOutput({ name: 'flaky', failRate: 0.3, random: seededRandom(42) });
 * ```
 */
export interface MemoryOutputOptions {
	/** @default 'memory' */
	readonly name?: string;
	/** Delay every send by this many ms. @default 0 */
	readonly latencyMs?: number;
	/** Probability in [0, 1] that a send fails. @default 0 */
	readonly failRate?: number;
	/** Source of randomness for `failRate`. @default Math.random */
	readonly random?: () => number;
}

/** What a send waits on: a timer or a hang, cut short by its signal. */
interface Wait {
	resume: () => void;
}

/**
 * An output that collects what it receives, with fault injection: fail the
 * next N sends, fail with a probability, add latency, hang until released, or
 * play an unreachable destination.
 *
 * `send(batch, signal)` honours its signal like a network output should: a
 * send whose signal is already aborted rejects at once and records nothing,
 * and an abort while the send waits (latency, hang, unreachable) rejects it
 * at once. So with a hub whose stop deadline passes, hanging sends reject
 * instead of staying pending.
 *
 * @example
 * ```ts
 * import { MemoryOutput } from 'polku/testing';
 *
 * const out = new MemoryOutput({ name: 'db' });
 * out.failNext(2);          // the next two sends reject
 * out.hang();               // sends after that wait…
 * out.release();            // …until released
 * await out.waitFor(10);    // resolves once 10 messages arrived
 * out.messages;             // every message received, in order
 * out.batches;              // the batches as sent
 * out.unreachable(3_000);   // sends now fail after 3 s, health() is false
 * ```
 */
export class MemoryOutput implements Output {
	readonly name: string;
	/** Every message received, in order. */
	readonly messages: Message[] = [];
	/** Every batch received. */
	readonly batches: (readonly Message[])[] = [];
	/** `send()` calls, failed ones included. */
	sendCalls = 0;
	/** `send()` calls that rejected. */
	failures = 0;
	/** Set by `close()`. */
	closed = false;
	/** What `health()` returns (while reachable, see {@link MemoryOutput.unreachable}). */
	healthy = true;

	#latencyMs: number;
	#failRate: number;
	readonly #random: () => number;
	#failNext = 0;
	#failError: Error | undefined;
	#hanging = false;
	#hung: Wait[] = [];
	/** The connect timeout of the unreachable mode, or undefined while reachable. */
	#unreachableMs: number | undefined;
	#waiters: { count: number; resolve: () => void }[] = [];

	constructor(options: MemoryOutputOptions | string = {}) {
		const o = typeof options === 'string' ? { name: options } : options;
		this.name = o.name ?? 'memory';
		this.#latencyMs = o.latencyMs ?? 0;
		this.#failRate = o.failRate ?? 0;
		this.#random = o.random ?? Math.random;
	}

	/** Makes the next `n` sends reject (with `error`, or a generic one). */
	failNext(n = 1, error?: Error): this {
		this.#failNext = n;
		this.#failError = error;
		return this;
	}

	/** Makes every send reject with probability `rate`. */
	failRate(rate: number): this {
		this.#failRate = rate;
		return this;
	}

	/** Delays every send by `ms`. */
	latency(ms: number): this {
		this.#latencyMs = ms;
		return this;
	}

	/** Makes sends wait until {@link MemoryOutput.release} (they then succeed), or until their signal aborts. */
	hang(): this {
		this.#hanging = true;
		return this;
	}

	/** Lets every hanging send continue and stops hanging new ones. */
	release(): this {
		this.#hanging = false;
		const hung = this.#hung;
		this.#hung = [];
		for (const wait of hung) wait.resume();
		return this;
	}

	/**
	 * Plays a destination that cannot be reached: every send waits
	 * `connectTimeoutMs` (like a client giving up on a connection), then
	 * rejects with a `PolkuError` (`ERR_POLKU_UNREACHABLE`) and records
	 * nothing; an abort of its signal rejects it sooner. `health()` returns
	 * false. {@link MemoryOutput.reachable} ends it.
	 *
	 * @param connectTimeoutMs - How long a send takes to fail. @default 100
	 */
	unreachable(connectTimeoutMs = 100): this {
		this.#unreachableMs = connectTimeoutMs;
		return this;
	}

	/** Ends {@link MemoryOutput.unreachable}: sends reach the destination again. */
	reachable(): this {
		this.#unreachableMs = undefined;
		return this;
	}

	/** Sends currently hanging. */
	get hanging(): number {
		return this.#hung.length;
	}

	/** Resolves once at least `count` messages have been received. */
	waitFor(count: number, timeoutMs = 5000): Promise<void> {
		if (this.messages.length >= count) return Promise.resolve();
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
				reject(new PolkuError('ERR_POLKU_TIMEOUT', `${this.name}: ${this.messages.length} of ${count} messages after ${timeoutMs} ms`));
			}, timeoutMs);
			const done = (): void => {
				clearTimeout(timer);
				resolve();
			};
			this.#waiters.push({ count, resolve: done });
		});
	}

	async send(batch: readonly Message[], signal?: AbortSignal): Promise<void> {
		this.sendCalls++;
		try {
			if (signal?.aborted === true) throw aborted(this.name, signal);
			if (this.#latencyMs > 0) await this.#wait(signal, this.#latencyMs);
			if (this.#unreachableMs !== undefined) {
				await this.#wait(signal, this.#unreachableMs);
				throw new PolkuError('ERR_POLKU_UNREACHABLE', `${this.name}: destination unreachable (gave up after ${this.#unreachableMs} ms)`);
			}
			if (this.#hanging) await this.#wait(signal, undefined);
			if (this.#failNext > 0) {
				this.#failNext--;
				throw this.#failError ?? new PolkuError('ERR_POLKU_INJECTED', `${this.name}: injected failure`);
			}
			if (this.#failRate > 0 && this.#random() < this.#failRate) {
				throw new PolkuError('ERR_POLKU_INJECTED', `${this.name}: injected random failure`);
			}
		} catch (error) {
			this.failures++;
			throw error;
		}
		this.batches.push(batch);
		for (const message of batch) this.messages.push(message);
		if (this.#waiters.length > 0) {
			const ready = this.#waiters.filter((w) => this.messages.length >= w.count);
			this.#waiters = this.#waiters.filter((w) => this.messages.length < w.count);
			for (const w of ready) w.resolve();
		}
	}

	/** False while {@link MemoryOutput.unreachable}, else {@link MemoryOutput.healthy}. */
	health(): boolean {
		return this.healthy && this.#unreachableMs === undefined;
	}

	/** Marks the output closed; calling it again is harmless. */
	async close(): Promise<void> {
		this.closed = true;
	}

	/** Waits `ms` (or, when undefined, until released), rejecting early when `signal` aborts. */
	#wait(signal: AbortSignal | undefined, ms: number | undefined): Promise<void> {
		return new Promise<void>((resolve, reject) => {
			let timer: NodeJS.Timeout | undefined;
			const wait: Wait = {
				resume: () => {
					signal?.removeEventListener('abort', onAbort);
					resolve();
				},
			};
			const onAbort = (): void => {
				clearTimeout(timer);
				const i = this.#hung.indexOf(wait);
				if (i >= 0) this.#hung.splice(i, 1);
				reject(aborted(this.name, signal!));
			};
			signal?.addEventListener('abort', onAbort, { once: true });
			if (ms === undefined) this.#hung.push(wait);
			else timer = setTimeout(wait.resume, ms);
		});
	}
}

function aborted(name: string, signal: AbortSignal): PolkuError {
	return new PolkuError('ERR_POLKU_ABORTED', `${name}: send aborted`, { cause: signal.reason });
}

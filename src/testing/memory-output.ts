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

/**
 * An output that collects what it receives, with fault injection: fail the
 * next N sends, fail with a probability, add latency, or hang until released.
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
	/** What `health()` returns. */
	healthy = true;

	#latencyMs: number;
	#failRate: number;
	readonly #random: () => number;
	#failNext = 0;
	#failError: Error | undefined;
	#hanging = false;
	#hung: (() => void)[] = [];
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

	/** Makes sends wait until {@link MemoryOutput.release} (they then succeed). */
	hang(): this {
		this.#hanging = true;
		return this;
	}

	/** Lets every hanging send continue and stops hanging new ones. */
	release(): this {
		this.#hanging = false;
		const hung = this.#hung;
		this.#hung = [];
		for (const resume of hung) resume();
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

	async send(batch: readonly Message[]): Promise<void> {
		this.sendCalls++;
		if (this.#latencyMs > 0) await new Promise((r) => setTimeout(r, this.#latencyMs));
		if (this.#hanging) await new Promise<void>((r) => this.#hung.push(r));
		if (this.#failNext > 0) {
			this.#failNext--;
			this.failures++;
			throw this.#failError ?? new PolkuError('ERR_POLKU_INJECTED', `${this.name}: injected failure`);
		}
		if (this.#failRate > 0 && this.#random() < this.#failRate) {
			this.failures++;
			throw new PolkuError('ERR_POLKU_INJECTED', `${this.name}: injected random failure`);
		}
		this.batches.push(batch);
		for (const message of batch) this.messages.push(message);
		if (this.#waiters.length > 0) {
			const ready = this.#waiters.filter((w) => this.messages.length >= w.count);
			this.#waiters = this.#waiters.filter((w) => this.messages.length < w.count);
			for (const w of ready) w.resolve();
		}
	}

	health(): boolean {
		return this.healthy;
	}

	async close(): Promise<void> {
		this.closed = true;
	}
}

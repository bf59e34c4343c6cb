import { MessageValidationError, RejectedError, toError } from '../errors.js';
import { withMetadata } from '../message/edit.js';
import { invalidMessageField, type Message } from '../message/message.js';
import { Rejection, type Middleware } from './middleware.js';

/** Thrown by {@link MiddlewareChain.run} when a middleware fails or rejects a message. */
export class MiddlewareFailure {
	constructor(
		readonly middleware: string,
		readonly error: Error,
		/** True for a deliberate `reject()`, false for a throw or a bad return value. */
		readonly rejected: boolean,
	) {}
}

/** Counters of one middleware, as in `hub.stats().middleware[name]`. */
export interface MiddlewareCounters {
	processed: number;
	filtered: number;
	rejected: number;
	errors: number;
	readonly counters: Record<string, number>;
}

/**
 * Metadata key that asks for a per-middleware trace: set it to `"true"`.
 *
 * @example
 * ```ts
 * import { TRACE_REQUEST } from 'polku';
 *
 * await hub.send({ source: 'debug', messageType: 'probe', metadata: { [TRACE_REQUEST]: 'true' } });
 * ```
 */
export const TRACE_REQUEST = 'polku.trace';
/**
 * Metadata key the trace is written to, as a JSON array of {@link TraceEntry}.
 *
 * @example
 * ```ts
 * import { TRACE_RECORD, type TraceEntry } from 'polku';
 *
 * const trace = JSON.parse(msg.metadata[TRACE_RECORD] ?? '[]') as TraceEntry[];
 * ```
 */
export const TRACE_RECORD = '_polku.trace';

/**
 * One middleware's line in a message's `_polku.trace` record.
 *
 * @example
 * ```ts
 * const trace = JSON.parse(msg.metadata['_polku.trace'] ?? '[]') as TraceEntry[];
 * for (const t of trace) console.log(`${t.middleware}: ${t.action} in ${t.duration_us} µs`);
 * ```
 */
export interface TraceEntry {
	readonly middleware: string;
	/** `passed` (returned the same message), `modified`, `filtered`, `rejected` or `error`. */
	readonly action: 'passed' | 'modified' | 'filtered' | 'rejected' | 'error';
	/** Time spent in the middleware, in microseconds. */
	readonly duration_us: number;
}

/**
 * The middleware a message passed that want to know its fate (those with a
 * `settled` hook): pairs of middleware index and the message it returned.
 */
export type SettleTrail = (number | Message)[];

const isThenable = (value: object): value is PromiseLike<unknown> => typeof (value as { then?: unknown }).then === 'function';

/**
 * Runs messages through the middleware in order. Synchronous middleware run
 * in a plain loop (no promise per message); the first promise switches the
 * rest of that message's chain to async. Returns the message, `null` when
 * filtered, or a promise of either; throws {@link MiddlewareFailure}.
 */
export class MiddlewareChain {
	readonly list: readonly Middleware[];
	/** Unique display names (`filter`, `filter#2`, …) in chain order. */
	readonly names: readonly string[];
	readonly stats: readonly MiddlewareCounters[];
	/** True when some middleware has a `settled` hook: messages then carry a {@link SettleTrail}. */
	readonly tracksFates: boolean;
	readonly #settles: readonly boolean[];

	constructor(list: readonly Middleware[]) {
		this.list = list;
		this.#settles = list.map((m) => typeof m.settled === 'function');
		this.tracksFates = this.#settles.includes(true);
		const seen = new Map<string, number>();
		this.names = list.map((m) => {
			const n = (seen.get(m.name) ?? 0) + 1;
			seen.set(m.name, n);
			return n === 1 ? m.name : `${m.name}#${n}`;
		});
		this.stats = list.map(() => ({ processed: 0, filtered: 0, rejected: 0, errors: 0, counters: Object.create(null) as Record<string, number> }));
	}

	/**
	 * Runs `message` through the middleware from index `from` on; traced when
	 * it asks to be. With a `trail`, notes each middleware with a `settled`
	 * hook that passes the message on.
	 */
	run(message: Message, from = 0, trail?: SettleTrail): Message | null | Promise<Message | null> {
		if (message.metadata[TRACE_REQUEST] === 'true' && from < this.list.length) return this.#traced(message, from, trail);
		return this.#run(message, from, this.list.length, trail);
	}

	/** Tells every middleware in `trail` the message's fate. */
	settle(trail: SettleTrail, ok: boolean): void {
		for (let k = 0; k < trail.length; k += 2) {
			const i = trail[k] as number;
			try {
				this.list[i]!.settled!(trail[k + 1] as Message, ok);
			} catch {
				this.stats[i]!.errors++;
			}
		}
	}

	#run(message: Message, from: number, end: number, trail: SettleTrail | undefined): Message | null | Promise<Message | null> {
		const list = this.list;
		let current = message;
		for (let i = from; i < end; i++) {
			const stats = this.stats[i]!;
			stats.processed++;
			let result;
			try {
				result = list[i]!.process(current);
			} catch (error) {
				throw this.#failure(i, error);
			}
			if (result !== current) {
				if (result == null) {
					stats.filtered++;
					return null;
				}
				if (result instanceof Rejection) throw this.#rejection(i, result);
				if (isThenable(result)) return this.#continue(result, i, end, trail);
				current = this.#check(i, result);
			}
			if (trail !== undefined && this.#settles[i]) trail.push(i, current);
		}
		return current;
	}

	/**
	 * The slow path for a message with metadata `polku.trace` = "true": runs
	 * each middleware on its own, timing it and noting what it did, and writes
	 * the record as JSON into metadata `_polku.trace` (appending to a record
	 * an upstream hop left there).
	 */
	async #traced(message: Message, from: number, trail: SettleTrail | undefined): Promise<Message | null> {
		const entries: TraceEntry[] = [];
		let current = message;
		for (let i = from; i < this.list.length; i++) {
			const started = performance.now();
			const entry = (action: TraceEntry['action']): void => {
				entries.push({ middleware: this.names[i]!, action, duration_us: Math.round((performance.now() - started) * 1000) });
			};
			let result: Message | null;
			try {
				result = await this.#run(current, i, i + 1, trail);
			} catch (failure) {
				entry((failure as MiddlewareFailure).rejected ? 'rejected' : 'error');
				throw failure;
			}
			if (result === null) {
				entry('filtered');
				return null;
			}
			entry(result === current ? 'passed' : 'modified');
			current = result;
		}
		let previous: unknown[] = [];
		try {
			const parsed: unknown = JSON.parse(current.metadata[TRACE_RECORD] ?? '[]');
			if (Array.isArray(parsed)) previous = parsed;
		} catch {
			// an unreadable earlier record is replaced
		}
		return withMetadata(current, { [TRACE_RECORD]: JSON.stringify([...previous, ...entries]) });
	}

	async #continue(
		pending: PromiseLike<Message | null | undefined | Rejection>,
		i: number,
		end: number,
		trail: SettleTrail | undefined,
	): Promise<Message | null> {
		let result;
		try {
			result = await pending;
		} catch (error) {
			throw this.#failure(i, error);
		}
		if (result == null) {
			this.stats[i]!.filtered++;
			return null;
		}
		if (result instanceof Rejection) throw this.#rejection(i, result);
		const current = this.#check(i, result);
		if (trail !== undefined && this.#settles[i]) trail.push(i, current);
		return this.#run(current, i + 1, end, trail);
	}

	#check(i: number, result: unknown): Message {
		const bad = invalidMessageField(result);
		if (bad === undefined) return result as Message;
		throw this.#failure(i, new MessageValidationError(bad, `middleware "${this.names[i]!}" returned something that is not a message`));
	}

	#failure(i: number, error: unknown): MiddlewareFailure {
		this.stats[i]!.errors++;
		return new MiddlewareFailure(this.names[i]!, toError(error), false);
	}

	#rejection(i: number, rejection: Rejection): MiddlewareFailure {
		const stats = this.stats[i]!;
		stats.rejected++;
		stats.counters[rejection.label] = (stats.counters[rejection.label] ?? 0) + 1;
		const name = this.names[i]!;
		return new MiddlewareFailure(name, new RejectedError(name, rejection.label, rejection.cause), true);
	}
}

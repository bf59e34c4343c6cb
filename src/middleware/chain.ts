import { MessageValidationError, RejectedError, toError } from '../errors.js';
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

	constructor(list: readonly Middleware[]) {
		this.list = list;
		const seen = new Map<string, number>();
		this.names = list.map((m) => {
			const n = (seen.get(m.name) ?? 0) + 1;
			seen.set(m.name, n);
			return n === 1 ? m.name : `${m.name}#${n}`;
		});
		this.stats = list.map(() => ({ processed: 0, filtered: 0, rejected: 0, errors: 0, counters: Object.create(null) as Record<string, number> }));
	}

	run(message: Message, from = 0): Message | null | Promise<Message | null> {
		const list = this.list;
		let current = message;
		for (let i = from; i < list.length; i++) {
			const stats = this.stats[i]!;
			stats.processed++;
			let result;
			try {
				result = list[i]!.process(current);
			} catch (error) {
				throw this.#failure(i, error);
			}
			if (result === current) continue;
			if (result == null) {
				stats.filtered++;
				return null;
			}
			if (result instanceof Rejection) throw this.#rejection(i, result);
			if (isThenable(result)) return this.#continue(result, i);
			current = this.#check(i, result);
		}
		return current;
	}

	async #continue(pending: PromiseLike<Message | null | undefined | Rejection>, i: number): Promise<Message | null> {
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
		return this.run(this.#check(i, result), i + 1);
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

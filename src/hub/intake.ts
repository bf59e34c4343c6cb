import type { FanoutBuffer } from '../buffer/fanout-buffer.js';
import { DROP_REASONS, PolkuError, RejectedError, type DropReason } from '../errors.js';
import type { AbortSignalLike, BatchDrop, BatchOutcome } from '../input/input.js';
import type { Message } from '../message/message.js';
import { MiddlewareFailure, type MiddlewareChain } from '../middleware/chain.js';
import type { Delivery, DeliveryGroup } from './delivery.js';
import type { OverflowPolicy } from './options.js';
import type { Router } from './router.js';

const NO_DROPS: readonly BatchDrop[] = Object.freeze([]);

/** Rejections by the same middleware for the same label count as one cause. */
const sameCause = (a: Error | undefined, b: Error | undefined): boolean =>
	a === b || (a instanceof RejectedError && b instanceof RejectedError && a.middleware === b.middleware && a.label === b.label);

/** What the intake needs from the hub. */
export interface IntakeHost {
	/** Messages were accepted into the buffer: wake the output lanes. */
	accepted(): void;
	/** A call's admission finished (every message decided). */
	finished(): void;
	/** Messages were dropped before the buffer. */
	dropped(reason: DropReason, messages: readonly Message[], error: Error | undefined): void;
}

/** The state of one send / sendBatch / deliver / deliverBatch call. */
class Admission {
	index = 0;
	/** The current message after middleware, waiting for buffer space. */
	current: Message | undefined;
	accepted = 0;
	filtered = 0;
	drops: BatchDrop[] | undefined;
	dropped: Message[] | undefined;
	waiting = false;
	/** Set when the sender's signal aborted while it waited for space: what is left is dropped. */
	withdrawn: Error | undefined;
	onAbort: (() => void) | undefined;

	constructor(
		readonly items: readonly Message[],
		readonly from: number,
		readonly group: DeliveryGroup | undefined,
		readonly resolve: (outcome: BatchOutcome) => void,
		readonly signal: AbortSignalLike | undefined,
	) {}
}

/** The error of messages whose sender stopped waiting for buffer space (its signal aborted). */
function withdrawal(signal: AbortSignalLike): Error {
	return new PolkuError('ERR_POLKU_SEND_ABORTED', 'the sender stopped waiting for buffer space', { cause: signal.reason });
}

/**
 * The front of the pipeline: runs each message through the middleware chain,
 * routes it, and admits it to the buffer under the overflow policy. It keeps
 * the before-buffer counters, for which `received = filtered + dropped +
 * accepted` holds at every moment (a message is counted as received when its
 * admission is decided; until then it is in `admitting`).
 */
export class Intake {
	received = 0;
	filtered = 0;
	accepted = 0;
	/** Messages handed in whose admission is not decided yet (in async middleware or waiting for space). */
	admitting = 0;
	readonly dropped: Record<DropReason, number> = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
	/** When set, every new and waiting message is dropped with reason `shutdown`. */
	closed = false;

	readonly #chain: MiddlewareChain;
	readonly #router: Router;
	readonly #buffer: FanoutBuffer<Delivery>;
	readonly #policy: OverflowPolicy;
	readonly #host: IntakeHost;
	readonly #waiters: Admission[] = [];
	readonly #inMiddleware = new Set<Admission>();
	/** Admissions paused after a slice, to let the output lanes run (see `#advance`). */
	readonly #yielded = new Set<Admission>();
	readonly #slice: number;
	#resumeScheduled = false;

	/**
	 * @param slice - Most messages admitted in one go before yielding a
	 *   microtask, so a large batch cannot starve the output lanes (use the
	 *   largest output batch size).
	 */
	constructor(chain: MiddlewareChain, router: Router, buffer: FanoutBuffer<Delivery>, policy: OverflowPolicy, host: IntakeHost, slice: number) {
		this.#slice = slice;
		this.#chain = chain;
		this.#router = router;
		this.#buffer = buffer;
		this.#policy = policy;
		this.#host = host;
	}

	/** True while senders wait for buffer space. */
	get blocked(): boolean {
		return this.#waiters.length > 0;
	}

	/** True when nothing is waiting for space or inside async middleware. */
	get settled(): boolean {
		return this.#waiters.length === 0 && this.#inMiddleware.size === 0 && this.#yielded.size === 0;
	}

	/**
	 * Admits `items`, starting at middleware `from`. Resolves once every item
	 * is decided. When `signal` aborts while the call waits for buffer space
	 * (policy `block`), the messages not yet admitted are dropped with reason
	 * `overflow` (the buffer was full and the sender gave up).
	 */
	submit(items: readonly Message[], from: number, group: DeliveryGroup | undefined, signal?: AbortSignalLike): Promise<BatchOutcome> {
		return new Promise<BatchOutcome>((resolve) => {
			this.admitting += items.length;
			this.#advance(new Admission(items, from, group, resolve, signal));
		});
	}

	/** Counts a poison message an input gave up on (drop reason `invalid`); it never enters the pipeline. */
	invalid(message: Message, error: Error): void {
		this.received++;
		this.dropped.invalid++;
		this.#host.dropped('invalid', [message], error);
	}

	/** Buffer space was freed: let waiting senders in (once per tick). */
	spaceFreed(): void {
		if (this.#waiters.length === 0 || this.#resumeScheduled) return;
		this.#resumeScheduled = true;
		queueMicrotask(this.#resume);
	}

	#resume = (): void => {
		this.#resumeScheduled = false;
		while (this.#waiters.length > 0 && (this.closed || !this.#buffer.isFull)) {
			const head = this.#waiters[0]!;
			this.#advance(head);
			if (this.#waiters[0] === head) break; // still waiting
		}
	};

	/** Drops everything waiting for space or still in middleware with reason `shutdown`. */
	close(): void {
		this.closed = true;
		for (const adm of [...this.#waiters, ...this.#inMiddleware, ...this.#yielded]) {
			this.#inMiddleware.delete(adm);
			this.#yielded.delete(adm);
			this.#advance(adm);
		}
	}

	#advance(adm: Admission): void {
		const { items } = adm;
		let accepted = 0;
		let paused = false;
		while (adm.index < items.length) {
			if (accepted === this.#slice) {
				paused = true;
				break;
			}
			const original = items[adm.index]!;
			if (this.closed) {
				this.#drop(adm, original, 'shutdown', undefined);
				continue;
			}
			if (adm.withdrawn !== undefined) {
				this.#drop(adm, original, 'overflow', adm.withdrawn);
				continue;
			}
			let message = adm.current;
			if (message === undefined) {
				let result: Message | null | Promise<Message | null>;
				try {
					result = this.#chain.run(original, adm.from);
				} catch (thrown) {
					const failure = thrown as MiddlewareFailure;
					this.#drop(adm, original, failure.rejected ? 'rejected' : 'middleware-error', failure.error);
					continue;
				}
				if (result === null) {
					this.#filter(adm);
					continue;
				}
				if (result instanceof Promise) {
					this.#unwait(adm);
					this.#inMiddleware.add(adm);
					result.then(
						(m) => this.#resumeAfterMiddleware(adm, m, undefined),
						(failure: unknown) => this.#resumeAfterMiddleware(adm, null, failure),
					);
					break;
				}
				message = result;
			}
			if (!this.#enqueue(adm, original, message)) {
				const signal = adm.signal;
				if (signal?.aborted === true) {
					adm.withdrawn = withdrawal(signal);
					continue;
				}
				adm.current = message;
				this.#wait(adm);
				break;
			}
			accepted++;
		}
		if (accepted > 0) this.#host.accepted();
		if (paused) {
			// Let the lanes (woken just above) take what was admitted before admitting more.
			this.#yielded.add(adm);
			queueMicrotask(() => {
				if (this.#yielded.delete(adm)) this.#advance(adm);
			});
		} else if (adm.index === items.length) {
			this.#finish(adm);
		}
	}

	#resumeAfterMiddleware(adm: Admission, result: Message | null, failure: unknown): void {
		if (!this.#inMiddleware.delete(adm)) return; // already closed out by close()
		const original = adm.items[adm.index]!;
		if (failure !== undefined) {
			if (failure instanceof MiddlewareFailure) this.#drop(adm, original, failure.rejected ? 'rejected' : 'middleware-error', failure.error);
			else this.#drop(adm, original, 'middleware-error', failure as Error);
		} else if (result === null) {
			this.#filter(adm);
		} else {
			adm.current = result;
		}
		this.#advance(adm);
	}

	/** Routes and buffers one message; false when the caller must wait for space. */
	#enqueue(adm: Admission, original: Message, message: Message): boolean {
		const route = this.#router.route(message);
		if (route === undefined) {
			this.#drop(adm, original, 'unroutable', undefined);
			return true;
		}
		const buffer = this.#buffer;
		if (this.#policy === 'block') {
			if (buffer.isFull || (this.#waiters.length > 0 && this.#waiters[0] !== adm)) return false;
		} else if (buffer.isFull) {
			if (this.#policy === 'drop-newest') {
				this.#drop(adm, original, 'overflow', undefined);
				return true;
			}
			buffer.evictOldest();
		}
		const key = adm.group?.track(adm.index, original.id, this.#router.count(route));
		buffer.push(message, route, key);
		adm.current = undefined;
		adm.index++;
		adm.accepted++;
		this.accepted++;
		this.received++;
		this.admitting--;
		return true;
	}

	#filter(adm: Admission): void {
		adm.index++;
		adm.filtered++;
		this.filtered++;
		this.received++;
		this.admitting--;
		adm.group?.filtered();
	}

	#drop(adm: Admission, original: Message, reason: DropReason, error: Error | undefined): void {
		(adm.drops ??= []).push(error === undefined ? { index: adm.index, id: original.id, reason } : { index: adm.index, id: original.id, reason, error });
		(adm.dropped ??= []).push(original);
		adm.group?.failed(adm.index, original.id, reason, undefined, error);
		adm.current = undefined;
		adm.index++;
		this.dropped[reason]++;
		this.received++;
		this.admitting--;
	}

	#wait(adm: Admission): void {
		if (adm.waiting) return;
		adm.waiting = true;
		this.#waiters.push(adm);
		const signal = adm.signal;
		if (signal !== undefined && adm.onAbort === undefined) {
			adm.onAbort = () => {
				if (!adm.waiting) return;
				adm.withdrawn = withdrawal(signal);
				this.#unwait(adm);
				this.#advance(adm);
				this.spaceFreed(); // the senders behind it may fit now
			};
			signal.addEventListener('abort', adm.onAbort, { once: true });
		}
	}

	#unwait(adm: Admission): void {
		if (!adm.waiting) return;
		adm.waiting = false;
		this.#waiters.splice(this.#waiters.indexOf(adm), 1);
	}

	#finish(adm: Admission): void {
		this.#unwait(adm);
		if (adm.onAbort !== undefined) adm.signal!.removeEventListener('abort', adm.onAbort);
		const { drops, dropped } = adm;
		if (drops !== undefined && dropped !== undefined) this.#reportDrops(drops, dropped);
		adm.resolve({ accepted: adm.accepted, filtered: adm.filtered, dropped: drops ?? NO_DROPS });
		this.#host.finished();
	}

	/** One drop event per run of drops with the same reason and cause in the call. */
	#reportDrops(drops: readonly BatchDrop[], messages: readonly Message[]): void {
		let start = 0;
		for (let i = 1; i <= drops.length; i++) {
			if (i < drops.length && drops[i]!.reason === drops[start]!.reason && sameCause(drops[i]!.error, drops[start]!.error)) continue;
			this.#host.dropped(drops[start]!.reason, messages.slice(start, i), drops[start]!.error);
			start = i;
		}
	}
}

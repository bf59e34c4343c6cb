import type { FanoutBuffer } from '../buffer/fanout-buffer.js';
import { DROP_REASONS, PolkuError, RejectedError, type DropReason } from '../errors.js';
import type { AbortSignalLike, BatchDrop, BatchOutcome, SendOutcome } from '../input/input.js';
import type { Message } from '../message/message.js';
import { MiddlewareFailure, type MiddlewareChain, type SettleTrail } from '../middleware/chain.js';
import type { Delivery, DeliveryGroup } from './delivery.js';
import type { OverflowPolicy } from './options.js';
import type { Router } from './router.js';
import { WaitQueue } from './wait-queue.js';

const NO_DROPS: readonly BatchDrop[] = Object.freeze([]);

/** Rejections by the same middleware for the same label count as one cause. */
const sameCause = (a: Error | undefined, b: Error | undefined): boolean =>
	a === b || (a instanceof RejectedError && b instanceof RejectedError && a.middleware === b.middleware && a.label === b.label);

/** What the intake needs from the hub. */
export interface IntakeHost {
	/** Messages were accepted into the buffer: wake the output lanes. */
	accepted(): void;
	/** True while the lanes must see every message at once (the hub is draining). */
	readonly urgent: boolean;
	/** A call's admission finished (every message decided). */
	finished(): void;
	/** Messages were dropped before the buffer. */
	dropped(reason: DropReason, messages: readonly Message[], error: Error | undefined): void;
}

const RUNNING = 0;
const WAITING = 1;
const IN_MIDDLEWARE = 2;
const YIELDED = 3;
const DONE = 4;
type AdmissionState = typeof RUNNING | typeof WAITING | typeof IN_MIDDLEWARE | typeof YIELDED | typeof DONE;

/** The state of one send / sendBatch / deliver / deliverBatch call that could not be decided at once. */
class Admission {
	/** The messages; the caller's array until the admission first has to wait, then a copy of it. */
	items: readonly Message[];
	owned = false;
	index = 0;
	/** The current message after middleware, waiting for buffer space. */
	current: Message | undefined;
	/** The fate-tracking trail of the current message (when some middleware track fates). */
	trail: SettleTrail | undefined;
	accepted = 0;
	filtered = 0;
	drops: BatchDrop[] | undefined;
	dropped: Message[] | undefined;
	state: AdmissionState = RUNNING;
	/** Set when the sender's signal aborted while it waited for space: what is left is dropped. */
	withdrawn: Error | undefined;
	onAbort: (() => void) | undefined;
	// WaitQueue links (the FIFO of senders waiting for buffer space).
	prev: Admission | undefined;
	next: Admission | undefined;
	queued = false;

	/**
	 * @param single - A `send()`: resolve with the {@link SendOutcome} itself
	 *   (no second promise to convert a batch outcome).
	 */
	constructor(
		items: readonly Message[],
		readonly from: number,
		readonly group: DeliveryGroup | undefined,
		readonly resolve: (outcome: BatchOutcome & SendOutcome) => void,
		readonly signal: AbortSignalLike | undefined,
		readonly single = false,
	) {
		this.items = items;
	}
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
 *
 * Senders that must wait for space (policy `block`) wait in one FIFO
 * ({@link WaitQueue}): every step of a blocked sender is O(1), however many
 * wait. A single message that can be decided at once (the common case) takes
 * a fast path without any per-call state.
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
	readonly #waiters = new WaitQueue<Admission>();
	readonly #inMiddleware = new Set<Admission>();
	/** Admissions paused after a slice, to let the output lanes run (see `#advance`). */
	readonly #yielded = new Set<Admission>();
	readonly #slice: number;
	readonly #settleFate: (trail: SettleTrail, ok: boolean) => void;
	#resumeScheduled = false;
	/** While `close()` runs: drops collected to be reported as one event per reason and cause. */
	#closing: { drops: BatchDrop[]; messages: Message[] } | undefined;
	#middlewareIdle: (() => void) | undefined;

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
		this.#settleFate = (trail, ok) => chain.settle(trail, ok);
	}

	/** True while senders wait for buffer space. */
	get blocked(): boolean {
		return this.#waiters.size > 0;
	}

	/** Admissions with a message inside async middleware. */
	get inMiddleware(): number {
		return this.#inMiddleware.size;
	}

	/** True when nothing is waiting for space or inside async middleware. */
	get settled(): boolean {
		return this.#waiters.size === 0 && this.#inMiddleware.size === 0 && this.#yielded.size === 0;
	}

	/** Resolves once no message is inside async middleware (at once if none is). */
	middlewareIdle(): Promise<void> {
		if (this.#inMiddleware.size === 0) return Promise.resolve();
		return new Promise((resolve) => {
			const previous = this.#middlewareIdle;
			this.#middlewareIdle = () => {
				previous?.();
				resolve();
			};
		});
	}

	/**
	 * Sends one message (`send()`), deciding it at once when it can: no
	 * admission state, one promise. Falls back to {@link Intake.submit} when it
	 * must wait (async middleware, a full buffer under `block`).
	 */
	sendOne(original: Message, from = 0): Promise<SendOutcome> {
		if (this.closed || this.#waiters.size > 0 || this.#chain.tracksFates) return this.#sendSlow(original, from);
		let result: Message | null | Promise<Message | null>;
		try {
			result = this.#chain.run(original, from);
		} catch (thrown) {
			const failure = thrown as MiddlewareFailure;
			return Promise.resolve(this.#dropOne(original, failure.rejected ? 'rejected' : 'middleware-error', failure.error));
		}
		if (result === null) {
			this.filtered++;
			this.received++;
			return Promise.resolve({ status: 'filtered', id: original.id });
		}
		if (result instanceof Promise) {
			return new Promise<SendOutcome>((resolve) => {
				this.admitting++;
				const adm = new Admission([original], from, undefined, resolve, undefined, true);
				this.#toMiddleware(adm, result);
			});
		}
		const route = this.#router.route(result);
		if (route === undefined) return Promise.resolve(this.#dropOne(original, 'unroutable', undefined));
		const buffer = this.#buffer;
		if (buffer.isFull) {
			if (this.#policy === 'block') {
				return new Promise<SendOutcome>((resolve) => {
					this.admitting++;
					const adm = new Admission([original], from, undefined, resolve, undefined, true);
					adm.current = result;
					adm.owned = true;
					this.#wait(adm);
				});
			}
			if (this.#policy === 'drop-newest') return Promise.resolve(this.#dropOne(original, 'overflow', undefined));
			buffer.evictOldest();
		}
		buffer.push(result, route, undefined);
		this.accepted++;
		this.received++;
		// Wake the lanes only when this message gives one of them something to do (a first message, a full batch).
		if (buffer.takeWake() || this.#host.urgent) this.#host.accepted();
		return Promise.resolve({ status: 'accepted', id: original.id });
	}

	#sendSlow(original: Message, from: number): Promise<SendOutcome> {
		return new Promise<SendOutcome>((resolve) => {
			this.admitting++;
			this.#advance(new Admission([original], from, undefined, resolve, undefined, true));
		});
	}

	#dropOne(original: Message, reason: DropReason, error: Error | undefined): SendOutcome {
		this.dropped[reason]++;
		this.received++;
		this.#host.dropped(reason, [original], error);
		return error === undefined ? { status: 'dropped', id: original.id, reason } : { status: 'dropped', id: original.id, reason, error };
	}

	/**
	 * Admits `items`, starting at middleware `from`. Resolves once every item
	 * is decided. When `signal` aborts while the call waits for buffer space
	 * (policy `block`), the messages not yet admitted are dropped with reason
	 * `overflow` (the buffer was full and the sender gave up).
	 */
	submit(items: readonly Message[], from: number, group: DeliveryGroup | undefined, signal?: AbortSignalLike): Promise<BatchOutcome> {
		if (group !== undefined && this.#chain.tracksFates) group.settleFate = this.#settleFate;
		return new Promise<BatchOutcome>((resolve) => {
			this.admitting += items.length;
			this.#advance(new Admission(items, from, group, resolve, signal));
		});
	}

	/** Drops every message of a call with reason `shutdown` (a call the hub refuses because it is stopping). */
	refuse(items: readonly Message[], group: DeliveryGroup | undefined): BatchOutcome {
		if (items.length === 0) return { accepted: 0, filtered: 0, dropped: NO_DROPS };
		const drops: BatchDrop[] = [];
		for (let i = 0; i < items.length; i++) {
			drops.push({ index: i, id: items[i]!.id, reason: 'shutdown' });
			group?.failed(i, items[i]!.id, 'shutdown');
		}
		this.dropped.shutdown += items.length;
		this.received += items.length;
		this.#host.dropped('shutdown', items.slice(), undefined);
		return { accepted: 0, filtered: 0, dropped: drops };
	}

	/** Counts a poison message an input gave up on (drop reason `invalid`); it never enters the pipeline. */
	invalid(message: Message, error: Error): void {
		this.received++;
		this.dropped.invalid++;
		this.#host.dropped('invalid', [message], error);
	}

	/** Buffer space was freed: let waiting senders in (once per tick). */
	spaceFreed(): void {
		if (this.#waiters.size === 0 || this.#resumeScheduled) return;
		this.#resumeScheduled = true;
		queueMicrotask(this.#resume);
	}

	#resume = (): void => {
		this.#resumeScheduled = false;
		for (let head = this.#waiters.head; head !== undefined && (this.closed || !this.#buffer.isFull); head = this.#waiters.head) {
			if (head.state === YIELDED) break; // the head admits a slice at a time; it resumes itself
			this.#advance(head);
			if (this.#waiters.head === head) break; // still waiting
		}
	};

	/**
	 * Drops everything waiting for space or still in middleware with reason
	 * `shutdown`, reported as one drop event per reason and cause.
	 */
	close(): void {
		this.closed = true;
		const open = new Set<Admission>(this.#waiters.toArray());
		for (const adm of this.#inMiddleware) open.add(adm);
		for (const adm of this.#yielded) open.add(adm);
		this.#inMiddleware.clear();
		this.#yielded.clear();
		this.#closing = { drops: [], messages: [] };
		try {
			for (const adm of open) {
				if (adm.state === IN_MIDDLEWARE || adm.state === YIELDED) adm.state = RUNNING;
				this.#advance(adm);
			}
		} finally {
			const { drops, messages } = this.#closing;
			this.#closing = undefined;
			if (drops.length > 0) this.#reportDrops(drops, messages);
			this.#notifyMiddlewareIdle();
		}
	}

	#advance(adm: Admission): void {
		if (adm.state === DONE) return;
		adm.state = RUNNING;
		let items = adm.items;
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
				const trail = this.#chain.tracksFates ? (adm.trail = []) : undefined;
				try {
					result = this.#chain.run(original, adm.from, trail);
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
					this.#toMiddleware(adm, result);
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
				this.#own(adm);
				items = adm.items;
				this.#wait(adm);
				break;
			}
			accepted++;
		}
		if (accepted > 0) this.#host.accepted();
		if (paused) {
			// Let the lanes (woken just above) take what was admitted before admitting more.
			this.#own(adm);
			adm.state = YIELDED;
			this.#yielded.add(adm);
			queueMicrotask(() => {
				if (this.#yielded.delete(adm)) this.#advance(adm);
			});
		} else if (adm.index === items.length) {
			this.#finish(adm);
		}
	}

	/** The admission will continue later: from now on it works on its own copy of the caller's array. */
	#own(adm: Admission): void {
		if (adm.owned) return;
		adm.owned = true;
		adm.items = adm.items.slice();
	}

	#toMiddleware(adm: Admission, result: Promise<Message | null>): void {
		this.#own(adm);
		this.#waiters.remove(adm);
		adm.state = IN_MIDDLEWARE;
		this.#inMiddleware.add(adm);
		result.then(
			(m) => this.#resumeAfterMiddleware(adm, m, undefined),
			(failure: unknown) => this.#resumeAfterMiddleware(adm, null, failure),
		);
	}

	#resumeAfterMiddleware(adm: Admission, result: Message | null, failure: unknown): void {
		if (!this.#inMiddleware.delete(adm)) return; // already closed out by close()
		adm.state = RUNNING;
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
		if (this.#inMiddleware.size === 0) this.#notifyMiddlewareIdle();
	}

	#notifyMiddlewareIdle(): void {
		const idle = this.#middlewareIdle;
		if (idle === undefined || this.#inMiddleware.size > 0) return;
		this.#middlewareIdle = undefined;
		idle();
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
			if (buffer.isFull) return false;
			const head = this.#waiters.head;
			if (head !== undefined && head !== adm) return false; // first come, first served
		} else if (buffer.isFull) {
			if (this.#policy === 'drop-newest') {
				this.#drop(adm, original, 'overflow', undefined);
				return true;
			}
			buffer.evictOldest();
		}
		const trail = adm.trail;
		adm.trail = undefined;
		const group = adm.group;
		const key = group?.track(adm.index, original.id, this.#router.count(route), trail);
		buffer.push(message, route, key);
		if (trail !== undefined && group === undefined) this.#chain.settle(trail, true);
		adm.current = undefined;
		adm.index++;
		adm.accepted++;
		this.accepted++;
		this.received++;
		this.admitting--;
		return true;
	}

	#filter(adm: Admission): void {
		const trail = adm.trail;
		if (trail !== undefined) {
			adm.trail = undefined;
			this.#chain.settle(trail, true);
		}
		adm.index++;
		adm.filtered++;
		this.filtered++;
		this.received++;
		this.admitting--;
		adm.group?.filtered();
	}

	#drop(adm: Admission, original: Message, reason: DropReason, error: Error | undefined): void {
		const trail = adm.trail;
		if (trail !== undefined) {
			adm.trail = undefined;
			this.#chain.settle(trail, false);
		}
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
		adm.state = WAITING;
		if (adm.queued) return;
		this.#waiters.push(adm);
		const signal = adm.signal;
		if (signal !== undefined && adm.onAbort === undefined) {
			adm.onAbort = () => {
				if (adm.state !== WAITING) return;
				adm.withdrawn = withdrawal(signal);
				this.#waiters.remove(adm);
				this.#advance(adm);
				this.spaceFreed(); // the senders behind it may fit now
			};
			signal.addEventListener('abort', adm.onAbort, { once: true });
		}
	}

	#finish(adm: Admission): void {
		adm.state = DONE;
		const wasHead = this.#waiters.head === adm;
		this.#waiters.remove(adm);
		if (adm.onAbort !== undefined) adm.signal!.removeEventListener('abort', adm.onAbort);
		const { drops, dropped } = adm;
		if (drops !== undefined && dropped !== undefined) {
			const closing = this.#closing;
			if (closing === undefined) this.#reportDrops(drops, dropped);
			else {
				for (const d of drops) closing.drops.push(d);
				for (const m of dropped) closing.messages.push(m);
			}
		}
		const outcome = { accepted: adm.accepted, filtered: adm.filtered, dropped: drops ?? NO_DROPS };
		adm.resolve((adm.single ? singleOutcome(outcome, adm.items[0]!.id) : outcome) as BatchOutcome & SendOutcome);
		this.#host.finished();
		if (wasHead && this.#waiters.size > 0 && !this.#buffer.isFull) this.spaceFreed();
	}

	/** One drop event per run of drops with the same reason and cause. */
	#reportDrops(drops: readonly BatchDrop[], messages: readonly Message[]): void {
		let start = 0;
		for (let i = 1; i <= drops.length; i++) {
			if (i < drops.length && drops[i]!.reason === drops[start]!.reason && sameCause(drops[i]!.error, drops[start]!.error)) continue;
			this.#host.dropped(drops[start]!.reason, start === 0 && i === drops.length ? messages : messages.slice(start, i), drops[start]!.error);
			start = i;
		}
	}
}

/** The `send()` outcome of a one-message admission. */
export function singleOutcome(outcome: BatchOutcome, id: string): SendOutcome {
	if (outcome.accepted === 1) return { status: 'accepted', id };
	if (outcome.filtered === 1) return { status: 'filtered', id };
	const drop = outcome.dropped[0]!;
	return drop.error === undefined ? { status: 'dropped', id, reason: drop.reason } : { status: 'dropped', id, reason: drop.reason, error: drop.error };
}

import { ConfigError } from '../../errors.js';
import type { EnvelopeHeader } from '../../envelope/headers.js';
import type { DeadLetter, FetchOptions, MemoryQueueConsumer, QueueDelivery } from './types.js';

/** A queued message. */
interface Entry {
	readonly seq: number;
	readonly headers: readonly EnvelopeHeader[];
	readonly payload: Uint8Array;
	deliveries: number;
}

/** A fetch waiting for messages or for room. */
interface Waiting {
	readonly consumer: Consumer;
	readonly max: number;
	finish(deliveries: QueueDelivery[]): void;
}

/** Settings of the engine, after defaults. */
export interface EngineSettings {
	readonly name: string;
	readonly ackWaitMs: number;
	readonly redeliveryDelayMs: number;
	readonly maxDeliveries: number;
}

type Settle = { readonly kind: 'ack' } | { readonly kind: 'nack'; readonly delayMs: number } | { readonly kind: 'term'; readonly error: Error | undefined } | { readonly kind: 'return' };

/** First index in `list` whose `key` is greater than `value` (list sorted by `key`). */
function upperBound<T>(list: readonly T[], value: number, key: (item: T) => number): number {
	let lo = 0;
	let hi = list.length;
	while (lo < hi) {
		const mid = (lo + hi) >>> 1;
		if (key(list[mid]!) <= value) lo = mid + 1;
		else hi = mid;
	}
	return lo;
}

/** One delivery, held by a consumer until settled. */
class Lease implements QueueDelivery {
	readonly seq: number;
	readonly headers: readonly EnvelopeHeader[];
	readonly payload: Uint8Array;
	readonly deliveryCount: number;
	deadline: number;
	settled = false;

	constructor(
		readonly entry: Entry,
		readonly consumer: Consumer,
		readonly engine: QueueEngine,
		deadline: number,
	) {
		this.seq = entry.seq;
		this.headers = entry.headers;
		this.payload = entry.payload;
		this.deliveryCount = entry.deliveries;
		this.deadline = deadline;
	}

	get redelivered(): boolean {
		return this.deliveryCount > 1;
	}

	ack(): boolean {
		return this.engine.settle(this, { kind: 'ack' });
	}

	nack(delayMs?: number): boolean {
		const delay = delayMs ?? this.engine.settings.redeliveryDelayMs;
		if (typeof delay !== 'number' || !(delay >= 0) || !Number.isFinite(delay)) throw new ConfigError('nack(delayMs)', `must be a finite number >= 0, got ${String(delayMs)}`);
		return this.engine.settle(this, { kind: 'nack', delayMs: delay });
	}

	term(error?: Error): boolean {
		return this.engine.settle(this, { kind: 'term', error });
	}

	working(): boolean {
		return this.engine.extend(this);
	}
}

class Consumer implements MemoryQueueConsumer {
	readonly leases = new Set<Lease>();
	closed = false;

	constructor(
		readonly prefetch: number,
		readonly engine: QueueEngine,
	) {}

	get unacked(): number {
		return this.leases.size;
	}

	fetch(max: number, options: FetchOptions = {}): Promise<QueueDelivery[]> {
		return this.engine.fetch(this, max, options);
	}

	close(): void {
		this.engine.closeConsumer(this);
	}
}

/**
 * The state and rules of a MemoryQueue: ready messages (returned ones first,
 * in sequence order, then new ones in publish order), delayed ones (nacked
 * with a delay), leases (delivered, unsettled; taken back after ackWaitMs),
 * and fetches waiting for messages or room.
 */
export class QueueEngine {
	readonly settings: EngineSettings;
	readonly deadLetters: DeadLetter[] = [];
	published = 0;
	acked = 0;
	nacked = 0;
	expired = 0;
	redelivered = 0;

	#seq = 0;
	#fresh: Entry[] = [];
	#head = 0;
	/** Returned entries (nacked without delay, expired, or from a closed consumer), sorted by seq. */
	readonly #returned: Entry[] = [];
	/** Nacked entries waiting for their delay, sorted by readyAt. */
	readonly #delayed: { readonly entry: Entry; readonly readyAt: number }[] = [];
	#delayTimer: NodeJS.Timeout | undefined;
	#delayTimerAt = Infinity;
	/** Every unsettled lease, in deadline order (ackWaitMs is the same for all; `working()` moves one to the end). */
	readonly #leases = new Set<Lease>();
	#ackTimer: NodeJS.Timeout | undefined;
	#waiting: Waiting[] = [];
	readonly #consumers = new Set<Consumer>();
	#dispatchScheduled = false;
	#closed = false;
	readonly #onDeadLetter: (letter: DeadLetter) => void;

	constructor(settings: EngineSettings, onDeadLetter: (letter: DeadLetter) => void) {
		this.settings = settings;
		this.#onDeadLetter = onDeadLetter;
	}

	get ready(): number {
		return this.#returned.length + this.#fresh.length - this.#head;
	}

	get delayed(): number {
		return this.#delayed.length;
	}

	get unacked(): number {
		return this.#leases.size;
	}

	get consumers(): number {
		return this.#consumers.size;
	}

	publish(headers: readonly EnvelopeHeader[], payload: Uint8Array): number {
		const seq = ++this.#seq;
		this.#fresh.push({ seq, headers, payload, deliveries: 0 });
		this.published++;
		this.#scheduleDispatch();
		return seq;
	}

	consumer(prefetch: number): MemoryQueueConsumer {
		const consumer = new Consumer(prefetch, this);
		if (this.#closed) consumer.closed = true;
		else this.#consumers.add(consumer);
		return consumer;
	}

	fetch(consumer: Consumer, max: number, options: FetchOptions): Promise<QueueDelivery[]> {
		if (!Number.isInteger(max) || max < 1) return Promise.reject(new ConfigError('fetch(max)', `must be an integer >= 1, got ${String(max)}`));
		const { signal, expiresMs } = options;
		if (expiresMs !== undefined && !(expiresMs >= 0)) return Promise.reject(new ConfigError('fetch(expiresMs)', `must be a number >= 0, got ${String(expiresMs)}`));
		if (consumer.closed || signal?.aborted === true) return Promise.resolve([]);
		return new Promise((resolve) => {
			let timer: NodeJS.Timeout | undefined;
			const onAbort = (): void => this.#cancel(waiting);
			const waiting: Waiting = {
				consumer,
				max,
				finish: (deliveries) => {
					clearTimeout(timer);
					signal?.removeEventListener('abort', onAbort);
					resolve(deliveries);
				},
			};
			this.#waiting.push(waiting);
			this.#dispatch();
			if (!this.#waiting.includes(waiting)) return;
			signal?.addEventListener('abort', onAbort, { once: true });
			if (expiresMs !== undefined) timer = setTimeout(onAbort, expiresMs);
		});
	}

	/** Ends a waiting fetch with nothing. */
	#cancel(waiting: Waiting): void {
		const i = this.#waiting.indexOf(waiting);
		if (i < 0) return;
		this.#waiting.splice(i, 1);
		waiting.finish([]);
	}

	settle(lease: Lease, how: Settle): boolean {
		if (lease.settled) return false;
		lease.settled = true;
		this.#leases.delete(lease);
		lease.consumer.leases.delete(lease);
		const entry = lease.entry;
		switch (how.kind) {
			case 'ack':
				this.acked++;
				break;
			case 'nack':
				this.nacked++;
				this.#giveBack(entry, how.delayMs);
				break;
			case 'term':
				this.#deadLetter(entry, 'terminated', how.error);
				break;
			case 'return':
				this.#giveBack(entry, undefined);
				break;
		}
		// Room for the consumer, and maybe a message for another one.
		this.#scheduleDispatch();
		return true;
	}

	extend(lease: Lease): boolean {
		if (lease.settled) return false;
		this.#leases.delete(lease);
		lease.deadline = performance.now() + this.settings.ackWaitMs;
		this.#leases.add(lease);
		return true;
	}

	closeConsumer(consumer: Consumer): void {
		if (consumer.closed) return;
		consumer.closed = true;
		this.#consumers.delete(consumer);
		for (const w of this.#waiting.filter((x) => x.consumer === consumer)) this.#cancel(w);
		for (const lease of [...consumer.leases]) this.settle(lease, { kind: 'return' });
	}

	/** Closes every consumer and stops the timers; later publishes are refused by the facade. */
	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		for (const consumer of [...this.#consumers]) this.closeConsumer(consumer);
		clearTimeout(this.#ackTimer);
		clearTimeout(this.#delayTimer);
		this.#ackTimer = undefined;
		this.#delayTimer = undefined;
	}

	get closed(): boolean {
		return this.#closed;
	}

	/**
	 * Back to the queue after a nack (`delayMs`), an expiry or a closed consumer
	 * (`undefined`: at once): redelivered, or dead-lettered when out of
	 * deliveries. A nack always waits for a timer, even with no delay, as a
	 * broker's redelivery waits for I/O: a consumer that nacks at once in a
	 * loop cannot starve the event loop with promise callbacks.
	 */
	#giveBack(entry: Entry, delayMs: number | undefined): void {
		if (entry.deliveries >= this.settings.maxDeliveries) {
			this.#deadLetter(entry, 'max-deliveries', undefined);
			return;
		}
		if (delayMs !== undefined && !this.#closed) {
			const readyAt = performance.now() + delayMs;
			this.#delayed.splice(upperBound(this.#delayed, readyAt, (d) => d.readyAt), 0, { entry, readyAt });
			this.#armDelayTimer();
			return;
		}
		this.#returned.splice(upperBound(this.#returned, entry.seq, (e) => e.seq), 0, entry);
	}

	#deadLetter(entry: Entry, reason: DeadLetter['reason'], error: Error | undefined): void {
		const letter: DeadLetter = {
			seq: entry.seq,
			headers: entry.headers,
			payload: entry.payload,
			deliveries: entry.deliveries,
			reason,
			...(error === undefined ? {} : { error }),
		};
		this.deadLetters.push(letter);
		this.#onDeadLetter(letter);
	}

	#scheduleDispatch(): void {
		if (this.#dispatchScheduled) return;
		this.#dispatchScheduled = true;
		queueMicrotask(() => {
			this.#dispatchScheduled = false;
			this.#dispatch();
		});
	}

	/** Serves waiting fetches in arrival order while messages are ready. */
	#dispatch(): void {
		let i = 0;
		while (i < this.#waiting.length && this.ready > 0) {
			const waiting = this.#waiting[i]!;
			const room = waiting.consumer.prefetch - waiting.consumer.unacked;
			if (room <= 0) {
				i++;
				continue;
			}
			this.#waiting.splice(i, 1);
			waiting.finish(this.#take(waiting.consumer, Math.min(waiting.max, room)));
		}
	}

	#take(consumer: Consumer, max: number): QueueDelivery[] {
		const out: QueueDelivery[] = [];
		const deadline = performance.now() + this.settings.ackWaitMs;
		while (out.length < max) {
			let entry: Entry;
			if (this.#returned.length > 0) entry = this.#returned.shift()!;
			else if (this.#head < this.#fresh.length) entry = this.#fresh[this.#head++]!;
			else break;
			entry.deliveries++;
			if (entry.deliveries > 1) this.redelivered++;
			const lease = new Lease(entry, consumer, this, deadline);
			consumer.leases.add(lease);
			this.#leases.add(lease);
			out.push(lease);
		}
		if (this.#head > 1024 && this.#head * 2 > this.#fresh.length) {
			this.#fresh = this.#fresh.slice(this.#head);
			this.#head = 0;
		}
		this.#armAckTimer();
		return out;
	}

	#armAckTimer(): void {
		if (this.#ackTimer !== undefined || this.#leases.size === 0 || !Number.isFinite(this.settings.ackWaitMs)) return;
		const first = this.#leases.values().next().value!;
		this.#ackTimer = setTimeout(this.#onAckTimer, Math.max(0, first.deadline - performance.now()));
		this.#ackTimer.unref();
	}

	#onAckTimer = (): void => {
		this.#ackTimer = undefined;
		const now = performance.now();
		for (const lease of this.#leases) {
			if (lease.deadline > now) break;
			this.expired++;
			this.settle(lease, { kind: 'return' });
		}
		this.#armAckTimer();
	};

	#armDelayTimer(): void {
		const first = this.#delayed[0];
		if (first === undefined || first.readyAt >= this.#delayTimerAt) return;
		clearTimeout(this.#delayTimer);
		this.#delayTimerAt = first.readyAt;
		this.#delayTimer = setTimeout(this.#onDelayTimer, Math.max(0, first.readyAt - performance.now()));
		this.#delayTimer.unref();
	}

	#onDelayTimer = (): void => {
		this.#delayTimer = undefined;
		this.#delayTimerAt = Infinity;
		const now = performance.now();
		let due = 0;
		while (due < this.#delayed.length && this.#delayed[due]!.readyAt <= now) due++;
		for (const { entry } of this.#delayed.splice(0, due)) {
			this.#returned.splice(upperBound(this.#returned, entry.seq, (e) => e.seq), 0, entry);
		}
		this.#armDelayTimer();
		this.#scheduleDispatch();
	};
}

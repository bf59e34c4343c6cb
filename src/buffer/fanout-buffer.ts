import type { Message } from '../message/message.js';

/**
 * The hub's buffer: one bounded ring of messages that every output reads with
 * its own cursor. A slot is freed once every output it is routed to has taken
 * it, so a lagging output holds space (and, when the ring is full, triggers
 * the overflow policy) without delaying the others. Each slot carries a route
 * mask (one bit per reader) and, for `deliver()`, a tracker `K`.
 *
 * A reader may also have a limit: when more than that many messages wait for
 * it, its oldest are dropped from its view in one go, down to 7/8 of the
 * limit (so a stalled output never holds more than its limit, and the
 * dropping costs once per limit/8 messages rather than once per message). Every message dropped from a reader's view, by a limit
 * or by {@link FanoutBuffer.evictOldest}, is reported to `evicted`.
 *
 * Sequence numbers grow without bound (2^53 messages is centuries at 10 M/s);
 * a sequence's slot is `seq % capacity`.
 */
export class FanoutBuffer<K> {
	readonly capacity: number;
	readonly readers: number;
	readonly words: number;
	readonly #slots: (Message | undefined)[];
	readonly #keys: (K | undefined)[];
	readonly #routes: Uint32Array;
	readonly #cursor: number[];
	readonly #pending: number[];
	readonly #routed: number[];
	readonly #limits: number[];
	readonly #wakeAt: number[];
	/**
	 * Set by `push` when a reader's pending count reached 1 or its `wakeAt`
	 * (its consumer has something to do); cleared by {@link FanoutBuffer.takeWake}.
	 */
	#wake = false;
	readonly #evicted: (reader: number, message: Message, key: K | undefined) => void;
	#head = 0;
	#tail = 0;
	#keyed = 0;

	/**
	 * @param limits - Per reader, the most messages that may wait for it. @default capacity
	 * @param evicted - Told of each message dropped from a reader's view.
	 * @param wakeAt - Per reader, the pending count at which `push` asks for a wake-up (see {@link FanoutBuffer.takeWake}). @default 1
	 */
	constructor(
		capacity: number,
		readers: number,
		evicted: (reader: number, message: Message, key: K | undefined) => void = () => {},
		limits?: readonly number[],
		wakeAt?: readonly number[],
	) {
		this.capacity = capacity;
		this.readers = readers;
		this.#evicted = evicted;
		this.#limits = Array.from({ length: readers }, (_, r) => limits?.[r] ?? capacity);
		this.#wakeAt = Array.from({ length: readers }, (_, r) => wakeAt?.[r] ?? 1);
		this.words = Math.max(1, Math.ceil(readers / 32));
		this.#slots = new Array<Message | undefined>(capacity).fill(undefined);
		this.#keys = new Array<K | undefined>(capacity).fill(undefined);
		this.#routes = new Uint32Array(capacity * this.words);
		this.#cursor = new Array<number>(readers).fill(0);
		this.#pending = new Array<number>(readers).fill(0);
		this.#routed = new Array<number>(readers).fill(0);
	}

	/** Messages held (not yet taken by every output they are routed to). */
	get size(): number {
		return this.#tail - this.#head;
	}

	get isFull(): boolean {
		return this.#tail - this.#head === this.capacity;
	}

	/**
	 * True (once) if a `push` since the last call brought a reader's pending
	 * count to 1 or to its `wakeAt`: its consumer should look. Pushes that
	 * change nothing a consumer waits for return false, so a producer can skip
	 * waking the consumers for them.
	 */
	takeWake(): boolean {
		const wake = this.#wake;
		this.#wake = false;
		return wake;
	}

	/** Messages routed to `reader` that it has not taken yet. */
	pending(reader: number): number {
		return this.#pending[reader]!;
	}

	/** Messages ever routed to `reader`. */
	routed(reader: number): number {
		return this.#routed[reader]!;
	}

	/**
	 * Appends a message routed to the readers whose bits are set in `route`
	 * (`words` 32-bit words). Returns false when full.
	 */
	push(message: Message, route: Uint32Array, key: K | undefined): boolean {
		const seq = this.#tail;
		if (seq - this.#head === this.capacity) return false;
		const slot = seq % this.capacity;
		this.#slots[slot] = message;
		if (key !== undefined) {
			this.#keys[slot] = key;
			this.#keyed++;
		}
		const words = this.words;
		const base = slot * words;
		let over = -1;
		for (let w = 0; w < words; w++) {
			let bits = route[w]!;
			this.#routes[base + w] = bits;
			while (bits !== 0) {
				const low = bits & -bits;
				const reader = w * 32 + 31 - Math.clz32(low);
				const pending = this.#pending[reader]!++;
				if (pending === 0) {
					this.#cursor[reader] = seq;
					this.#wake = true;
				} else if (pending + 1 === this.#wakeAt[reader]) this.#wake = true;
				if (pending === this.#limits[reader]) over = reader;
				this.#routed[reader]!++;
				bits ^= low;
			}
		}
		this.#tail = seq + 1;
		if (over !== -1) this.#overLimit(route);
		return true;
	}

	/** Drops the oldest messages of every reader in `route` that is now over its limit, down to 7/8 of it. */
	#overLimit(route: Uint32Array): void {
		for (let reader = 0; reader < this.readers; reader++) {
			if ((route[reader >> 5]! & (1 << (reader & 31))) === 0 || this.#pending[reader]! <= this.#limits[reader]!) continue;
			this.#trim(reader);
		}
		this.#advanceHead();
	}

	/** Drops `reader`'s oldest messages down to 7/8 of its limit. */
	#trim(reader: number): void {
		const limit = this.#limits[reader]!;
		const pending = this.#pending[reader]!;
		const keep = Math.max(1, limit - (limit >> 3));
		const bit = 1 << (reader & 31);
		const offset = reader >> 5;
		let seq = this.#cursor[reader]!;
		for (let drop = pending - keep; drop > 0; seq++) {
			const slot = seq % this.capacity;
			if ((this.#routes[slot * this.words + offset]! & bit) === 0) continue;
			this.#evicted(reader, this.#slots[slot]!, this.#keys[slot]);
			drop--;
		}
		this.#pending[reader] = keep;
		this.#cursor[reader] = this.#nextRouted(reader, seq);
	}

	/** The most messages that may wait for `reader`. */
	limit(reader: number): number {
		return this.#limits[reader]!;
	}

	/**
	 * Changes `reader`'s limit; when it now has more pending than the new
	 * limit, its oldest are dropped (reported to `evicted`) down to 7/8 of it.
	 */
	setLimit(reader: number, limit: number): void {
		this.#limits[reader] = limit;
		if (this.#pending[reader]! > limit) {
			this.#trim(reader);
			this.#advanceHead();
		}
	}

	/**
	 * Moves up to `max` of `reader`'s messages, oldest first, into `into` (and
	 * their keys into `keysInto` when any message in the buffer has one).
	 * Returns how many were taken.
	 */
	take(reader: number, max: number, into: Message[], keysInto: (K | undefined)[] | undefined): number {
		const pending = this.#pending[reader]!;
		const n = max < pending ? max : pending;
		if (n <= 0) return 0;
		const word = reader >> 5;
		const bit = 1 << (reader & 31);
		const words = this.words;
		const keyed = this.#keyed > 0 && keysInto !== undefined;
		const capacity = this.capacity;
		let seq = this.#cursor[reader]!;
		let slot = seq % capacity;
		let taken = 0;
		while (taken < n) {
			if ((this.#routes[slot * words + word]! & bit) !== 0) {
				into.push(this.#slots[slot]!);
				if (keyed) keysInto.push(this.#keys[slot]);
				taken++;
			}
			seq++;
			if (++slot === capacity) slot = 0;
		}
		const left = pending - taken;
		this.#pending[reader] = left;
		this.#cursor[reader] = left === 0 ? this.#tail : this.#nextRouted(reader, seq);
		this.#advanceHead();
		return taken;
	}

	/** The first sequence >= `seq` routed to `reader` (one must exist). */
	#nextRouted(reader: number, seq: number): number {
		const offset = reader >> 5;
		const bit = 1 << (reader & 31);
		while ((this.#routes[(seq % this.capacity) * this.words + offset]! & bit) === 0) seq++;
		return seq;
	}

	/** True when any message in the buffer was pushed with a key. */
	get hasKeys(): boolean {
		return this.#keyed > 0;
	}

	/**
	 * Frees the oldest slot, dropping it from the view of each reader that
	 * still had it routed and untaken (the lagging outputs; each is reported
	 * to `evicted`). Returns false if the buffer is empty. Every reader's
	 * cursor rests on its next routed message, so the oldest slot is always
	 * held by a reader.
	 */
	evictOldest(): boolean {
		const seq = this.#head;
		if (seq === this.#tail) return false;
		const slot = seq % this.capacity;
		const message = this.#slots[slot]!;
		const key = this.#keys[slot];
		const base = slot * this.words;
		for (let reader = 0; reader < this.readers; reader++) {
			if (this.#pending[reader] === 0 || this.#cursor[reader] !== seq) continue;
			if ((this.#routes[base + (reader >> 5)]! & (1 << (reader & 31))) !== 0) {
				const left = --this.#pending[reader]!;
				this.#cursor[reader] = left === 0 ? this.#tail : this.#nextRouted(reader, seq + 1);
				this.#evicted(reader, message, key);
			}
		}
		this.#advanceHead();
		return true;
	}

	/** Removes everything routed to `reader`, calling `dropped` for each message. */
	clearReader(reader: number, dropped: (message: Message, key: K | undefined) => void): void {
		const word = reader >> 5;
		const bit = 1 << (reader & 31);
		let seq = this.#cursor[reader]!;
		let left = this.#pending[reader]!;
		while (left > 0) {
			const slot = seq % this.capacity;
			if ((this.#routes[slot * this.words + word]! & bit) !== 0) {
				left--;
				dropped(this.#slots[slot]!, this.#keys[slot]);
			}
			seq++;
		}
		this.#pending[reader] = 0;
		this.#cursor[reader] = this.#tail;
		this.#advanceHead();
	}

	#advanceHead(): void {
		let min = this.#tail;
		for (let reader = 0; reader < this.readers; reader++) {
			if (this.#pending[reader] !== 0 && this.#cursor[reader]! < min) min = this.#cursor[reader]!;
		}
		for (let seq = this.#head; seq < min; seq++) {
			const slot = seq % this.capacity;
			this.#slots[slot] = undefined;
			if (this.#keys[slot] !== undefined) {
				this.#keys[slot] = undefined;
				this.#keyed--;
			}
		}
		this.#head = min;
	}
}

/** One reader's view of a {@link FanoutBuffer}, in the shape an output lane consumes. */
export interface ReaderView<K> {
	pending(): number;
	routed(): number;
	take(max: number, into: Message[], keys: (K | undefined)[] | undefined): number;
	readonly hasKeys: boolean;
	clear(dropped: (message: Message, key: K | undefined) => void): void;
	/** Changes the most messages that may wait for this reader (see {@link FanoutBuffer.setLimit}). */
	setLimit(limit: number): void;
	/** The reader's limit now. */
	limit(): number;
}

/** Returns `reader`'s view of `buffer`. */
export function readerView<K>(buffer: FanoutBuffer<K>, reader: number): ReaderView<K> {
	return {
		pending: () => buffer.pending(reader),
		routed: () => buffer.routed(reader),
		take: (max, into, keys) => buffer.take(reader, max, into, keys),
		get hasKeys() {
			return buffer.hasKeys;
		},
		clear: (dropped) => buffer.clearReader(reader, dropped),
		setLimit: (limit) => buffer.setLimit(reader, limit),
		limit: () => buffer.limit(reader),
	};
}

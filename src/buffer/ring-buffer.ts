/**
 * A fixed-capacity FIFO queue over a preallocated array. `push`, `shift`,
 * `peek` and `at` are O(1) and allocate nothing; `drain` allocates only the
 * array it returns (or fills the one you pass). Slots are cleared when they
 * are read, so the buffer never keeps a removed item alive.
 *
 * @typeParam T - The item type.
 * @example
 * ```ts
 * import { RingBuffer } from 'polku';
 *
 * const ring = new RingBuffer<string>(3);
 * ring.push('a');
 * ring.push('b');
 * ring.push('c');
 * ring.push('d');    // false: full
 * ring.shift();      // 'a'
 * ring.drain(10);    // ['b', 'c']
 * ring.length;       // 0
 * ```
 */
export class RingBuffer<T> {
	readonly #slots: (T | undefined)[];
	readonly #capacity: number;
	#head = 0;
	#length = 0;

	/**
	 * @param capacity - The maximum number of items; a positive safe integer.
	 * @throws RangeError if `capacity` is not a positive safe integer.
	 */
	constructor(capacity: number) {
		if (!Number.isSafeInteger(capacity) || capacity < 1) {
			throw new RangeError(`capacity must be a positive integer, got ${String(capacity)}`);
		}
		this.#capacity = capacity;
		this.#slots = new Array<T | undefined>(capacity).fill(undefined);
	}

	/** The maximum number of items. */
	get capacity(): number {
		return this.#capacity;
	}

	/** The number of items held. */
	get length(): number {
		return this.#length;
	}

	/** The number of items that can still be pushed. */
	get free(): number {
		return this.#capacity - this.#length;
	}

	/** True when no item can be pushed. */
	get isFull(): boolean {
		return this.#length === this.#capacity;
	}

	/**
	 * Appends an item.
	 *
	 * @returns `true` if the item was stored, `false` if the buffer is full.
	 */
	push(item: T): boolean {
		if (this.#length === this.#capacity) return false;
		let index = this.#head + this.#length;
		if (index >= this.#capacity) index -= this.#capacity;
		this.#slots[index] = item;
		this.#length++;
		return true;
	}

	/** Removes and returns the oldest item, or `undefined` when empty. */
	shift(): T | undefined {
		if (this.#length === 0) return undefined;
		const item = this.#slots[this.#head];
		this.#slots[this.#head] = undefined;
		if (++this.#head === this.#capacity) this.#head = 0;
		this.#length--;
		return item;
	}

	/** Returns the oldest item without removing it, or `undefined` when empty. */
	peek(): T | undefined {
		return this.#length === 0 ? undefined : this.#slots[this.#head];
	}

	/**
	 * Returns the item at `index` (0 = oldest) without removing it, or
	 * `undefined` when out of range.
	 */
	at(index: number): T | undefined {
		if (!Number.isInteger(index) || index < 0 || index >= this.#length) return undefined;
		let slot = this.#head + index;
		if (slot >= this.#capacity) slot -= this.#capacity;
		return this.#slots[slot];
	}

	/**
	 * Removes up to `max` of the oldest items and returns them in order.
	 *
	 * @param max - The most items to remove. @default all
	 * @param into - An array to append to instead of allocating a new one.
	 * @returns `into`, or a new array.
	 */
	drain(max: number = this.#length, into: T[] = []): T[] {
		let n = max < this.#length ? Math.max(0, Math.floor(max)) : this.#length;
		while (n-- > 0) {
			into.push(this.#slots[this.#head] as T);
			this.#slots[this.#head] = undefined;
			if (++this.#head === this.#capacity) this.#head = 0;
			this.#length--;
		}
		return into;
	}

	/** Removes every item. */
	clear(): void {
		this.#slots.fill(undefined);
		this.#head = 0;
		this.#length = 0;
	}

	/** Iterates from oldest to newest without removing anything. */
	*[Symbol.iterator](): IterableIterator<T> {
		for (let i = 0; i < this.#length; i++) {
			let slot = this.#head + i;
			if (slot >= this.#capacity) slot -= this.#capacity;
			yield this.#slots[slot] as T;
		}
	}
}

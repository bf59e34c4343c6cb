/**
 * A bounded index of string keys to dense slot numbers, in recency order.
 * Callers keep their per-key values in arrays indexed by slot, so lookups,
 * touches and evictions allocate nothing once the table has filled; slots
 * are handed out densely from 0, so those arrays grow with the table and
 * never beyond `capacity`.
 */
export class LruIndex {
	readonly capacity: number;
	readonly #slots = new Map<string, number>();
	readonly #keys: string[] = [];
	readonly #prev: number[] = [];
	readonly #next: number[] = [];
	readonly #free: number[] = [];
	/** Least recently used slot, or -1. */
	#head = -1;
	/** Most recently used slot, or -1. */
	#tail = -1;

	constructor(capacity: number) {
		this.capacity = capacity;
	}

	/** Keys held now; never above `capacity`. */
	get size(): number {
		return this.#slots.size;
	}

	get isFull(): boolean {
		return this.#slots.size >= this.capacity;
	}

	/** The slot of `key`, or -1; does not change the order. */
	peek(key: string): number {
		return this.#slots.get(key) ?? -1;
	}

	/** The slot of `key`, or -1; a hit becomes the most recent. */
	touch(key: string): number {
		const slot = this.#slots.get(key);
		if (slot === undefined) return -1;
		if (slot !== this.#tail) {
			this.#unlink(slot);
			this.#append(slot);
		}
		return slot;
	}

	/**
	 * Adds `key` (which must be absent) as the most recent and returns its
	 * slot. When full, the least recent key is evicted first and its slot
	 * reused: callers overwrite their values at the returned slot.
	 */
	insert(key: string): number {
		let slot: number;
		if (this.#free.length > 0) slot = this.#free.pop()!;
		else if (this.#keys.length < this.capacity) slot = this.#keys.length;
		else {
			slot = this.#head;
			this.#slots.delete(this.#keys[slot]!);
			this.#unlink(slot);
		}
		this.#keys[slot] = key;
		this.#slots.set(key, slot);
		this.#append(slot);
		return slot;
	}

	/** The least recent slot, or -1 when empty. */
	oldest(): number {
		return this.#head;
	}

	/** The slot after `slot` in recency order (towards the most recent), or -1. */
	newer(slot: number): number {
		return this.#next[slot]!;
	}

	/** The key held at `slot`. */
	keyAt(slot: number): string {
		return this.#keys[slot]!;
	}

	/** Removes the key held at `slot`. */
	removeSlot(slot: number): void {
		this.#slots.delete(this.#keys[slot]!);
		this.#unlink(slot);
		this.#keys[slot] = '';
		this.#free.push(slot);
	}

	#unlink(slot: number): void {
		const prev = this.#prev[slot]!;
		const next = this.#next[slot]!;
		if (prev === -1) this.#head = next;
		else this.#next[prev] = next;
		if (next === -1) this.#tail = prev;
		else this.#prev[next] = prev;
	}

	#append(slot: number): void {
		this.#prev[slot] = this.#tail;
		this.#next[slot] = -1;
		if (this.#tail === -1) this.#head = slot;
		else this.#next[this.#tail] = slot;
		this.#tail = slot;
	}
}

/** Something that can wait in a {@link WaitQueue}: the queue links its items through these fields. */
export interface Queued<T> {
	prev: T | undefined;
	next: T | undefined;
	queued: boolean;
}

/**
 * An intrusive FIFO (a doubly linked list through the items' own `prev` /
 * `next`): push, remove from anywhere and peek are O(1) and allocate nothing,
 * so a million blocked senders cost a million times one, and a sender that
 * gives up leaves from the middle at no cost.
 */
export class WaitQueue<T extends Queued<T>> {
	#head: T | undefined;
	#tail: T | undefined;
	#size = 0;

	get size(): number {
		return this.#size;
	}

	get head(): T | undefined {
		return this.#head;
	}

	push(item: T): void {
		if (item.queued) return;
		item.queued = true;
		item.prev = this.#tail;
		item.next = undefined;
		if (this.#tail === undefined) this.#head = item;
		else this.#tail.next = item;
		this.#tail = item;
		this.#size++;
	}

	remove(item: T): void {
		if (!item.queued) return;
		item.queued = false;
		const { prev, next } = item;
		if (prev === undefined) this.#head = next;
		else prev.next = next;
		if (next === undefined) this.#tail = prev;
		else next.prev = prev;
		item.prev = undefined;
		item.next = undefined;
		this.#size--;
	}

	/** Every item, head first (a snapshot: the queue may change while you use it). */
	toArray(): T[] {
		const out: T[] = [];
		for (let item = this.#head; item !== undefined; item = item.next) out.push(item);
		return out;
	}
}

import type { AmqpChannel, AmqpMessage } from './client.js';

/** Waiting for the hub (or for a retry delay, or a parking confirm). */
export const OPEN = 0;
/** Delivered: to be acked. */
export const ACKABLE = 1;
/** Acked, nacked or rejected: nothing more to send for it. */
export const SETTLED = 2;

/** One delivery of a channel, in delivery-tag order. */
export interface Entry {
	readonly delivery: AmqpMessage;
	state: typeof OPEN | typeof ACKABLE | typeof SETTLED;
}

/**
 * The deliveries of one channel not settled yet, in delivery-tag order.
 * `flush` acks what became ackable: one `ack(multiple)` for the longest run
 * from the oldest open delivery, and single acks beyond a delivery that is
 * still open (it must not be covered by a `multiple` ack).
 */
export class AckWindow {
	readonly #channel: AmqpChannel;
	#entries: Entry[] = [];
	#head = 0;

	constructor(channel: AmqpChannel) {
		this.#channel = channel;
	}

	add(delivery: AmqpMessage): Entry {
		const entry: Entry = { delivery, state: OPEN };
		this.#entries.push(entry);
		return entry;
	}

	/** Entries not settled (open or ackable). */
	unsettled(): number {
		let n = 0;
		for (let i = this.#head; i < this.#entries.length; i++) if (this.#entries[i]!.state !== SETTLED) n++;
		return n;
	}

	/** Sends the acks that are due; returns how many deliveries they acked. */
	flush(): number {
		const entries = this.#entries;
		let multiple = -1;
		let blocked = false;
		let acked = 0;
		for (let i = this.#head; i < entries.length; i++) {
			const entry = entries[i]!;
			if (entry.state === OPEN) blocked = true;
			else if (entry.state === ACKABLE) {
				if (!blocked) multiple = i;
				else {
					this.#channel.ack(entry.delivery, false);
					entry.state = SETTLED;
					acked++;
				}
			}
		}
		if (multiple >= 0) {
			let covered = 0;
			for (let i = this.#head; i <= multiple; i++) {
				const entry = entries[i]!;
				if (entry.state === ACKABLE) {
					entry.state = SETTLED;
					covered++;
				}
			}
			if (covered > 0) this.#channel.ack(entries[multiple]!.delivery, covered > 1);
			acked += covered;
		}
		while (this.#head < entries.length && entries[this.#head]!.state === SETTLED) this.#head++;
		if (this.#head === entries.length) {
			this.#entries = [];
			this.#head = 0;
		} else if (this.#head > 1024 && this.#head * 2 > entries.length) {
			this.#entries = entries.slice(this.#head);
			this.#head = 0;
		}
		return acked;
	}
}

import type { Message } from '../message/message.js';

/**
 * Turns a message's `routeTo` into a route mask over the buffer's readers
 * (one bit per routable output). An empty `routeTo` is the broadcast mask;
 * names without an output are ignored; no known name at all is unroutable.
 */
export class Router {
	readonly #index: ReadonlyMap<string, number>;
	readonly #broadcast: Uint32Array;
	readonly #scratch: Uint32Array;
	readonly #broadcastCount: number;

	/** @param names - The routable outputs in reader order. */
	constructor(names: readonly string[]) {
		this.#index = new Map(names.map((name, i) => [name, i]));
		const words = Math.max(1, Math.ceil(names.length / 32));
		this.#broadcast = new Uint32Array(words);
		for (let i = 0; i < names.length; i++) this.#broadcast[i >> 5]! |= 1 << (i & 31);
		this.#scratch = new Uint32Array(words);
		this.#broadcastCount = names.length;
	}

	/**
	 * The route mask for `message`, or `undefined` when it names no known
	 * output. The returned array is reused: copy it before the next call.
	 */
	route(message: Message): Uint32Array | undefined {
		const routeTo = message.routeTo;
		if (routeTo.length === 0) return this.#broadcast;
		const mask = this.#scratch;
		mask.fill(0);
		let any = false;
		for (let i = 0; i < routeTo.length; i++) {
			const reader = this.#index.get(routeTo[i]!);
			if (reader === undefined) continue;
			mask[reader >> 5]! |= 1 << (reader & 31);
			any = true;
		}
		return any ? mask : undefined;
	}

	/** How many readers a mask selects. */
	count(mask: Uint32Array): number {
		if (mask === this.#broadcast) return this.#broadcastCount;
		let n = 0;
		for (let w = 0; w < mask.length; w++) {
			let bits = mask[w]!;
			while (bits !== 0) {
				bits &= bits - 1;
				n++;
			}
		}
		return n;
	}
}

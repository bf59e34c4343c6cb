/** States of one fetched record while its delivery is open (a Chunk's `states`). */
export const PENDING = 0;
export const DONE = 1;
export const FAILED = 2;

/** The records of one `eachBatch` call that went into the hub, in offset order. */
export class Chunk {
	readonly offsets: readonly number[];
	readonly states: Uint8Array;
	/** Set when the partition was rewound or reassigned: later outcomes of this chunk are ignored. */
	abandoned = false;

	constructor(offsets: readonly number[]) {
		this.offsets = offsets;
		this.states = new Uint8Array(offsets.length);
	}
}

/**
 * The delivery state of one assigned partition: which fetched records are
 * still open, how far the in-order delivered prefix reaches (the commit
 * frontier), what was committed, and whether the partition is rewinding to a
 * failed record. Offsets are numbers (exact up to 2^53).
 */
export class PartitionTracker {
	readonly topic: string;
	readonly partition: number;
	/** The input's rebalance generation when this tracker was made. */
	readonly generation: number;
	readonly #chunks: Chunk[] = [];
	/** Index of the first open record in the head chunk. */
	#cursor = 0;
	/** The next offset to read after the delivered in-order prefix (what a commit writes); undefined before the first record. */
	frontier: number | undefined;
	/** The last offset committed (next to read). */
	committed: number | undefined;
	/** The next offset this partition expects from the client (after the last fetched record). */
	expected: number | undefined;
	/** Set while the partition waits to be re-read from this offset (a failed record). */
	rewindTo: number | undefined;
	/** Delivery attempts of records that failed, by offset. */
	readonly attempts = new Map<number, number>();

	constructor(topic: string, partition: number, generation: number) {
		this.topic = topic;
		this.partition = partition;
		this.generation = generation;
	}

	/** Adds the records of one batch (offsets ascending). */
	add(chunk: Chunk): void {
		if (this.frontier === undefined) this.frontier = chunk.offsets[0];
		this.#chunks.push(chunk);
		this.expected = chunk.offsets[chunk.offsets.length - 1]! + 1;
	}

	/**
	 * Walks the open records in order: moves the frontier over the done ones
	 * and stops at the first pending one, or at a failed one (returned).
	 */
	advance(): number | undefined {
		const chunks = this.#chunks;
		while (chunks.length > 0) {
			const chunk = chunks[0]!;
			const states = chunk.states;
			let i = this.#cursor;
			while (i < states.length && states[i] === DONE) i++;
			if (i > this.#cursor) this.frontier = chunk.offsets[i - 1]! + 1;
			this.#cursor = i;
			if (i < states.length) return states[i] === FAILED ? chunk.offsets[i] : undefined;
			chunks.shift();
			this.#cursor = 0;
		}
		return undefined;
	}

	/** Forgets every open record from `offset` on (they will be fetched again) and waits for `offset`. */
	rewind(offset: number): void {
		for (const chunk of this.#chunks) chunk.abandoned = true;
		this.#chunks.length = 0;
		this.#cursor = 0;
		this.frontier = offset;
		this.expected = offset;
		this.rewindTo = offset;
	}

	/** Abandons every open record (the partition was revoked or repositioned). */
	abandon(): void {
		for (const chunk of this.#chunks) chunk.abandoned = true;
		this.#chunks.length = 0;
		this.#cursor = 0;
	}

	/** The first open record: its chunk and index there. */
	head(): { chunk: Chunk; index: number } | undefined {
		const chunk = this.#chunks[0];
		return chunk === undefined ? undefined : { chunk, index: this.#cursor };
	}

	/** Forgets attempt counts of records the frontier has passed. */
	pruneAttempts(): void {
		if (this.attempts.size === 0 || this.frontier === undefined) return;
		for (const offset of this.attempts.keys()) if (offset < this.frontier) this.attempts.delete(offset);
	}
}

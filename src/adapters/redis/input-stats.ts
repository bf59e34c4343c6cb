/**
 * Counters of a {@link RedisStreamInput} over its whole life.
 *
 * @example
 * ```ts
 * const { read, acked, claimed, deadLettered } = input.stats();
 * console.log(`${read} read, ${claimed} claimed from others or retried, ${acked} acked, ${deadLettered} dead-lettered`);
 * ```
 */
export interface RedisStreamInputStats {
	/** Entries read with `XREADGROUP` (new ones, and this consumer's pending ones at start). */
	readonly read: number;
	/** Pending entries claimed with `XAUTOCLAIM` (a dead consumer's, or this input's failed ones) and delivered again. */
	readonly claimed: number;
	/** Entries acked (`XACK`) after the hub delivered or filtered them. */
	readonly acked: number;
	/** Deliveries that failed: their entries stay pending and are claimed again after `claimIdleMs`. */
	readonly failed: number;
	/** Entries moved to the dead-letter stream after `maxDeliveries`. */
	readonly deadLettered: number;
	/** Entries that could not be decoded (malformed envelope), moved to the dead-letter stream. */
	readonly invalid: number;
	/** Read, claim or ack commands that failed (the client reconnects; unacked entries are claimed again later). */
	readonly errors: number;
	/** Entries in the process now (read or claimed, not yet acked or left pending). */
	readonly inFlight: number;
}

/** The live, writable form of {@link RedisStreamInputStats}. */
export class RedisInputCounters {
	read = 0;
	claimed = 0;
	acked = 0;
	failed = 0;
	deadLettered = 0;
	invalid = 0;
	errors = 0;
	inFlight = 0;

	snapshot(): RedisStreamInputStats {
		const { read, claimed, acked, failed, deadLettered, invalid, errors, inFlight } = this;
		return { read, claimed, acked, failed, deadLettered, invalid, errors, inFlight };
	}
}

/**
 * Counters of an {@link AmqpInput} over its whole life.
 *
 * @example
 * ```ts
 * const { received, acked, abandoned } = input.stats();
 * console.log(`${received} in, ${acked} acked, ${abandoned} left for the broker to redeliver`);
 * ```
 */
export interface AmqpInputStats {
	/** Deliveries received from the broker. */
	readonly received: number;
	/** Deliveries the broker flagged `redelivered` (delivered before, to this or another consumer, and not acked). */
	readonly redelivered: number;
	/** Deliveries acked after the hub delivered (or filtered) them. */
	readonly acked: number;
	/** Failed deliveries handed back for another attempt (requeued, or through the dead-letter exchange). */
	readonly retried: number;
	/** Messages given up on after `maxAttempts` (to the parking queue or the dead-letter exchange). */
	readonly deadLettered: number;
	/** Poison messages (malformed envelope), rejected without requeue or parked. */
	readonly invalid: number;
	/** Deliveries whose ack became impossible because their channel closed first: the broker redelivers them. */
	readonly abandoned: number;
	/** Channels opened after the first (reconnects). */
	readonly reconnects: number;
	/** Whether the input is consuming now. */
	readonly consuming: boolean;
}

/** The live, writable form of {@link AmqpInputStats}. */
export class AmqpInputCounters {
	received = 0;
	redelivered = 0;
	acked = 0;
	retried = 0;
	deadLettered = 0;
	invalid = 0;
	abandoned = 0;
	reconnects = 0;
	consuming = false;

	snapshot(): AmqpInputStats {
		const { received, redelivered, acked, retried, deadLettered, invalid, abandoned, reconnects, consuming } = this;
		return { received, redelivered, acked, retried, deadLettered, invalid, abandoned, reconnects, consuming };
	}
}

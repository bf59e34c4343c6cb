/**
 * Counters of an {@link MqttInput} over its whole life (restarts included).
 *
 * @example
 * ```ts
 * const { received, acked, failed, redeliveries } = input.stats();
 * console.log(`${acked}/${received} acked; ${failed} failed, ${redeliveries} reconnects for redelivery`);
 * ```
 */
export interface MqttInputStats {
	/** PUBLISH packets on the input's filters handed to the hub (or found invalid). */
	readonly received: number;
	/** QoS 1 / 2 messages acknowledged to the broker (PUBACK / PUBREC), poison messages included. */
	readonly acked: number;
	/** Messages the hub failed to deliver: left unacknowledged, so the broker redelivers them. */
	readonly failed: number;
	/** Poison messages (a malformed polku envelope): acknowledged and recorded with `sink.dropInvalid`. */
	readonly invalid: number;
	/**
	 * QoS 1 / 2 messages left unacknowledged without a delivery attempt
	 * (they arrived while the input was stopped or reconnecting for a
	 * redelivery, or their connection closed before the ack): the broker
	 * redelivers them.
	 */
	readonly deferred: number;
	/** QoS 0 messages that arrived while the input was stopped (QoS 0 is never redelivered). */
	readonly discarded: number;
	/** Times the input closed the connection so that the broker redelivers failed messages. */
	readonly redeliveries: number;
	/** Times the input stopped reading because `maxInFlight` messages were waiting for the hub. */
	readonly pauses: number;
	/** Messages held now, waiting for the hub. */
	readonly inFlight: number;
}

/** The live, writable form of {@link MqttInputStats}. */
export class MqttInputCounters {
	received = 0;
	acked = 0;
	failed = 0;
	invalid = 0;
	deferred = 0;
	discarded = 0;
	redeliveries = 0;
	pauses = 0;

	snapshot(inFlight: number): MqttInputStats {
		const { received, acked, failed, invalid, deferred, discarded, redeliveries, pauses } = this;
		return { received, acked, failed, invalid, deferred, discarded, redeliveries, pauses, inFlight };
	}
}

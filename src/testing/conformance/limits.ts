/**
 * The time limits the conformance cases state. Every wait of a case is
 * bounded by one of these (or by a feature such as `redeliveryMs`).
 */
export const LIMITS = Object.freeze({
	/** An unreachable destination: `send()` must reject within this. */
	unreachableMs: 10_000,
	/** `health()` must turn false within this after the failed send. */
	healthMs: 5_000,
	/** A send whose signal aborted must settle within this. */
	abortMs: 1_000,
	/** How long after starting a send to an unreachable destination its signal is aborted. */
	abortAfterMs: 100,
	/** An input's `run()` must return within this after `hub.stop()` returned. */
	inputReturnMs: 15_000,
	/** `close()` must settle within this. */
	closeMs: 10_000,
	/** Reading back / receiving what was sent, beyond what the case itself waits for (consumer start, group join). */
	arrivalMs: 30_000,
	/** Setup and teardown of a fixture, counted into every case's timeout. */
	fixtureMs: 30_000,
	/** A short `hub.stop()` deadline (stop mid-stream). */
	shortStopMs: 500,
	/** A generous `hub.stop()` deadline (graceful stop). */
	longStopMs: 15_000,
	/** How long a backpressure case watches the blocked pipeline. */
	watchMs: 1_000,
});

/** The `redeliveryMs` default of `InputFeatures`. */
export const DEFAULT_REDELIVERY_MS = 5_000;
/** The `maxInFlight` default of `InputFeatures`. */
export const DEFAULT_MAX_IN_FLIGHT = 1_000;
/** The `maxPayloadBytes` default of `OutputFeatures`. */
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

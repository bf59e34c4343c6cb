/**
 * Counters of a {@link GrpcInput}, over its whole life (restarts included).
 *
 * @example
 * ```ts
 * const { requests, invalid, unauthenticated } = input.stats;
 * if (invalid > 0) console.warn(`${invalid} of ${requests} gRPC requests could not be decoded`);
 * ```
 */
export interface GrpcInputStats {
	/** StreamEvents calls open now. */
	readonly openStreams: number;
	/** IngestBatches and SendEvent requests received. */
	readonly requests: number;
	/** Events handed to the hub. */
	readonly events: number;
	/** Events the hub accepted or filtered (Health's `events_processed`). */
	readonly processed: number;
	/** Requests refused as invalid (answered with `INVALID` errors or `INVALID_ARGUMENT`). */
	readonly invalid: number;
	/** Calls refused by `auth` (`UNAUTHENTICATED`). */
	readonly unauthenticated: number;
}

/** The live, writable form of {@link GrpcInputStats}. */
export class InputCounters implements GrpcInputStats {
	openStreams = 0;
	requests = 0;
	events = 0;
	processed = 0;
	invalid = 0;
	unauthenticated = 0;

	/** A copy that does not change afterwards. */
	snapshot(): GrpcInputStats {
		const { openStreams, requests, events, processed, invalid, unauthenticated } = this;
		return { openStreams, requests, events, processed, invalid, unauthenticated };
	}
}

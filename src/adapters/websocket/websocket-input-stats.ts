/**
 * Counters of a {@link WebSocketInput} over its whole life (restarts included).
 *
 * @example
 * ```ts
 * const { connections, frames, events, invalidFrames } = input.stats();
 * console.log(`${connections} agents connected; ${events} events in ${frames} frames (${invalidFrames} invalid)`);
 * ```
 */
export interface WebSocketInputStats {
	/** Connections open now. */
	readonly connections: number;
	/** Connections accepted so far. */
	readonly accepted: number;
	/** Upgrade requests refused: 401 (auth), 404 (path), 503 (not running, shutting down, too many connections). */
	readonly refused: number;
	/** Frames received. */
	readonly frames: number;
	/** Events handed to the hub. */
	readonly events: number;
	/** Frames that could not be decoded (acked with `INVALID` errors and recorded with `sink.dropInvalid`). */
	readonly invalidFrames: number;
	/** Connections closed for missing a pong or for being idle. */
	readonly timedOut: number;
	/** Times a connection stopped being read because its frames waited for the hub (or its acks for the client). */
	readonly pauses: number;
}

/** The live, writable form of {@link WebSocketInputStats}. */
export class WebSocketInputCounters {
	connections = 0;
	accepted = 0;
	refused = 0;
	frames = 0;
	events = 0;
	invalidFrames = 0;
	timedOut = 0;
	pauses = 0;

	snapshot(): WebSocketInputStats {
		const { connections, accepted, refused, frames, events, invalidFrames, timedOut, pauses } = this;
		return { connections, accepted, refused, frames, events, invalidFrames, timedOut, pauses };
	}
}

import { OutputError } from '../../index.js';
import type { GrpcAckError } from './codec/ack.js';

/**
 * A downstream gateway answered a batch with `Ack.errors`: it did not accept
 * every event. The batch's `send` rejects with this error, so the hub retries
 * it (at-least-once: events the downstream did accept are sent again) and
 * then dead-letters or drops it.
 *
 * @example
 * ```ts
 * import { Hub } from 'polku';
 * import { DownstreamRejectedError, GrpcOutput } from 'polku/grpc';
 *
 * // Do not retry batches the downstream found invalid.
 * Hub.builder().output(new GrpcOutput({ endpoints: ['polku:50051'] }), {
 *   retry: { retryable: (error) => !(error instanceof DownstreamRejectedError && error.codes.includes('INVALID')) },
 * });
 * ```
 */
export class DownstreamRejectedError extends OutputError {
	/** The endpoint that answered, `host:port`. */
	readonly endpoint: string;
	/** The Ack's errors, one per event not accepted. */
	readonly errors: readonly GrpcAckError[];
	/** The distinct error codes, e.g. `['OVERFLOW']`. */
	readonly codes: readonly string[];

	constructor(output: string, endpoint: string, errors: readonly GrpcAckError[], batchSize: number) {
		const counts = new Map<string, number>();
		for (const e of errors) counts.set(e.code, (counts.get(e.code) ?? 0) + 1);
		const summary = [...counts].map(([code, n]) => `${code} x${n}`).join(', ');
		const first = errors[0]?.message ?? '';
		super(output, `${endpoint} did not accept ${errors.length} of ${batchSize} events (${summary}); first: ${first}`);
		this.endpoint = endpoint;
		this.errors = errors;
		this.codes = [...counts.keys()];
	}
}

/**
 * Every endpoint failed the batch (unreachable, stream failure or no Ack in
 * time). `failures` holds one error per endpoint tried.
 *
 * @example
 * ```ts
 * hub.on('retry', ({ error }) => {
 *   if (error instanceof EndpointsUnavailableError) console.warn(error.failures.map((f) => f.message));
 * });
 * ```
 */
export class EndpointsUnavailableError extends OutputError {
	readonly failures: readonly Error[];

	constructor(output: string, failures: readonly Error[]) {
		super(output, `no endpoint took the batch: ${failures.map((f) => f.message).join('; ')}`);
		this.failures = failures;
	}
}

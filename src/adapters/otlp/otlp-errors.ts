import { OutputError } from '../../errors.js';
import type { OtlpSignal } from './signals.js';

/**
 * An OTLP export request failed. `retryable` follows the OTLP/HTTP
 * specification: 429, 502, 503, 504 and network errors or timeouts are worth
 * retrying; every other 4xx and 5xx is not (the collector will refuse the same
 * request again). `retryAfterMs` is the collector's `Retry-After`, when it
 * sent one. Pass {@link otlpRetryable} as the output's `retry.retryable` so
 * that a non-retryable failure goes straight to the dead letter.
 *
 * @example
 * ```ts
 * import { OtlpExportError } from 'polku/otlp';
 *
 * hub.on('dead-letter', ({ error }) => {
 *   if (error instanceof OtlpExportError) console.error(error.signal, error.status, error.message);
 * });
 * ```
 */
export class OtlpExportError extends OutputError {
	readonly signal: OtlpSignal;
	/** Where the request went. */
	readonly url: string;
	/** The HTTP status, when the collector answered. */
	readonly status: number | undefined;
	/** Whether another try may succeed. */
	readonly retryable: boolean;
	/** How long the collector asked to wait (`Retry-After`), in ms. */
	readonly retryAfterMs: number | undefined;

	constructor(output: string, signal: OtlpSignal, url: string, message: string, retryable: boolean, status?: number, retryAfterMs?: number, cause?: unknown) {
		super(output, message, cause === undefined ? undefined : { cause });
		this.signal = signal;
		this.url = url;
		this.status = status;
		this.retryable = retryable;
		this.retryAfterMs = retryAfterMs;
	}
}

/**
 * A `retry.retryable` predicate for an OTLP output: false for an error
 * marked `retryable: false` (see {@link OtlpExportError}), true otherwise.
 *
 * @example
 * ```ts
 * import { OtlpLogsOutput, otlpRetryable } from 'polku/otlp';
 *
 * hub.output(new OtlpLogsOutput({ endpoint: 'http://collector:4318' }), {
 *   retry: { attempts: 5, retryable: otlpRetryable },
 *   deadLetter: 'dlq',
 * });
 * ```
 */
export function otlpRetryable(error: Error): boolean {
	return (error as { retryable?: unknown }).retryable !== false;
}

/** True for the statuses the OTLP/HTTP specification says to retry. */
export function isRetryableStatus(status: number): boolean {
	return status === 429 || status === 502 || status === 503 || status === 504;
}

/** `Retry-After` (delay-seconds or an HTTP date) in ms, or undefined. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
	if (value === undefined) return undefined;
	const trimmed = value.trim();
	if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
	const date = Date.parse(trimmed);
	return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

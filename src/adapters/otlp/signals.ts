/**
 * The three OTLP signals polku carries.
 *
 * @example
 * ```ts
 * import type { OtlpSignal } from 'polku/otlp';
 *
 * const signal: OtlpSignal = 'traces';
 * ```
 */
export type OtlpSignal = 'logs' | 'traces' | 'metrics';

/**
 * The message types of OTLP export requests carried through polku unchanged
 * (`OtlpInput` makes them; `OtlpLogsOutput` forwards them to the matching
 * endpoint): the payload is an `Export{Logs,Trace,Metrics}ServiceRequest`,
 * in protobuf unless the metadata `polku.content_type` says `application/json`.
 *
 * @example
 * ```ts
 * import { OTLP_MESSAGE_TYPES } from 'polku/otlp';
 *
 * const isTelemetry = (m: Message) => Object.values(OTLP_MESSAGE_TYPES).includes(m.messageType);
 * ```
 */
export const OTLP_MESSAGE_TYPES = Object.freeze({ logs: 'otlp.logs', traces: 'otlp.traces', metrics: 'otlp.metrics' } as const);

/** The OTLP/HTTP path of each signal. */
export const SIGNAL_PATHS: Readonly<Record<OtlpSignal, string>> = Object.freeze({ logs: '/v1/logs', traces: '/v1/traces', metrics: '/v1/metrics' });

/** The signal of a pass-through message type, or undefined. */
export function passThroughSignal(messageType: string): OtlpSignal | undefined {
	switch (messageType) {
		case 'otlp.logs':
			return 'logs';
		case 'otlp.traces':
			return 'traces';
		case 'otlp.metrics':
			return 'metrics';
		default:
			return undefined;
	}
}

/** The field of `Export*PartialSuccess` counting what was rejected, in OTLP/JSON. */
export const REJECTED_JSON_FIELD: Readonly<Record<OtlpSignal, string>> = Object.freeze({
	logs: 'rejectedLogRecords',
	traces: 'rejectedSpans',
	metrics: 'rejectedDataPoints',
});

/** The top-level repeated field of each export request in OTLP/JSON. */
export const RESOURCE_JSON_FIELD: Readonly<Record<OtlpSignal, string>> = Object.freeze({
	logs: 'resourceLogs',
	traces: 'resourceSpans',
	metrics: 'resourceMetrics',
});

/**
 * Metadata keys under which a non-zero POLKU severity / outcome travels inside
 * the pipeline (the number as a decimal string), as in the POLKU wire format.
 *
 * @example
 * ```ts
 * import { EVENT_METADATA_KEYS } from 'polku';
 *
 * const isError = (msg: Message) => Number(msg.metadata[EVENT_METADATA_KEYS.severity] ?? 0) >= 4;
 * ```
 */
export const EVENT_METADATA_KEYS = Object.freeze({
	severity: 'polku.severity',
	outcome: 'polku.outcome',
	contentType: 'polku.content_type',
});

/**
 * Severity names by number (index), as in `polku.event.v1.Severity`.
 *
 * @example
 * ```ts
 * import { EVENT_METADATA_KEYS, SEVERITY_NAMES } from 'polku';
 *
 * const severity = SEVERITY_NAMES[Number(msg.metadata[EVENT_METADATA_KEYS.severity] ?? 0)]; // 'error'
 * ```
 */
export const SEVERITY_NAMES: readonly string[] = Object.freeze(['unspecified', 'debug', 'info', 'warning', 'error', 'critical']);

/**
 * Outcome names by number (index), as in `polku.event.v1.Outcome`.
 *
 * @example
 * ```ts
 * import { EVENT_METADATA_KEYS, OUTCOME_NAMES } from 'polku';
 *
 * const outcome = OUTCOME_NAMES[Number(msg.metadata[EVENT_METADATA_KEYS.outcome] ?? 0)]; // 'timeout'
 * ```
 */
export const OUTCOME_NAMES: readonly string[] = Object.freeze(['unspecified', 'success', 'failure', 'timeout', 'unknown']);

/**
 * How a payload is written in the JSON event form.
 *
 * - `base64` (the POLKU wire default): `"payload": "aGVq"`; lossless for any bytes.
 * - `utf8`: `"payload": "hej"` with `"payload_encoding": "utf8"`; payloads
 *   that are not valid UTF-8 fall back to base64.
 * - `json`: the payload's JSON embedded as a value, `"payload": {"a":1}`, with
 *   `"payload_encoding": "json"`, exactly as written (big integers, `1.0`,
 *   duplicate keys); `parseJsonEvents` reads the same bytes back. Payloads
 *   that are not JSON fall back to base64; JSON text that would not read back
 *   byte for byte when embedded (line breaks, whitespace around the value, or
 *   nesting deeper than `MAX_PAYLOAD_DEPTH`) is written as a `utf8` string.
 *
 * @example
 * ```ts
 * import { WebhookOutput } from 'polku';
 *
 * toJsonEvent(msg, 'json'); // '{…,"payload":{"a":1},…,"payload_encoding":"json"}'
 * ```
 */
export type PayloadEncoding = 'base64' | 'utf8' | 'json';

/**
 * Every payload encoding, for validating configuration.
 *
 * @example
 * ```ts
 * import { PAYLOAD_ENCODINGS, type PayloadEncoding } from 'polku';
 *
 * const isEncoding = (value: string): value is PayloadEncoding => (PAYLOAD_ENCODINGS as readonly string[]).includes(value);
 * ```
 */
export const PAYLOAD_ENCODINGS: readonly PayloadEncoding[] = Object.freeze(['base64', 'utf8', 'json']);

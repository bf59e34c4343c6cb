/**
 * HTTP for polku: {@link HttpInput} (events in over `node:http`: JSON,
 * NDJSON, raw bodies, bearer auth, signed webhooks) and {@link WebhookOutput}
 * (batches out as JSON or NDJSON), plus the POLKU JSON event codec they share.
 *
 * @packageDocumentation
 */
export { formatAddress, parseAddress, type HostPort } from './address.js';
export type { BearerVerifier } from './auth.js';
export { decodeEvent, type EventDefaults } from './event-decode.js';
export { encodeEvent } from './event-encode.js';
export { EVENT_METADATA_KEYS, OUTCOME_NAMES, SEVERITY_NAMES, type PayloadEncoding } from './event-fields.js';
export { parseJsonExact } from './exact-json.js';
export { HttpInput, type HttpInputStats } from './http-input.js';
export type { HttpInputOptions } from './http-input-options.js';
export type { IngestError, IngestResponse } from './ingest-result.js';
export { WebhookOutput, type WebhookOutputOptions } from './webhook-output.js';

/// <reference types="node" preserve="true" />
/**
 * HTTP for polku: {@link HttpInput} (events in over `node:http`: JSON,
 * NDJSON, raw bodies, bearer auth, signed webhooks) and {@link WebhookOutput}
 * (batches out as JSON or NDJSON), in the POLKU JSON event form (whose codec
 * is in `polku`: `fromJsonEvent`, `toJsonEvent`, `parseJsonEvents`).
 *
 * @module polku/http
 * @packageDocumentation
 */
export { formatAddress, parseAddress, type HostPort } from './address.js';
export type { BearerVerifier } from './auth.js';
export { HttpInput, type HttpInputStats } from './http-input.js';
export type { HttpInputOptions, HttpInputTlsOptions } from './http-input-options.js';
export type { Pem } from './tls-material.js';
export { MAX_LISTED_ERRORS, type IngestError, type IngestResponse } from './ingest-result.js';
export { WebhookOutput, type WebhookOutputOptions } from './webhook-output.js';

// The POLKU JSON event form, shared by the gRPC raw payloads, the HTTP input, the webhook output and the gateway.
export { JsonEventError, parseJsonEvents, type JsonBodyOptions } from './body.js';
export { fromJsonEvent, type JsonEventDefaults } from './decode.js';
export { toJsonEvent } from './encode.js';
export { parseJsonExact } from './exact-json.js';
export { EVENT_METADATA_KEYS, OUTCOME_NAMES, PAYLOAD_ENCODINGS, SEVERITY_NAMES, type PayloadEncoding } from './fields.js';
export { MAX_PAYLOAD_DEPTH } from './payload-text.js';

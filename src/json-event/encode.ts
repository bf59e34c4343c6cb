import { isUtf8 } from 'node:buffer';
import type { Message } from '../message/message.js';
import { newMetadata } from '../message/metadata.js';
import { EVENT_METADATA_KEYS, OUTCOME_NAMES, SEVERITY_NAMES, type PayloadEncoding } from './fields.js';
import { jsonTextDepth, MAX_PAYLOAD_DEPTH } from './payload-text.js';

const DECIMAL = /^[1-9]\d*$/;
/** JSON text that cannot be embedded as written: line breaks (one event per line) or whitespace around the value. */
const NOT_EMBEDDABLE = /[\r\n]|^[ \t]|[ \t]$/;

/**
 * Writes a message as one event in the POLKU JSON form, on one line:
 * `{"id":…,"timestamp_unix_ns":"…","source":…,"event_type":…,"metadata":{…},"payload":…,"route_to":[…]}`
 * plus `severity` / `outcome` (numbers) when the metadata carries them, and
 * `payload_encoding` when the payload is not base64. The timestamp is a
 * decimal string, so it stays exact in any JSON reader. `parseJsonEvents`
 * reads the line back into an equal message, payload byte for byte in every
 * encoding (`fromJsonEvent` on the parsed value too, except that a `json`
 * payload is then re-serialised).
 *
 * @param msg - The message.
 * @param encoding - How to write the payload (see {@link PayloadEncoding}). @default 'base64'
 * @returns One line of JSON (no newline).
 * @example
 * ```ts
 * import { createMessage, toJsonEvent } from 'polku';
 *
 * toJsonEvent(createMessage({ source: 'a', messageType: 'b', payload: '{"n":1}' }), 'json');
 * // '{"id":"01J…","timestamp_unix_ns":"1764…","source":"a","event_type":"b","metadata":{},"payload":{"n":1},"route_to":[],"payload_encoding":"json"}'
 * ```
 */
export function toJsonEvent(msg: Message, encoding: PayloadEncoding = 'base64'): string {
	const meta = msg.metadata;
	const severity = enumValue(meta[EVENT_METADATA_KEYS.severity], SEVERITY_NAMES.length);
	const outcome = enumValue(meta[EVENT_METADATA_KEYS.outcome], OUTCOME_NAMES.length);
	const metadata = severity === 0 && outcome === 0 ? meta : without(meta, severity !== 0, outcome !== 0);
	let out =
		'{"id":' +
		JSON.stringify(msg.id) +
		',"timestamp_unix_ns":"' +
		msg.timestamp.toString() +
		'","source":' +
		JSON.stringify(msg.source) +
		',"event_type":' +
		JSON.stringify(msg.messageType) +
		',"metadata":' +
		JSON.stringify(metadata) +
		',"payload":' +
		payloadValue(msg.payload, encoding) +
		',"route_to":' +
		(msg.routeTo.length === 0 ? '[]' : JSON.stringify(msg.routeTo));
	if (severity !== 0) out += ',"severity":' + severity;
	if (outcome !== 0) out += ',"outcome":' + outcome;
	return out + '}';
}

/** The payload as a JSON value, with its `payload_encoding` field when not base64. */
function payloadValue(payload: Uint8Array, encoding: PayloadEncoding): string {
	const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
	if (encoding !== 'base64' && bytes.length > 0 && isUtf8(bytes)) {
		const text = bytes.toString('utf8');
		if (encoding === 'utf8') return JSON.stringify(text) + ',"payload_encoding":"utf8"';
		try {
			JSON.parse(text);
		} catch {
			return '"' + bytes.toString('base64') + '"'; // not JSON
		}
		// Valid JSON is embedded verbatim (big integers, 1.0, duplicate keys stay as written) when it reads
		// back byte for byte; otherwise it is written as a string, still exact.
		if (NOT_EMBEDDABLE.test(text) || jsonTextDepth(text) > MAX_PAYLOAD_DEPTH) return JSON.stringify(text) + ',"payload_encoding":"utf8"';
		return text + ',"payload_encoding":"json"';
	}
	return '"' + bytes.toString('base64') + '"';
}

function enumValue(value: string | undefined, size: number): number {
	if (value === undefined || !DECIMAL.test(value)) return 0;
	const n = Number(value);
	return n < size ? n : 0;
}

function without(meta: Readonly<Record<string, string>>, severity: boolean, outcome: boolean): Record<string, string> {
	const out = newMetadata();
	for (const key of Object.keys(meta)) {
		if ((severity && key === EVENT_METADATA_KEYS.severity) || (outcome && key === EVENT_METADATA_KEYS.outcome)) continue;
		out[key] = meta[key]!;
	}
	return out;
}

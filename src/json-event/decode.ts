import { MessageValidationError } from '../errors.js';
import { nowNanos } from '../message/clock.js';
import { nextId } from '../message/id.js';
import { describe, type Message, type Metadata } from '../message/message.js';
import { EMPTY_METADATA, freezeMetadata, newMetadata } from '../message/metadata.js';
import { EVENT_METADATA_KEYS, OUTCOME_NAMES, SEVERITY_NAMES } from './fields.js';
import { deeperThan, MAX_PAYLOAD_DEPTH, TOO_DEEP, type PayloadTexts } from './payload-text.js';

const EMPTY_ROUTE: readonly string[] = Object.freeze([]);
const EMPTY_PAYLOAD = new Uint8Array(0);
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Request-level defaults for events that leave fields out.
 *
 * @example
 * ```ts
 * import { fromJsonEvent, type JsonEventDefaults } from 'polku';
 *
 * const defaults: JsonEventDefaults = { source: 'billing' };
 * fromJsonEvent({ event_type: 'invoice.paid' }, defaults).source; // 'billing'
 * ```
 */
export interface JsonEventDefaults {
	/** Used when an event has no (or an empty) `source`. */
	readonly source: string;
}

/**
 * Turns one event in the POLKU JSON form into a {@link Message}. Accepts the
 * wire names (`timestamp_unix_ns`, `event_type`, `route_to`) and the camelCase
 * ones (`timestampUnixNs` / `timestamp`, `messageType` / `eventType`,
 * `routeTo`). A missing `id` or timestamp (or timestamp 0) is generated, a
 * missing `source` comes from `defaults`, a missing type is `unknown`; a
 * non-zero `severity` / `outcome` goes to metadata (`polku.severity`,
 * `polku.outcome`). Unknown fields are ignored.
 *
 * A `json` payload (`payload_encoding: "json"`, or any payload that is not a
 * string) becomes the bytes of `JSON.stringify(payload)`: the value is
 * already parsed, so big integers, `1.0` or duplicate keys are already gone.
 * To keep the payload's JSON text exactly as sent, give the text to
 * `parseJsonEvents` instead. A payload nested deeper than
 * `MAX_PAYLOAD_DEPTH` is refused.
 *
 * Throws a `MessageValidationError` naming the field (e.g. `metadata.region`).
 *
 * @param value - A parsed JSON value (timestamps as strings keep int64 exact; see `parseJsonExact`).
 * @param defaults - Defaults for fields the event leaves out. @default { source: '' }
 * @returns A new message.
 * @example
 * ```ts
 * import { fromJsonEvent } from 'polku';
 *
 * const msg = fromJsonEvent({ event_type: 'ping', timestamp_unix_ns: '1764216000123456789', payload: 'aGVq' }, { source: 'api' });
 * msg.timestamp; // 1764216000123456789n
 * ```
 */
export function fromJsonEvent(value: unknown, defaults: JsonEventDefaults = NO_DEFAULTS): Message {
	return decodeEventAt(value, '', defaults);
}

const NO_DEFAULTS: JsonEventDefaults = Object.freeze({ source: '' });

/**
 * {@link fromJsonEvent} with an error prefix: a batch index (`3` for `[3]`,
 * so no string is built unless there is an error) or a path.
 */
export function decodeEventAt(value: unknown, at: string | number, defaults: JsonEventDefaults, texts?: PayloadTexts): Message {
	if (value === null || typeof value !== 'object' || Array.isArray(value)) {
		const where = typeof at === 'number' ? `[${at}]` : at === '' ? 'event' : at;
		throw new MessageValidationError(where, `must be an event object, got ${describe(value)}`);
	}
	const e = value as Record<string, unknown>;
	const prefix = at;
	const id = e['id'];
	if (id !== undefined && (typeof id !== 'string' || id.length === 0)) fail(prefix, 'id', `must be a non-empty string, got ${describe(id)}`);
	const source = optionalString(prefix, 'source', e['source']);
	// Named property loads only (no e[key] with a variable key): this runs for every event of a body.
	let typeKey = 'event_type';
	let type = e['event_type'];
	if (type === undefined) {
		type = e['messageType'];
		typeKey = 'messageType';
		if (type === undefined) {
			type = e['eventType'];
			typeKey = 'eventType';
		}
	}
	const messageType = optionalString(prefix, typeKey, type);
	return {
		id: (id as string | undefined) ?? nextId(),
		timestamp: decodeTimestamp(prefix, e) ?? nowNanos(),
		source: source === undefined || source === '' ? defaults.source : source,
		messageType: messageType === undefined || messageType === '' ? 'unknown' : messageType,
		metadata: decodeMetadata(prefix, e),
		payload: decodePayload(prefix, e, texts, typeof at === 'number' ? at : 0),
		routeTo: decodeRoute(prefix, e),
	};
}

/** Where a field is: `at` is an index (`[3].`), a prefix (`x.`) or nothing. */
type At = string | number;

function fail(at: At, field: string, detail: string): never {
	const prefix = typeof at === 'number' ? `[${at}].` : at === '' ? '' : `${at}.`;
	throw new MessageValidationError(prefix + field, detail);
}

function optionalString(prefix: At, field: string, value: unknown): string | undefined {
	if (value === undefined || value === null || typeof value === 'string') return value ?? undefined;
	return fail(prefix, field, `must be a string, got ${describe(value)}`);
}

function decodeTimestamp(prefix: At, e: Record<string, unknown>): bigint | undefined {
	let key = 'timestamp_unix_ns';
	let value = e['timestamp_unix_ns'];
	if (value === undefined) {
		value = e['timestampUnixNs'];
		key = 'timestampUnixNs';
		if (value === undefined) {
			value = e['timestamp'];
			key = 'timestamp';
		}
	}
	if (value === undefined || value === null) return undefined;
	let ns: bigint;
	if (typeof value === 'string' && isInt64Text(value)) {
		ns = BigInt(value);
		if (value.length >= 19 && (ns < INT64_MIN || ns > INT64_MAX)) fail(prefix, key, `must fit in int64, got ${value}`);
	} else if (typeof value === 'number' && Number.isSafeInteger(value)) {
		ns = BigInt(value);
	} else if (typeof value === 'number' && Number.isInteger(value)) {
		throw new InexactTimestampError(prefix, key, value);
	} else {
		const got = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : describe(value);
		return fail(prefix, key, `must be an integer of Unix nanoseconds (a decimal string or an integer), got ${got}`);
	}
	return ns === 0n ? undefined : ns;
}

/**
 * An integer timestamp above 2^53 that `JSON.parse` already rounded: the
 * body must be parsed again with `parseJsonExact` (`parseJsonEvents` does).
 */
export class InexactTimestampError extends MessageValidationError {
	constructor(prefix: At, key: string, value: number) {
		const where = typeof prefix === 'number' ? `[${prefix}].` : prefix === '' ? '' : `${prefix}.`;
		super(`${where}${key}`, `${value} is above 2^53 and lost digits in JSON.parse: send it as a decimal string, or parse with parseJsonExact`);
	}
}

function decodeMetadata(prefix: At, e: Record<string, unknown>): Metadata {
	const source = e['metadata'];
	const severity = decodeEnum(prefix, 'severity', e['severity'], SEVERITY_NAMES);
	const outcome = decodeEnum(prefix, 'outcome', e['outcome'], OUTCOME_NAMES);
	if ((source === undefined || source === null) && severity === 0 && outcome === 0) return EMPTY_METADATA;
	if (source !== undefined && source !== null && (typeof source !== 'object' || Array.isArray(source))) {
		fail(prefix, 'metadata', `must be an object of strings, got ${describe(source)}`);
	}
	const out = newMetadata();
	if (source !== undefined && source !== null) {
		for (const key of Object.keys(source)) {
			const v = (source as Record<string, unknown>)[key];
			if (typeof v !== 'string') fail(prefix, `metadata.${key}`, `must be a string, got ${describe(v)}`);
			out[key] = v;
		}
	}
	if (severity !== 0) out[EVENT_METADATA_KEYS.severity] = String(severity);
	if (outcome !== 0) out[EVENT_METADATA_KEYS.outcome] = String(outcome);
	return freezeMetadata(out);
}

/** A severity / outcome as its number: the number itself, or a name (`error`, `SEVERITY_ERROR`). */
function decodeEnum(prefix: At, field: string, value: unknown, names: readonly string[]): number {
	if (value === undefined || value === null) return 0;
	if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < names.length) return value;
	if (typeof value === 'string') {
		const lower = value.toLowerCase();
		const bare = lower.startsWith(`${field}_`) ? lower.slice(field.length + 1) : lower;
		const index = names.indexOf(bare);
		if (index !== -1) return index;
	}
	const got = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : describe(value);
	return fail(prefix, field, `must be 0-${names.length - 1} or one of ${names.join(', ')}, got ${got}`);
}

function decodePayload(prefix: At, e: Record<string, unknown>, texts: PayloadTexts | undefined, index: number): Uint8Array {
	const value = e['payload'];
	let encodingKey = 'payload_encoding';
	let given = e['payload_encoding'];
	if (given === undefined) {
		given = e['payloadEncoding'];
		encodingKey = 'payloadEncoding';
	}
	const encoding = given ?? (typeof value === 'string' || value === undefined || value === null ? 'base64' : 'json');
	if (encoding === 'json') return value === undefined ? EMPTY_PAYLOAD : jsonPayload(prefix, value, texts?.at(index));
	if (encoding !== 'base64' && encoding !== 'utf8') {
		fail(prefix, encodingKey, `must be base64, utf8 or json, got ${typeof encoding === 'string' ? JSON.stringify(encoding.slice(0, 40)) : describe(encoding)}`);
	}
	if (value === undefined || value === null) return EMPTY_PAYLOAD;
	if (typeof value !== 'string') return fail(prefix, 'payload', `must be a ${encoding} string, got ${describe(value)}`);
	if (value.length === 0) return EMPTY_PAYLOAD;
	if (encoding === 'utf8') return Buffer.from(value, 'utf8');
	// Node's decoder skips characters outside the alphabet, so a decoded length short of what the
	// text's length implies means the text was not base64 (standard or URL-safe, padded or not).
	const bytes = value.length % 4 === 1 ? undefined : Buffer.from(value, 'base64');
	if (bytes === undefined || bytes.length !== base64Length(value)) {
		fail(prefix, 'payload', 'must be base64 (set payload_encoding "utf8" or "json" for text)');
	}
	return bytes;
}

/** A `json` payload: its text as sent when the body's text is known, else the value serialised. */
function jsonPayload(prefix: At, value: unknown, text: string | typeof TOO_DEEP | undefined): Uint8Array {
	if (text === TOO_DEEP || (text === undefined && deeperThan(value, MAX_PAYLOAD_DEPTH))) {
		return fail(prefix, 'payload', `is nested deeper than ${MAX_PAYLOAD_DEPTH} levels`);
	}
	return Buffer.from(text ?? JSON.stringify(value), 'utf8');
}

function decodeRoute(prefix: At, e: Record<string, unknown>): readonly string[] {
	let key = 'route_to';
	let value = e['route_to'];
	if (value === undefined) {
		value = e['routeTo'];
		key = 'routeTo';
	}
	if (value === undefined || value === null) return EMPTY_ROUTE;
	if (!Array.isArray(value)) return fail(prefix, key, `must be an array of strings, got ${describe(value)}`);
	if (value.length === 0) return EMPTY_ROUTE;
	for (let i = 0; i < value.length; i++) {
		if (typeof value[i] !== 'string') fail(prefix, `${key}[${i}]`, `must be a string, got ${describe(value[i])}`);
	}
	return Object.freeze(value as string[]);
}

/** Whether `text` is an optional minus and 1 to 19 decimal digits (a candidate int64). */
function isInt64Text(text: string): boolean {
	const n = text.length;
	let i = n > 0 && text.charCodeAt(0) === 0x2d ? 1 : 0;
	if (n === i || n - i > 19) return false;
	for (; i < n; i++) {
		const c = text.charCodeAt(i);
		if (c < 0x30 || c > 0x39) return false;
	}
	return true;
}

/** Bytes a well-formed base64 text of this length decodes to; -1 when padding makes it impossible. */
function base64Length(text: string): number {
	const n = text.length;
	const pad = text.charCodeAt(n - 1) !== 0x3d ? 0 : text.charCodeAt(n - 2) === 0x3d ? 2 : 1;
	if (pad === 0) return Math.floor((n * 3) / 4);
	return n % 4 === 0 ? (n / 4) * 3 - pad : -1;
}

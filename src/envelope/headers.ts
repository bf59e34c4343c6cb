import { MessageValidationError } from '../errors.js';
import { nowNanos } from '../message/clock.js';
import { nextId } from '../message/id.js';
import { toPayload, type Message } from '../message/message.js';
import { EMPTY_METADATA, freezeMetadata, newMetadata } from '../message/metadata.js';

/**
 * The header names of the envelope ↔ headers mapping that every broker
 * adapter uses (Kafka, NATS, AMQP, MQTT user properties, Redis stream fields):
 * the same names on every transport, lowercase.
 *
 * @example
 * ```ts
 * import { ENVELOPE_HEADERS } from 'polku';
 *
 * ENVELOPE_HEADERS.id;        // 'polku-id'
 * ENVELOPE_HEADERS.timestamp; // 'polku-timestamp' (Unix ns as a decimal string)
 * ```
 */
export const ENVELOPE_HEADERS = Object.freeze({
	/** The message id. Its presence marks a message written by polku. */
	id: 'polku-id',
	/** Unix time in nanoseconds as a decimal string (exact, never rounded through ms). */
	timestamp: 'polku-timestamp',
	source: 'polku-source',
	/** The message's `messageType`. */
	type: 'polku-type',
	/** `routeTo`, comma-separated (a comma inside a name is `%2C`); absent when empty. */
	routeTo: 'polku-route-to',
	/** Prefix of a metadata key that cannot travel as a header name of its own (percent-encoded after it). */
	metadataPrefix: 'polku-meta-',
} as const);

/**
 * One header: name and value, both strings. Transports with byte-valued
 * headers (Kafka) encode the value as UTF-8.
 *
 * @example
 * ```ts
 * const header: EnvelopeHeader = ['polku-id', '01JD0000000000000000000000'];
 * ```
 */
export type EnvelopeHeader = readonly [name: string, value: string];

/**
 * What {@link fromEnvelopeHeaders} falls back to for a message that was not
 * written by polku (it has no `polku-id` header): a plain producer's message.
 * Give a stable `id` where the transport has one (a Kafka offset, a stream
 * sequence, an AMQP message id), so that a redelivery keeps its id.
 *
 * @example
 * ```ts
 * const defaults: EnvelopeDefaults = { id: `orders/3/${offset}`, source: 'kafka', messageType: 'orders', timestamp: BigInt(ms) * 1_000_000n };
 * ```
 */
export interface EnvelopeDefaults {
	/** @default a new monotonic ULID */
	readonly id?: string;
	/** @default now */
	readonly timestamp?: bigint;
	readonly source: string;
	readonly messageType: string;
}

/** RFC 9110 token characters, without `%` (the escape character). */
const TOKEN = /^[!#$&'*+.^_`|~0-9A-Za-z-]+$/;
const RESERVED_PREFIX = 'polku-';
/** Longest metadata key written as a header name of its own (AMQP short strings hold 255 bytes). */
const MAX_PLAIN_NAME = 200;
const TIMESTAMP = /^\d{1,20}$/;
const MAX_TIMESTAMP = 2n ** 64n - 1n;

/** True when `value` needs no escaping: no `%`, no control characters, no leading or trailing white space. */
function isPlainValue(value: string): boolean {
	for (let i = 0; i < value.length; i++) {
		const c = value.charCodeAt(i);
		if (c < 0x20 || c === 0x25 || c === 0x7f) return false;
	}
	return value.length === 0 || (value.charCodeAt(0) !== 0x20 && value.charCodeAt(value.length - 1) !== 0x20);
}

/**
 * Percent-encodes what header transports cannot carry verbatim: `%`, control
 * characters (CR, LF, NUL, …) and leading or trailing spaces. Everything else,
 * including non-ASCII text, is kept, so ordinary values read the same in any
 * broker tool. {@link toEnvelopeHeaders} applies it to every value.
 *
 * @example
 * ```ts
 * import { escapeHeaderValue } from 'polku';
 *
 * escapeHeaderValue('acme');      // 'acme'
 * escapeHeaderValue('50%\r\n'); // '50%25%0D%0A'
 * ```
 */
export function escapeHeaderValue(value: string): string {
	if (isPlainValue(value)) return value;
	let out = '';
	for (let i = 0; i < value.length; i++) {
		const c = value.charCodeAt(i);
		const edge = c === 0x20 && (i === 0 || i === value.length - 1);
		out += c < 0x20 || c === 0x25 || c === 0x7f || edge ? `%${c.toString(16).toUpperCase().padStart(2, '0')}` : value[i];
	}
	return out;
}

/**
 * Inverse of {@link escapeHeaderValue}. Throws {@link MessageValidationError}
 * naming `field` on a malformed escape.
 *
 * @example
 * ```ts
 * import { unescapeHeaderValue } from 'polku';
 *
 * unescapeHeaderValue('50%25', 'headers.discount'); // '50%'
 * ```
 */
export function unescapeHeaderValue(value: string, field: string): string {
	if (!value.includes('%')) return value;
	let out = '';
	for (let i = 0; i < value.length; i++) {
		const ch = value[i]!;
		if (ch !== '%') {
			out += ch;
			continue;
		}
		const hex = value.slice(i + 1, i + 3);
		if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new MessageValidationError(field, `has a malformed %-escape at offset ${i}`);
		out += String.fromCharCode(parseInt(hex, 16));
		i += 2;
	}
	return out;
}

/** The header name of a metadata key: the key itself when it is a plain token, else `polku-meta-` + its percent-encoded UTF-8. */
function metadataHeaderName(key: string): string {
	if (key.length <= MAX_PLAIN_NAME && TOKEN.test(key) && !key.toLowerCase().startsWith(RESERVED_PREFIX)) return key;
	let out = ENVELOPE_HEADERS.metadataPrefix;
	for (const byte of Buffer.from(key, 'utf8')) {
		const ch = String.fromCharCode(byte);
		out += byte < 0x80 && ch !== '%' && TOKEN.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
	}
	return out;
}

function metadataKeyOf(encoded: string, field: string): string {
	if (!encoded.includes('%')) return encoded;
	const bytes: number[] = [];
	for (let i = 0; i < encoded.length; i++) {
		if (encoded[i] !== '%') {
			bytes.push(encoded.charCodeAt(i));
			continue;
		}
		const hex = encoded.slice(i + 1, i + 3);
		if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new MessageValidationError(field, `has a malformed %-escape at offset ${i}`);
		bytes.push(parseInt(hex, 16));
		i += 2;
	}
	return Buffer.from(bytes).toString('utf8');
}

/**
 * The envelope of `message` as headers, in the mapping every polku broker
 * adapter shares:
 *
 * | header | value |
 * |---|---|
 * | `polku-id` | `id` |
 * | `polku-timestamp` | Unix ns as a decimal string (exact) |
 * | `polku-source` | `source` |
 * | `polku-type` | `messageType` |
 * | `polku-route-to` | `routeTo`, comma-separated, e.g. `warehouse,audit` (a comma inside a name is `%2C`; absent when empty) |
 * | the metadata key | its value, for keys that are HTTP tokens not starting with `polku-` |
 * | `polku-meta-<key, %-encoded>` | its value, for every other key (`__proto__` travels as `__proto__`; `a b` as `polku-meta-a%20b`) |
 *
 * Values are percent-encoded only where a transport could not carry them
 * verbatim (`%`, control characters, leading or trailing spaces). The payload
 * is not a header: it travels as the transport's body. Round trip with
 * {@link fromEnvelopeHeaders}.
 *
 * @param message - The message.
 * @returns Name/value pairs, envelope first.
 * @example
 * ```ts
 * import { toEnvelopeHeaders, createMessage } from 'polku';
 *
 * const headers = toEnvelopeHeaders(createMessage({ source: 'shop', messageType: 'order.created', metadata: { tenant: 'acme' } }));
 * // [['polku-id', '01J…'], ['polku-timestamp', '1764…'], ['polku-source', 'shop'], ['polku-type', 'order.created'], ['tenant', 'acme']]
 * const kafkaHeaders = Object.fromEntries(headers);
 * ```
 */
export function toEnvelopeHeaders(message: Message): EnvelopeHeader[] {
	const headers: EnvelopeHeader[] = [
		[ENVELOPE_HEADERS.id, escapeHeaderValue(message.id)],
		[ENVELOPE_HEADERS.timestamp, message.timestamp.toString()],
		[ENVELOPE_HEADERS.source, escapeHeaderValue(message.source)],
		[ENVELOPE_HEADERS.type, escapeHeaderValue(message.messageType)],
	];
	if (message.routeTo.length > 0) {
		headers.push([ENVELOPE_HEADERS.routeTo, message.routeTo.map((r) => escapeHeaderValue(r).replaceAll(',', '%2C')).join(',')]);
	}
	const metadata = message.metadata;
	for (const key of Object.keys(metadata)) headers.push([metadataHeaderName(key), escapeHeaderValue(metadata[key]!)]);
	return headers;
}

/**
 * Rebuilds a message from headers and a payload (the inverse of
 * {@link toEnvelopeHeaders}). A message with a `polku-id` header was written by
 * polku: its envelope is restored exactly (id, ns timestamp, source, type,
 * route, metadata). Any other message comes from a plain producer: its headers
 * become metadata verbatim and `defaults` give the envelope.
 *
 * Header names are matched case-insensitively for the `polku-` names (some
 * transports change their case); when a name repeats, the last value wins.
 * Throws {@link MessageValidationError} naming the header for a malformed
 * envelope (e.g. a `polku-timestamp` that is not a decimal integer): a poison
 * message for the input to drop.
 *
 * @param headers - Name/value pairs, as the transport delivered them (leave out the transport's own, e.g. `Nats-Msg-Id`).
 * @param payload - The body.
 * @param defaults - The envelope of a message not written by polku.
 * @returns The message.
 * @example
 * ```ts
 * import { fromEnvelopeHeaders } from 'polku';
 *
 * const message = fromEnvelopeHeaders(
 *   Object.entries(headers).map(([k, v]) => [k, v.toString()] as const),
 *   record.value,
 *   { source: 'kafka', messageType: record.topic },
 * );
 * ```
 */
export function fromEnvelopeHeaders(headers: Iterable<EnvelopeHeader>, payload: Uint8Array | string | undefined, defaults: EnvelopeDefaults): Message {
	const list = Array.isArray(headers) ? (headers as readonly EnvelopeHeader[]) : [...headers];
	let polku = false;
	for (const [name] of list) {
		if (name.length === ENVELOPE_HEADERS.id.length && name.toLowerCase() === ENVELOPE_HEADERS.id) {
			polku = true;
			break;
		}
	}
	let metadata: Record<string, string> | undefined;
	if (!polku) {
		for (const [name, value] of list) (metadata ??= newMetadata())[name] = value;
		return {
			id: defaults.id ?? nextId(),
			timestamp: defaults.timestamp ?? nowNanos(),
			source: defaults.source,
			messageType: defaults.messageType,
			metadata: metadata === undefined ? EMPTY_METADATA : freezeMetadata(metadata),
			payload: toPayload(payload ?? undefined),
			routeTo: [],
		};
	}
	let id = '';
	let timestamp: bigint | undefined;
	let source = defaults.source;
	let messageType = defaults.messageType;
	let routeTo: readonly string[] = [];
	for (const [name, raw] of list) {
		const lower = name.toLowerCase();
		if (!lower.startsWith(RESERVED_PREFIX)) {
			(metadata ??= newMetadata())[name] = unescapeHeaderValue(raw, `headers.${name}`);
			continue;
		}
		const field = `headers.${lower}`;
		switch (lower) {
			case ENVELOPE_HEADERS.id:
				id = unescapeHeaderValue(raw, field);
				break;
			case ENVELOPE_HEADERS.timestamp: {
				if (!TIMESTAMP.test(raw)) throw new MessageValidationError(field, `must be Unix nanoseconds as a decimal integer, got ${JSON.stringify(raw.slice(0, 40))}`);
				const ns = BigInt(raw);
				if (ns > MAX_TIMESTAMP) throw new MessageValidationError(field, 'is out of range');
				timestamp = ns;
				break;
			}
			case ENVELOPE_HEADERS.source:
				source = unescapeHeaderValue(raw, field);
				break;
			case ENVELOPE_HEADERS.type:
				messageType = unescapeHeaderValue(raw, field);
				break;
			case ENVELOPE_HEADERS.routeTo:
				// Present means at least one name (an empty routeTo is never written).
				routeTo = Object.freeze(raw.split(',').map((r) => unescapeHeaderValue(r, field)));
				break;
			default:
				if (lower.startsWith(ENVELOPE_HEADERS.metadataPrefix)) {
					const key = metadataKeyOf(name.slice(ENVELOPE_HEADERS.metadataPrefix.length), field);
					(metadata ??= newMetadata())[key] = unescapeHeaderValue(raw, field);
				}
			// other polku- names are reserved for later versions and ignored
		}
	}
	if (id === '') throw new MessageValidationError(`headers.${ENVELOPE_HEADERS.id}`, 'must not be empty');
	return {
		id,
		timestamp: timestamp ?? defaults.timestamp ?? nowNanos(),
		source,
		messageType,
		metadata: metadata === undefined ? EMPTY_METADATA : freezeMetadata(metadata),
		payload: toPayload(payload ?? undefined),
		routeTo,
	};
}

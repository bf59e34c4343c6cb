import { fromEnvelopeHeaders, toEnvelopeHeaders, type EnvelopeHeader, type Message } from '../../index.js';
import { asBuffer, text, type RedisArgument } from './client.js';

/** The entry field holding the payload bytes. */
export const PAYLOAD_FIELD = 'payload';

/**
 * The fields of a stream entry for `message`: `payload` (the bytes, verbatim),
 * then the envelope in the shared header mapping (`polku-id`,
 * `polku-timestamp`, `polku-source`, `polku-type`, `polku-route-to`, one field
 * per metadata key), appended to `into`.
 */
export function appendEntryFields(into: RedisArgument[], message: Message): void {
	into.push(PAYLOAD_FIELD, asBuffer(message.payload));
	for (const [name, value] of toEnvelopeHeaders(message)) into.push(name, value);
}

/** One stream entry as Redis replies it: its id and its fields (`null` when it was deleted while pending). */
export interface RawEntry {
	readonly id: string;
	readonly fields: readonly unknown[] | null;
}

/**
 * A stream entry as a message. An entry written by polku (a `polku-id`
 * field) gets its envelope back exactly. Any other entry needs only a
 * `payload` field (without one, the payload is empty): it gets a new id, the
 * timestamp of its entry id (ms), the stream key as source and type, and its
 * other fields as metadata. Throws `MessageValidationError` for a malformed
 * envelope.
 */
export function decodeEntry(entry: RawEntry, stream: string): Message {
	const fields = entry.fields ?? [];
	const headers: EnvelopeHeader[] = [];
	let payload: Uint8Array | undefined;
	for (let i = 0; i + 1 < fields.length; i += 2) {
		const name = text(fields[i]);
		const value = fields[i + 1];
		if (name === PAYLOAD_FIELD && payload === undefined) payload = value instanceof Uint8Array ? value : Buffer.from(text(value), 'utf8');
		else headers.push([name, text(value)]);
	}
	const ms = entry.id.slice(0, entry.id.indexOf('-'));
	return fromEnvelopeHeaders(headers, payload, {
		...(/^\d{1,15}$/.test(ms) ? { timestamp: BigInt(ms) * 1_000_000n } : {}),
		source: stream,
		messageType: stream,
	});
}

/**
 * The entries of an `XREADGROUP` / `XAUTOCLAIM` / `XCLAIM` reply for one
 * stream, whatever the protocol version and client made of it (RESP2 nested
 * arrays, RESP3 maps as objects, `Map`s or flat key/value arrays).
 */
export function entriesOf(entries: unknown): RawEntry[] {
	if (!Array.isArray(entries)) return [];
	const out: RawEntry[] = [];
	for (const item of entries as unknown[]) {
		if (!Array.isArray(item) || item.length < 2) continue;
		const fields = item[1];
		out.push({ id: text(item[0]), fields: Array.isArray(fields) ? (fields as unknown[]) : null });
	}
	return out;
}

/** The entries of an `XREADGROUP` reply reading one stream (`null` when nothing came). */
export function readReply(reply: unknown): RawEntry[] {
	if (reply === null || reply === undefined) return [];
	if (Array.isArray(reply)) {
		if (reply.length === 0) return [];
		// RESP2: [[key, entries]]; RESP3 map as a flat array: [key, entries].
		return Array.isArray(reply[0]) ? entriesOf((reply[0] as unknown[])[1]) : entriesOf(reply[1]);
	}
	if (reply instanceof Map) return entriesOf(reply.values().next().value);
	if (typeof reply === 'object') return entriesOf(Object.values(reply)[0]);
	return [];
}

import { createMessage, type Message } from '../../message/message.js';

/** The source of the numbered messages of the bulk cases. */
export const BULK_SOURCE = 'polku-conformance';

/**
 * A timestamp now-ish in Unix ns, above 2^53 and not a whole number of ms (nor
 * exactly representable as a double), so any rounding through ms or through a
 * JavaScript number shows.
 */
function exactTimestamp(i: number): bigint {
	return BigInt(Date.now()) * 1_000_000n + 123_457n + BigInt(i) * 1_000_003n;
}

/** Every byte value, then invalid UTF-8: a lone continuation byte, a truncated sequence, an overlong encoding, 0xFE/0xFF. */
export function binaryPayload(): Uint8Array {
	const bytes = new Uint8Array(256 + 9);
	for (let i = 0; i < 256; i++) bytes[i] = i;
	bytes.set([0x80, 0xe2, 0x82, 0xc0, 0xaf, 0xfe, 0xff, 0xed, 0xa0], 256);
	return bytes;
}

/** `size` bytes in a pattern that is neither constant nor valid UTF-8 throughout. */
export function largePayload(size: number): Uint8Array {
	const bytes = new Uint8Array(size);
	for (let i = 0; i < size; i++) bytes[i] = (i * 131 + (i >>> 8)) & 0xff;
	return bytes;
}

/**
 * Messages whose envelopes are hard to carry: keys that are JavaScript
 * prototype names, keys that are not header tokens, keys in the reserved
 * `polku-` namespace, unicode, values with CR/LF, `%`, NUL and edge spaces,
 * ids that are not ULIDs, exact ns timestamps. Every payload differs, so the
 * messages can be told apart by payload alone.
 */
export function envelopeMessages(): Message[] {
	const specs: { id?: string; source?: string; messageType?: string; metadata: Record<string, string>; payload: Uint8Array | string }[] = [
		{ metadata: { tenant: 'acme', region: 'eu-north-1' }, payload: '{"order":42,"total":"99.90"}' },
		{
			metadata: JSON.parse('{"__proto__":"proto","constructor":"ctor","toString":"str","hasOwnProperty":"own","prototype":"p"}') as Record<string, string>,
			payload: 'prototype keys',
		},
		{ metadata: { 'a b': 'space', 'x:y': 'colon', 'k=v;q': 'equals', 'pct%key': 'percent', 'sl/ash': 'slash', 'ünïcödé-kéy': 'unicode key', 'X-Request-Id': 'mixed case' }, payload: 'non-token keys' },
		{ metadata: { 'polku-id': 'not the id', 'polku-custom': 'reserved prefix', 'Polku-Type': 'upper case prefix', 'polku-meta-x': 'looks encoded' }, payload: 'reserved keys' },
		{
			metadata: {
				crlf: 'line one\r\nline two',
				percent: '100%',
				escapes: '%41%0D%%',
				spaces: '  padded  ',
				unicode: '日本語 ✓ 🚀 ääkköset',
				empty: '',
				nul: 'a\u0000b',
				tab: 'a\tb',
				comma: 'a,b;c=d',
			},
			payload: 'tricky values',
		},
		{ id: 'order-42/ä %1', source: 'shop / kauppa ✓', messageType: 'order.créé v2', metadata: {}, payload: 'custom id, unicode source and type' },
		{ metadata: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`key-${i}`, `value ${i}`])), payload: binaryPayload() },
		{ metadata: { kind: 'empty payload' }, payload: new Uint8Array(0) },
		{ metadata: { kind: 'unicode payload' }, payload: 'Hyvää päivää 👋 — grüße, 你好' },
	];
	return specs.map((s, i) =>
		createMessage({
			...(s.id === undefined ? {} : { id: s.id }),
			timestamp: exactTimestamp(i),
			source: s.source ?? 'conformance',
			messageType: s.messageType ?? `conformance.envelope.${i}`,
			metadata: s.metadata,
			payload: s.payload,
		}),
	);
}

/** Messages whose payloads are the hard cases: empty, every byte value, UTF-8, and `largeBytes` bytes. */
export function payloadMessages(largeBytes: number): { readonly small: Message[]; readonly large: Message } {
	const make = (kind: string, payload: Uint8Array | string, i: number): Message =>
		createMessage({ timestamp: exactTimestamp(i), source: 'conformance', messageType: `conformance.payload.${kind}`, metadata: { kind }, payload });
	return {
		small: [make('empty', new Uint8Array(0), 0), make('binary', binaryPayload(), 1), make('utf-8', 'ÄÖÅ ✓ 🚀 \u0000 end', 2)],
		large: make('large', largePayload(largeBytes), 3),
	};
}

/** `count` small messages whose payload is their index (decimal), tagged `tag` in their type. */
export function numberedMessages(count: number, tag: string): Message[] {
	const out: Message[] = [];
	for (let i = 0; i < count; i++) out.push(createMessage({ source: BULK_SOURCE, messageType: `conformance.${tag}`, payload: String(i) }));
	return out;
}

/** The index a numbered message carries in its payload, or -1. */
export function numberOf(message: Message): number {
	const text = Buffer.from(message.payload.buffer, message.payload.byteOffset, message.payload.byteLength).toString('latin1');
	return /^\d{1,9}$/.test(text) ? Number(text) : -1;
}

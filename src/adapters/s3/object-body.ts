import { toJsonEvent } from '../../json-event/encode.js';
import type { PayloadEncoding } from '../../json-event/fields.js';
import type { Message } from '../../message/message.js';

/**
 * How a batch is written as one object:
 *
 * - `ndjson`: one POLKU JSON event per line (`toJsonEvent`, the form
 *   `HttpInput` and `parseJsonEvents` read), every line ending in `\n`; the
 *   whole envelope travels.
 * - `json`: the same events as one JSON array.
 * - `raw`: the payloads alone, concatenated, each followed by `separator`
 *   (if any); the envelope does not travel.
 *
 * @example
 * ```ts
 * import type { S3Format } from 'polku/s3';
 *
 * const format: S3Format = 'ndjson';
 * ```
 */
export type S3Format = 'ndjson' | 'json' | 'raw';

/**
 * Every {@link S3Format}, for validating configuration.
 *
 * @example
 * ```ts
 * import { S3_FORMATS, type S3Format } from 'polku/s3';
 *
 * const isFormat = (value: string): value is S3Format => (S3_FORMATS as readonly string[]).includes(value);
 * ```
 */
export const S3_FORMATS: readonly S3Format[] = Object.freeze(['ndjson', 'json', 'raw']);

/** How a batch is turned into bytes. */
export interface BodyEncoding {
	readonly format: S3Format;
	readonly payloadEncoding: PayloadEncoding;
	/** Written after every payload in the `raw` format. */
	readonly separator: Uint8Array;
}

/** Bytes per message of the JSON event form beyond the payload (id, timestamp, names, punctuation), for estimates. */
const EVENT_OVERHEAD = 160;

/**
 * An estimate of the uncompressed object size, from the payload sizes alone
 * (base64 payloads count 4/3), so deciding between one PUT and a multipart
 * upload costs no encoding.
 */
export function estimateSize(batch: readonly Message[], encoding: BodyEncoding): number {
	let payloads = 0;
	for (let i = 0; i < batch.length; i++) payloads += batch[i]!.payload.length;
	if (encoding.format === 'raw') return payloads + encoding.separator.length * batch.length;
	const factor = encoding.payloadEncoding === 'base64' ? 4 / 3 : 1;
	return Math.ceil(payloads * factor) + EVENT_OVERHEAD * batch.length;
}

/**
 * The batch's bytes, in chunks of about `chunkBytes` (the last may be
 * shorter; with `Infinity`, one chunk). Lazy: a chunk is encoded only when
 * the consumer asks for it, so a streamed upload never holds the whole object.
 */
export function* encodeBody(batch: readonly Message[], encoding: BodyEncoding, chunkBytes: number): Generator<Buffer, void, undefined> {
	if (encoding.format === 'raw') {
		yield* rawChunks(batch, encoding.separator, chunkBytes);
		return;
	}
	const json = encoding.format === 'json';
	const payloadEncoding = encoding.payloadEncoding;
	let text = json ? '[' : '';
	for (let i = 0; i < batch.length; i++) {
		const event = toJsonEvent(batch[i]!, payloadEncoding);
		if (json) text += i === 0 ? event : ',' + event;
		else text += event + '\n';
		if (text.length >= chunkBytes) {
			yield Buffer.from(text, 'utf8');
			text = '';
		}
	}
	if (json) text += ']';
	if (text.length > 0) yield Buffer.from(text, 'utf8');
}

function* rawChunks(batch: readonly Message[], separator: Uint8Array, chunkBytes: number): Generator<Buffer, void, undefined> {
	let parts: Uint8Array[] = [];
	let size = 0;
	for (let i = 0; i < batch.length; i++) {
		const payload = batch[i]!.payload;
		if (payload.length > 0) parts.push(payload);
		if (separator.length > 0) parts.push(separator);
		size += payload.length + separator.length;
		if (size >= chunkBytes) {
			yield Buffer.concat(parts, size);
			parts = [];
			size = 0;
		}
	}
	if (size > 0) yield Buffer.concat(parts, size);
}

/** The whole object in one buffer (one copy of the encoded bytes). */
export function encodeWhole(batch: readonly Message[], encoding: BodyEncoding): Buffer {
	let whole: Buffer | undefined;
	for (const chunk of encodeBody(batch, encoding, Infinity)) whole = chunk;
	return whole ?? Buffer.alloc(0);
}

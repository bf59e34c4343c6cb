import type { Message } from '../../../index.js';
import { addMetadataDefault, CLUSTER_KEY, decodeEvent, eventSize, sealMetadata, writeEvent, type DecodedMessage } from './event.js';
import type { DecodedEvents } from './json-events.js';
import { decodeRaw, readEventPayload, TooManyEventsError } from './raw-payload.js';
import { asBuffer, WireError, WireReader } from './reader.js';
import { delimitedSize, stringFieldSize, varintSize, WireWriter } from './writer.js';

const NO_FIELDS = { source: '', cluster: '' };

/**
 * Decodes a `polku.v1.IngestBatch` straight into messages (see
 * `WireReader.payload` for when payloads are views into `bytes`). Never
 * throws: a malformed batch, an unknown raw format, an invalid body, or more
 * than `maxEvents` events (decoding stops there) comes back as `failures`.
 */
export function decodeIngestBatch(bytes: Uint8Array, maxEvents = Infinity): DecodedEvents {
	return guard('IngestBatch', () => {
		const r = new WireReader(bytes);
		let source = '';
		let cluster = '';
		let events: DecodedMessage[] | undefined;
		let raw: { data: Buffer; format: string } | undefined;
		while (r.pos < r.end) {
			const tag = r.tag();
			if (tag === 0x0a) source = r.string();
			else if (tag === 0x12) cluster = r.string();
			else if (tag === 0x1a) {
				raw = readRawPayload(r);
				events = undefined;
			} else if (tag === 0x22) {
				const n = r.length();
				if (events === undefined) events = [];
				raw = undefined;
				const end = r.pos + n;
				readEventPayload(r, end, events, maxEvents);
				r.pos = end;
			} else r.skip(tag);
		}
		if (raw !== undefined) return finish(decodeRaw(raw.data, raw.format, source, 'event-payload', maxEvents), source, cluster);
		if (events === undefined) return { failures: [{ eventId: '', message: 'IngestBatch has neither raw nor events' }] };
		return finish({ messages: events }, source, cluster);
	});
}

/**
 * Decodes a `polku.v1.IngestEvent` into its message(s): one for an `event`,
 * as many as the body holds for `raw`. Never throws.
 */
export function decodeIngestEvent(bytes: Uint8Array, maxEvents = Infinity): DecodedEvents {
	return guard('IngestEvent', () => {
		const r = new WireReader(bytes);
		let source = '';
		let cluster = '';
		let format = '';
		let raw: Buffer | undefined;
		let event: DecodedMessage | undefined;
		while (r.pos < r.end) {
			const tag = r.tag();
			if (tag === 0x0a) source = r.string();
			else if (tag === 0x12) cluster = r.string();
			else if (tag === 0x1a) {
				raw = r.bytes();
				event = undefined;
			} else if (tag === 0x22) {
				const n = r.length();
				const end = r.pos + n;
				event = decodeEvent(r, end);
				r.pos = end;
				raw = undefined;
			} else if (tag === 0x2a) format = r.string();
			else r.skip(tag);
		}
		if (raw !== undefined) return finish(decodeRaw(raw, format, source, 'event', maxEvents), source, cluster);
		if (event === undefined) return { failures: [{ eventId: '', message: 'IngestEvent has neither raw nor event' }] };
		return finish({ messages: [event] }, source, cluster);
	});
}

function readRawPayload(r: WireReader): { data: Buffer; format: string } {
	const n = r.length();
	const end = r.pos + n;
	const outer = r.end;
	r.end = end;
	let data = asBuffer(new Uint8Array(0));
	let format = '';
	while (r.pos < end) {
		const tag = r.tag();
		if (tag === 0x0a) data = r.bytes();
		else if (tag === 0x12) format = r.string();
		else r.skip(tag);
	}
	r.end = outer;
	return { data, format };
}

/** Fills a missing event source from the request and adds `polku.cluster`. */
function finish(decoded: DecodedEvents, source: string, cluster: string): DecodedEvents {
	const messages = decoded.messages;
	if (messages === undefined) return decoded;
	for (let i = 0; i < messages.length; i++) {
		const m = messages[i]!;
		if (m.source.length === 0 && source.length > 0) m.source = source;
		if (cluster.length > 0) addMetadataDefault(m, CLUSTER_KEY, cluster);
		sealMetadata(m);
	}
	return decoded;
}

function guard(what: string, decode: () => DecodedEvents): DecodedEvents {
	try {
		return decode();
	} catch (error) {
		if (error instanceof TooManyEventsError) return { failures: [{ eventId: '', message: `${what} holds more than ${error.max} events (maxEventsPerRequest)` }] };
		const detail = error instanceof WireError ? error.message : `decoder error: ${String(error)}`;
		return { failures: [{ eventId: '', message: `malformed protobuf: ${detail}` }] };
	}
}

/**
 * Batch-level fields of an encoded `IngestBatch`.
 *
 * @example
 * ```ts
 * const fields: IngestBatchFields = { source: 'edge-7', cluster: 'eu-north-1' };
 * ```
 */
export interface IngestBatchFields {
	readonly source: string;
	readonly cluster: string;
}

/**
 * Encodes messages as a `polku.v1.IngestBatch` with an `EventPayload` (what
 * GrpcOutput sends), for clients that write the bytes themselves.
 *
 * @param messages - The events, in order.
 * @param fields - `source` and `cluster` of the batch. @default both ''
 * @returns The protobuf bytes.
 * @example
 * ```ts
 * import { createMessage } from 'polku';
 * import { encodeIngestBatch } from 'polku/grpc';
 *
 * const bytes = encodeIngestBatch([createMessage({ source: 'app', messageType: 'hit' })], { source: 'app', cluster: '' });
 * ```
 */
export function encodeIngestBatch(messages: readonly Message[], fields: IngestBatchFields = NO_FIELDS): Buffer {
	const sizes = new Array<number>(messages.length);
	let payloadSize = 0;
	for (let i = 0; i < messages.length; i++) {
		const s = eventSize(messages[i]!);
		sizes[i] = s;
		payloadSize += delimitedSize(s);
	}
	const w = new WireWriter(stringFieldSize(fields.source) + stringFieldSize(fields.cluster) + delimitedSize(payloadSize));
	w.stringField(1, fields.source);
	w.stringField(2, fields.cluster);
	w.buf[w.pos++] = 0x22;
	w.uint(payloadSize);
	for (let i = 0; i < messages.length; i++) {
		w.buf[w.pos++] = 0x0a;
		w.uint(sizes[i]!);
		writeEvent(w, messages[i]!);
	}
	return w.finish();
}

/**
 * What {@link encodeIngestEvent} sends: one message, or a raw body with its format.
 *
 * @example
 * ```ts
 * const init: IngestEventInit = { source: 'app', raw: Buffer.from('{"event_type":"hit"}'), format: 'json' };
 * ```
 */
export type IngestEventInit =
	| { readonly source?: string; readonly cluster?: string; readonly event: Message }
	| { readonly source?: string; readonly cluster?: string; readonly raw: Uint8Array; readonly format: string };

/**
 * Encodes a `polku.v1.IngestEvent` (the `SendEvent` request).
 *
 * @param init - The event, or a raw body and its format.
 * @returns The protobuf bytes.
 * @example
 * ```ts
 * import { createMessage } from 'polku';
 * import { encodeIngestEvent } from 'polku/grpc';
 *
 * const bytes = encodeIngestEvent({ source: 'app', event: createMessage({ source: 'app', messageType: 'hit' }) });
 * ```
 */
export function encodeIngestEvent(init: IngestEventInit): Buffer {
	const source = init.source ?? '';
	const cluster = init.cluster ?? '';
	const head = stringFieldSize(source) + stringFieldSize(cluster);
	if ('event' in init) {
		const size = eventSize(init.event);
		const w = new WireWriter(head + delimitedSize(size));
		w.stringField(1, source);
		w.stringField(2, cluster);
		w.buf[w.pos++] = 0x22;
		w.uint(size);
		writeEvent(w, init.event);
		return w.finish();
	}
	const w = new WireWriter(head + 1 + varintSize(init.raw.length) + init.raw.length + stringFieldSize(init.format));
	w.stringField(1, source);
	w.stringField(2, cluster);
	w.buf[w.pos++] = 0x1a;
	w.uint(init.raw.length);
	w.buf.set(init.raw, w.pos);
	w.pos += init.raw.length;
	w.stringField(5, init.format);
	return w.finish();
}

import { EMPTY_METADATA, EVENT_METADATA_KEYS, freezeMetadata, newMetadata, nextId, nowNanos, type Message } from '../../../index.js';
import type { WireReader } from './reader.js';
import { delimitedSize, stringFieldSize, stringValueSize, varint64Size, varintSize, type WireWriter } from './writer.js';

/** Where a non-zero `Event.severity` / `Event.outcome` travels inside polku (see `EVENT_METADATA_KEYS`). */
const SEVERITY_KEY = EVENT_METADATA_KEYS.severity;
const OUTCOME_KEY = EVENT_METADATA_KEYS.outcome;
/**
 * Metadata key GrpcInput sets from a non-empty `IngestBatch.cluster` /
 * `IngestEvent.cluster` (an event's own value wins).
 *
 * @example
 * ```ts
 * import type { Message } from 'polku';
 * import { CLUSTER_KEY } from 'polku/grpc';
 *
 * const cluster = (m: Message): string => m.metadata[CLUSTER_KEY] ?? 'local';
 * ```
 */
export const CLUSTER_KEY = 'polku.cluster';

/** A message under construction by a decoder: the same shape as `Message`, writable. */
export interface DecodedMessage {
	id: string;
	timestamp: bigint;
	source: string;
	messageType: string;
	metadata: Record<string, string>;
	payload: Uint8Array;
	routeTo: string[];
}

/** Shared by every decoded message without metadata; replaced (never written) when keys are added. */
export const NO_METADATA = EMPTY_METADATA as Record<string, string>;
const NO_ROUTE: string[] = Object.freeze([]) as unknown as string[];
const NO_PAYLOAD = new Uint8Array(0);

/**
 * Decodes one `polku.event.v1.Event` occupying `[r.pos, end)` into a message.
 * A missing id or zero timestamp is generated; `payload` is a view into the
 * reader's buffer when it is most of it, else a copy (see `WireReader.payload`).
 */
export function decodeEvent(r: WireReader, end: number): DecodedMessage {
	const outer = r.end;
	r.end = end;
	let id = '';
	let timestamp = 0n;
	let source = '';
	let messageType = '';
	let metadata = NO_METADATA;
	let payload: Uint8Array = NO_PAYLOAD;
	let routeTo = NO_ROUTE;
	let severity = 0;
	let outcome = 0;
	while (r.pos < end) {
		const tag = r.tag();
		switch (tag) {
			case 0x0a: id = r.string(); break;
			case 0x10: timestamp = r.int64(); break;
			case 0x1a: source = r.sharedString(); break;
			case 0x22: messageType = r.sharedString(); break;
			case 0x2a: {
				if (metadata === NO_METADATA) metadata = newMetadata();
				readMapEntry(r, metadata);
				break;
			}
			case 0x32: payload = r.payload(); break;
			case 0x3a: {
				if (routeTo === NO_ROUTE) routeTo = [];
				routeTo.push(r.sharedString());
				break;
			}
			case 0x50: severity = r.int32(); break;
			case 0x58: outcome = r.int32(); break;
			default: r.skip(tag);
		}
	}
	r.end = outer;
	if (severity !== 0 || outcome !== 0) {
		if (metadata === NO_METADATA) metadata = newMetadata();
		if (severity !== 0) metadata[SEVERITY_KEY] = String(severity);
		if (outcome !== 0) metadata[OUTCOME_KEY] = String(outcome);
	}
	return {
		id: id.length === 0 ? nextId() : id,
		timestamp: timestamp === 0n ? nowNanos() : timestamp,
		source,
		messageType,
		metadata,
		payload: payload.length === 0 ? NO_PAYLOAD : payload,
		routeTo,
	};
}

/** Reads one `map<string, string>` entry into `into` (a later duplicate key wins). */
export function readMapEntry(r: WireReader, into: Record<string, string>): void {
	const n = r.length();
	const end = r.pos + n;
	const outer = r.end;
	r.end = end;
	let key = '';
	let value = '';
	while (r.pos < end) {
		const tag = r.tag();
		if (tag === 0x0a) key = r.sharedString();
		else if (tag === 0x12) value = r.sharedString();
		else r.skip(tag);
	}
	r.end = outer;
	into[key] = value;
}

/** A decoded message's metadata, mutable (a copy when it is frozen, as the JSON event decoder leaves it). */
function mutableMetadata(m: DecodedMessage): Record<string, string> {
	if (m.metadata === NO_METADATA) m.metadata = newMetadata();
	else if (Object.isFrozen(m.metadata)) {
		const copy = newMetadata();
		for (const k of Object.keys(m.metadata)) copy[k] = m.metadata[k]!;
		m.metadata = copy;
	}
	return m.metadata;
}

/** Adds `key: value` to a decoded message's metadata unless the key is already set. */
export function addMetadataDefault(m: DecodedMessage, key: string, value: string): void {
	if (m.metadata !== NO_METADATA && key in m.metadata) return;
	mutableMetadata(m)[key] = value;
}

/** Sets `key: value` in a decoded message's metadata (replacing a value already there). */
export function setMetadata(m: DecodedMessage, key: string, value: string): void {
	mutableMetadata(m)[key] = value;
}

/** Freezes a decoded message's metadata once it is complete (frozen metadata is cheap to spread; see `freezeMetadata`). */
export function sealMetadata(m: DecodedMessage): void {
	if (!Object.isFrozen(m.metadata)) freezeMetadata(m.metadata);
}

/** An enum value kept in metadata, when it is a decimal int32 other than 0. */
function enumFromMetadata(value: string | undefined): number {
	if (value === undefined || value.length === 0 || value.length > 11) return 0;
	const n = Number(value);
	return Number.isInteger(n) && n >= -2147483648 && n <= 2147483647 && String(n) === value ? n : 0;
}

/** Size of a message encoded as an Event (no tag or length prefix). */
export function eventSize(m: Message): number {
	let size = stringFieldSize(m.id) + stringFieldSize(m.source) + stringFieldSize(m.messageType);
	if (m.timestamp !== 0n) size += 1 + varint64Size(m.timestamp);
	const metadata = m.metadata;
	for (const key in metadata) {
		const value = metadata[key]!;
		if (key === SEVERITY_KEY || key === OUTCOME_KEY) {
			const e = enumFromMetadata(value);
			if (e !== 0) {
				size += 1 + (e < 0 ? 10 : varintSize(e));
				continue;
			}
		}
		size += delimitedSize(entrySize(key, value));
	}
	if (m.payload.length > 0) size += delimitedSize(m.payload.length);
	for (const route of m.routeTo) size += 1 + stringValueSize(route);
	return size;
}

function entrySize(key: string, value: string): number {
	return 2 + stringValueSize(key) + stringValueSize(value);
}

/**
 * Writes a message as an Event (no tag or length prefix). Metadata
 * `polku.severity` / `polku.outcome` holding a decimal int32 become the enum
 * fields again.
 */
export function writeEvent(w: WireWriter, m: Message): void {
	w.stringField(1, m.id);
	if (m.timestamp !== 0n) {
		w.buf[w.pos++] = 0x10;
		w.uint64(m.timestamp);
	}
	w.stringField(3, m.source);
	w.stringField(4, m.messageType);
	let severity = 0;
	let outcome = 0;
	const metadata = m.metadata;
	for (const key in metadata) {
		const value = metadata[key]!;
		if (key === SEVERITY_KEY && (severity = enumFromMetadata(value)) !== 0) continue;
		if (key === OUTCOME_KEY && (outcome = enumFromMetadata(value)) !== 0) continue;
		w.buf[w.pos++] = 0x2a;
		w.uint(entrySize(key, value));
		w.buf[w.pos++] = 0x0a;
		w.stringValue(key);
		w.buf[w.pos++] = 0x12;
		w.stringValue(value);
	}
	w.bytesField(6, m.payload);
	for (const route of m.routeTo) {
		w.buf[w.pos++] = 0x3a;
		w.stringValue(route);
	}
	if (severity !== 0) {
		w.buf[w.pos++] = 0x50;
		w.uint64(BigInt(severity));
	}
	if (outcome !== 0) {
		w.buf[w.pos++] = 0x58;
		w.uint64(BigInt(outcome));
	}
}

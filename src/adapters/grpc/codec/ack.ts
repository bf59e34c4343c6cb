import { WireReader } from './reader.js';
import { delimitedSize, stringFieldSize, stringValueSize, varint64Size, varintSize, WireWriter } from './writer.js';

/**
 * One event of a request that was not accepted, as sent in `Ack.errors`.
 *
 * @example
 * ```ts
 * const error: GrpcAckError = { eventId: '01J…', code: 'OVERFLOW', message: 'buffer full (drop-newest)' };
 * ```
 */
export interface GrpcAckError {
	/** The event's id ('' when the request could not be decoded far enough to know it). */
	readonly eventId: string;
	/** `OVERFLOW`, `REJECTED`, `INVALID`, `UNROUTABLE`, `SHUTDOWN`, `MIDDLEWARE_ERROR`, `OUTPUT_FAILED`, `DEAD_LETTERED`. */
	readonly code: string;
	/** What happened, for people. */
	readonly message: string;
}

/**
 * Per-request counters of `Ack.middleware_stats` (for the request acked, not cumulative).
 *
 * @example
 * ```ts
 * const stats: GrpcAckStats = { rateLimited: 0, sampledOut: 0, dedup: 0, filtered: 2, bufferOverflow: 0, received: 10, forwarded: 8 };
 * ```
 */
export interface GrpcAckStats {
	/** Rejected by a middleware with the label `rate-limited`. */
	readonly rateLimited: number;
	/** Always 0 from polku (sampling is filtering; see `filtered`). */
	readonly sampledOut: number;
	/** Always 0 from polku (deduplication is filtering; see `filtered`). */
	readonly dedup: number;
	/** Filtered out by a middleware (acked: they were processed). */
	readonly filtered: number;
	/** Dropped because the buffer was full. */
	readonly bufferOverflow: number;
	/** Events in the request. */
	readonly received: number;
	/** Accepted into the buffer (or, with ackAfterDelivery, delivered). */
	readonly forwarded: number;
}

/**
 * A `polku.v1.Ack`.
 *
 * @example
 * ```ts
 * const ack: GrpcAck = { eventIds: ['a', 'b'], errors: [], bufferSize: 12, bufferCapacity: 10_000 };
 * ```
 */
export interface GrpcAck {
	/** Ids of the events accepted (filtered ones included). */
	readonly eventIds: readonly string[];
	/** One entry per event not accepted. */
	readonly errors: readonly GrpcAckError[];
	/** Messages in the hub's buffer when the Ack was made. */
	readonly bufferSize: number;
	/** The hub's buffer capacity. */
	readonly bufferCapacity: number;
	/** `middleware_stats`: counts for this request. */
	readonly stats?: GrpcAckStats | undefined;
}

const STAT_FIELDS = ['rateLimited', 'sampledOut', 'dedup', 'filtered', 'bufferOverflow', 'received', 'forwarded'] as const;

function errorSize(e: GrpcAckError): number {
	return stringFieldSize(e.eventId) + stringFieldSize(e.code) + stringFieldSize(e.message);
}

function statsSize(s: GrpcAckStats): number {
	let size = 0;
	for (const f of STAT_FIELDS) if (s[f] !== 0) size += 1 + varintSize(s[f]);
	return size;
}

/** Encodes a `polku.v1.Ack`. */
export function encodeAck(ack: GrpcAck): Buffer {
	let size = 0;
	const ids = ack.eventIds;
	for (let i = 0; i < ids.length; i++) size += 1 + stringValueSize(ids[i]!);
	for (const e of ack.errors) size += delimitedSize(errorSize(e));
	if (ack.bufferSize !== 0) size += 1 + varint64Size(BigInt(ack.bufferSize));
	if (ack.bufferCapacity !== 0) size += 1 + varint64Size(BigInt(ack.bufferCapacity));
	if (ack.stats !== undefined) size += delimitedSize(statsSize(ack.stats));
	const w = new WireWriter(size);
	for (let i = 0; i < ids.length; i++) {
		w.buf[w.pos++] = 0x0a;
		w.stringValue(ids[i]!);
	}
	for (const e of ack.errors) {
		w.buf[w.pos++] = 0x12;
		w.uint(errorSize(e));
		w.stringField(1, e.eventId);
		w.stringField(2, e.code);
		w.stringField(3, e.message);
	}
	if (ack.bufferSize !== 0) {
		w.buf[w.pos++] = 0x18;
		w.uint64(BigInt(ack.bufferSize));
	}
	if (ack.bufferCapacity !== 0) {
		w.buf[w.pos++] = 0x20;
		w.uint64(BigInt(ack.bufferCapacity));
	}
	if (ack.stats !== undefined) {
		w.buf[w.pos++] = 0x2a;
		w.uint(statsSize(ack.stats));
		STAT_FIELDS.forEach((f, i) => {
			if (ack.stats![f] === 0) return;
			w.buf[w.pos++] = (i + 1) << 3;
			w.uint64(BigInt(ack.stats![f]));
		});
	}
	return w.finish();
}

/** Decodes a `polku.v1.Ack`; throws `WireError` when malformed. */
export function decodeAck(bytes: Uint8Array): GrpcAck {
	const r = new WireReader(bytes);
	const eventIds: string[] = [];
	const errors: GrpcAckError[] = [];
	let bufferSize = 0;
	let bufferCapacity = 0;
	let stats: GrpcAckStats | undefined;
	while (r.pos < r.end) {
		const tag = r.tag();
		if (tag === 0x0a) eventIds.push(r.string());
		else if (tag === 0x12) errors.push(readError(r));
		else if (tag === 0x18) bufferSize = Number(r.int64());
		else if (tag === 0x20) bufferCapacity = Number(r.int64());
		else if (tag === 0x2a) stats = readStats(r);
		else r.skip(tag);
	}
	return { eventIds, errors, bufferSize, bufferCapacity, stats };
}

function readError(r: WireReader): GrpcAckError {
	const n = r.length();
	const end = r.pos + n;
	const outer = r.end;
	r.end = end;
	let eventId = '';
	let code = '';
	let message = '';
	while (r.pos < end) {
		const tag = r.tag();
		if (tag === 0x0a) eventId = r.string();
		else if (tag === 0x12) code = r.string();
		else if (tag === 0x1a) message = r.string();
		else r.skip(tag);
	}
	r.end = outer;
	return { eventId, code, message };
}

function readStats(r: WireReader): GrpcAckStats {
	const n = r.length();
	const end = r.pos + n;
	const outer = r.end;
	r.end = end;
	const values = [0, 0, 0, 0, 0, 0, 0];
	while (r.pos < end) {
		const tag = r.tag();
		const field = tag >>> 3;
		if ((tag & 7) === 0 && field >= 1 && field <= 7) values[field - 1] = Number(r.int64());
		else r.skip(tag);
	}
	r.end = outer;
	const [rateLimited, sampledOut, dedup, filtered, bufferOverflow, received, forwarded] = values as [number, number, number, number, number, number, number];
	return { rateLimited, sampledOut, dedup, filtered, bufferOverflow, received, forwarded };
}

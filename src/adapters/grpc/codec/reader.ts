/**
 * A bounds-checked protobuf wire-format reader over one buffer. Every read
 * throws {@link WireError} instead of running past `end`, so a decoder built
 * on it cannot crash on hostile bytes.
 */
export class WireError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'WireError';
	}
}

/** Wire types of the protobuf encoding. */
export const VARINT = 0;
export const FIXED64 = 1;
export const LENGTH_DELIMITED = 2;
export const START_GROUP = 3;
export const END_GROUP = 4;
export const FIXED32 = 5;

const TWO_32 = 4294967296;
const MAX_GROUP_DEPTH = 64;
let cachedHi = -1;
let cachedHiShifted = 0n;

/** Wraps bytes in a `Buffer` view (no copy), so slices and strings are cheap. */
export function asBuffer(bytes: Uint8Array): Buffer {
	return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export class WireReader {
	readonly buf: Buffer;
	pos: number;
	end: number;

	constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
		this.buf = asBuffer(bytes);
		this.pos = start;
		this.end = end;
	}

	get done(): boolean {
		return this.pos >= this.end;
	}

	/** A field tag: `fieldNumber << 3 | wireType`; a tag above 32 bits is an error. */
	tag(): number {
		const tag = this.#strictUint32('tag');
		if (tag >>> 3 === 0) throw new WireError(`invalid field number 0 at byte ${this.pos}`);
		return tag;
	}

	/**
	 * A varint that must fit in 32 bits (a tag or a length): a larger value is
	 * a {@link WireError}, never truncated to its low bits (a length of 2^32
	 * must not read as 0).
	 */
	#strictUint32(what: string): number {
		const start = this.pos;
		const n = this.uint32();
		const size = this.pos - start;
		// The fifth byte carries bits 28-34: above 0x0f (or a sixth byte) may mean bits past 32.
		if (size >= 5 && (size > 5 || this.buf[start + 4]! > 0x0f)) {
			this.pos = start;
			const value = this.uint64();
			if (value > 0xffffffffn) throw new WireError(`${what} ${value} at byte ${start} does not fit in 32 bits`);
		}
		return n;
	}

	/** A varint truncated to its low 32 bits (as protobuf does for 32-bit fields), unsigned. */
	uint32(): number {
		const buf = this.buf;
		let pos = this.pos;
		const end = this.end;
		if (pos >= end) throw this.#truncated();
		let b = buf[pos++]!;
		if (b < 0x80) {
			this.pos = pos;
			return b;
		}
		let value = b & 0x7f;
		for (let shift = 7; shift < 35; shift += 7) {
			if (pos >= end) throw this.#truncated();
			b = buf[pos++]!;
			value |= (b & 0x7f) << shift;
			if (b < 0x80) {
				this.pos = pos;
				return value >>> 0;
			}
		}
		// Bytes 6 to 10 only carry bits above 32: skip them.
		for (let i = 0; i < 5; i++) {
			if (pos >= end) throw this.#truncated();
			if (buf[pos++]! < 0x80) {
				this.pos = pos;
				return value >>> 0;
			}
		}
		throw new WireError(`varint longer than 10 bytes at byte ${this.pos}`);
	}

	/** An int32 / enum value (negative values are sign-extended 64-bit varints). */
	int32(): number {
		return this.uint32() | 0;
	}

	/** A bool: true for any non-zero varint (all 64 bits count). */
	bool(): boolean {
		const start = this.pos;
		this.uint32();
		for (let i = start; i < this.pos; i++) if ((this.buf[i]! & 0x7f) !== 0) return true;
		return false;
	}

	/** An int64, exact. */
	int64(): bigint {
		const u = this.uint64();
		return u >= 0x8000000000000000n ? u - 0x10000000000000000n : u;
	}

	/** A uint64, exact. */
	uint64(): bigint {
		const buf = this.buf;
		let pos = this.pos;
		const end = this.end;
		let lo = 0;
		let hi = 0;
		let b = 0;
		let i = 0;
		for (; i < 4; i++) {
			if (pos >= end) throw this.#truncated();
			b = buf[pos++]!;
			lo |= (b & 0x7f) << (i * 7);
			if (b < 0x80) {
				this.pos = pos;
				return BigInt(lo >>> 0);
			}
		}
		// Byte 5 carries bits 28..34: 4 low, 3 high.
		if (pos >= end) throw this.#truncated();
		b = buf[pos++]!;
		lo |= (b & 0x0f) << 28;
		hi = (b & 0x7f) >> 4;
		if (b >= 0x80) {
			for (i = 0; i < 5; i++) {
				if (pos >= end) throw this.#truncated();
				b = buf[pos++]!;
				hi |= (b & 0x7f) << (i * 7 + 3);
				if (b < 0x80) break;
			}
			if (b >= 0x80) throw new WireError(`varint longer than 10 bytes at byte ${this.pos}`);
		}
		this.pos = pos;
		hi >>>= 0;
		lo >>>= 0;
		if (hi < 0x200000) return BigInt(hi * TWO_32 + lo);
		// Timestamps of a batch share their high 32 bits: reuse that half.
		if (hi !== cachedHi) {
			cachedHi = hi;
			cachedHiShifted = BigInt(hi) << 32n;
		}
		return cachedHiShifted | BigInt(lo);
	}

	/** The length prefix of a length-delimited field, checked against the bytes left. */
	length(): number {
		const start = this.pos;
		const n = this.#strictUint32('length');
		if (n > this.end - this.pos) throw new WireError(`length ${n} at byte ${start} runs past the end of its message`);
		return n;
	}

	/** A UTF-8 string field (invalid sequences become U+FFFD). */
	string(): string {
		const n = this.length();
		const start = this.pos;
		this.pos = start + n;
		return readUtf8(this.buf, start, start + n);
	}

	/**
	 * A string field likely to repeat (source, type, metadata keys and values,
	 * route names): short ASCII strings come from a cache, so a batch creates
	 * each distinct string once and metadata keys are already internalized.
	 */
	sharedString(): string {
		const n = this.length();
		const start = this.pos;
		this.pos = start + n;
		return n > 0 && n <= MAX_SHARED ? readShared(this.buf, start, start + n) : readUtf8(this.buf, start, start + n);
	}

	/** A bytes field, as a view into the buffer (no copy). */
	bytes(): Buffer {
		const n = this.length();
		const start = this.pos;
		this.pos = start + n;
		return this.buf.subarray(start, start + n);
	}

	/**
	 * A payload (bytes field). A view into the buffer when it is at least half
	 * of the memory a view keeps alive (the received message's whole backing
	 * store); otherwise a copy, so that a message still buffered (a slow
	 * output, a retry) never pins a large request for a small payload: a
	 * payload then keeps at most its own bytes alive, or one 16 KiB chunk
	 * that small payloads are copied into.
	 */
	payload(): Buffer {
		const n = this.length();
		const start = this.pos;
		this.pos = start + n;
		const buf = this.buf;
		if (n * 2 >= buf.buffer.byteLength) return buf.subarray(start, start + n);
		return copyOut(buf, start, n);
	}

	/** Skips the value of a field with the given tag. */
	skip(tag: number, depth = 0): void {
		switch (tag & 7) {
			case VARINT:
				this.uint32();
				return;
			case FIXED64:
				this.#advance(8);
				return;
			case LENGTH_DELIMITED: {
				const n = this.length();
				this.pos += n;
				return;
			}
			case START_GROUP: {
				if (depth >= MAX_GROUP_DEPTH) throw new WireError('groups nested too deeply');
				const field = tag >>> 3;
				for (;;) {
					const inner = this.tag();
					if ((inner & 7) === END_GROUP) {
						if (inner >>> 3 !== field) throw new WireError(`group ${field} closed by end-group ${inner >>> 3}`);
						return;
					}
					this.skip(inner, depth + 1);
				}
			}
			case FIXED32:
				this.#advance(4);
				return;
			default:
				throw new WireError(`invalid wire type ${tag & 7} at byte ${this.pos}`);
		}
	}

	#advance(n: number): void {
		if (this.end - this.pos < n) throw this.#truncated();
		this.pos += n;
	}

	#truncated(): WireError {
		return new WireError(`truncated message at byte ${this.pos}`);
	}
}

/** Small payloads are copied into chunks of this size; a payload keeps at most one chunk alive. */
const CHUNK_BYTES = 16 * 1024;
/** Payloads above this get an allocation of their own. */
const OWN_ALLOCATION = CHUNK_BYTES / 4;
let chunk: Buffer = Buffer.alloc(CHUNK_BYTES); // zeroed: a payload's .buffer shows no stale memory
let chunkUsed = 0;

/** A copy of `buf[start, start + n)` that shares memory only with other small payloads. */
function copyOut(buf: Buffer, start: number, n: number): Buffer {
	if (n > OWN_ALLOCATION) {
		const own = Buffer.allocUnsafeSlow(n);
		buf.copy(own, 0, start, start + n);
		return own;
	}
	if (n > CHUNK_BYTES - chunkUsed) {
		chunk = Buffer.alloc(CHUNK_BYTES);
		chunkUsed = 0;
	}
	const at = chunkUsed;
	buf.copy(chunk, at, start, start + n);
	chunkUsed = at + n;
	return chunk.subarray(at, at + n);
}

const MAX_SHARED = 64;
const SHARED_SLOTS = 1024;
const shared: (string | undefined)[] = new Array<string | undefined>(SHARED_SLOTS).fill(undefined);

/**
 * A short string through a direct-mapped cache. The slot comes from the
 * length and four sampled bytes (cheap; a collision only costs a miss); a hit
 * is confirmed byte by byte. Only ASCII strings are cached.
 */
function readShared(buf: Buffer, start: number, end: number): string {
	const n = end - start;
	const h = Math.imul(n, 0x9e3779b1) ^ buf[start]! ^ (buf[end - 1]! << 8) ^ (buf[start + (n >> 1)]! << 16) ^ (buf[start + (n >> 2)]! << 24);
	const slot = (h ^ (h >>> 15)) & (SHARED_SLOTS - 1);
	const cached = shared[slot];
	if (cached !== undefined && cached.length === n) {
		let i = 0;
		while (i < n && cached.charCodeAt(i) === buf[start + i]) i++;
		if (i === n) return cached;
	}
	const s = buf.toString('utf8', start, end);
	if (s.length === n) shared[slot] = s;
	return s;
}

/**
 * Decodes UTF-8. Short ASCII strings (ids, names, metadata keys) are built in
 * JS, which is faster than crossing into C++ for a dozen bytes.
 */
export function readUtf8(buf: Buffer, start: number, end: number): string {
	const n = end - start;
	if (n === 0) return '';
	if (n <= 12) {
		let s = '';
		for (let i = start; i < end; i++) {
			const c = buf[i]!;
			if (c >= 0x80) return buf.toString('utf8', start, end);
			s += String.fromCharCode(c);
		}
		return s;
	}
	return buf.toString('utf8', start, end);
}

/**
 * A protobuf wire-format writer into a buffer sized in advance by the
 * `*Size` helpers (two passes: measure, then write; no growth, no copies).
 */

const TWO_32 = 4294967296;
const U64 = 0xffffffffffffffffn;

/** Bytes a varint of a non-negative safe integer takes. */
export function varintSize(n: number): number {
	if (n < 0x80) return 1;
	if (n < 0x4000) return 2;
	if (n < 0x200000) return 3;
	if (n < 0x10000000) return 4;
	let size = 5;
	for (let v = Math.floor(n / 0x800000000); v > 0; v = Math.floor(v / 128)) size++;
	return size;
}

/** Bytes an int64 / uint64 varint takes (negative values take 10). */
export function varint64Size(n: bigint): number {
	if (n < 0n) return 10;
	if (n <= 0x1fffffffffffffn) return varintSize(Number(n));
	let size = 8;
	for (let v = n >> 56n; v > 0n; v >>= 7n) size++;
	return size;
}

/** Bytes of a string field with its tag (one-byte tag), 0 when empty. */
export function stringFieldSize(s: string): number {
	return s.length === 0 ? 0 : 1 + stringValueSize(s);
}

/** Bytes of a string's length prefix and UTF-8 bytes. */
export function stringValueSize(s: string): number {
	const n = s.length < 0x80 && isAscii(s) ? s.length : Buffer.byteLength(s, 'utf8');
	return varintSize(n) + n;
}

/** Bytes of a length-delimited field of `n` bytes with its one-byte tag. */
export function delimitedSize(n: number): number {
	return 1 + varintSize(n) + n;
}

function isAscii(s: string): boolean {
	for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
	return true;
}

export class WireWriter {
	readonly buf: Buffer;
	pos = 0;

	constructor(size: number) {
		this.buf = Buffer.allocUnsafe(size);
	}

	/** A one-byte or longer field tag. */
	tag(field: number, wireType: number): void {
		this.uint(field * 8 + wireType);
	}

	/** A varint of a non-negative safe integer. */
	uint(n: number): void {
		const buf = this.buf;
		let pos = this.pos;
		while (n >= TWO_32) {
			buf[pos++] = (n % 128) | 0x80;
			n = Math.floor(n / 128);
		}
		while (n > 0x7f) {
			buf[pos++] = (n & 0x7f) | 0x80;
			n >>>= 7;
		}
		buf[pos++] = n;
		this.pos = pos;
	}

	/** An int64 / uint64 varint (negative values as two's complement). */
	uint64(n: bigint): void {
		if (n >= 0n && n <= 0x1fffffffffffffn) {
			this.uint(Number(n));
			return;
		}
		const u = n & U64;
		let lo = Number(u & 0xffffffffn);
		let hi = Number(u >> 32n);
		const buf = this.buf;
		let pos = this.pos;
		while (hi > 0) {
			buf[pos++] = (lo & 0x7f) | 0x80;
			lo = ((lo >>> 7) | (hi << 25)) >>> 0;
			hi >>>= 7;
		}
		while (lo > 0x7f) {
			buf[pos++] = (lo & 0x7f) | 0x80;
			lo >>>= 7;
		}
		buf[pos++] = lo;
		this.pos = pos;
	}

	/** A string field's tag, length and UTF-8 bytes; nothing when empty. */
	stringField(field: number, s: string): void {
		if (s.length === 0) return;
		this.buf[this.pos++] = (field << 3) | 2;
		this.stringValue(s);
	}

	/** A string's length prefix and bytes. */
	stringValue(s: string): void {
		const buf = this.buf;
		const len = s.length;
		if (len < 0x80) {
			// Likely ASCII: write in JS; fall back on the first non-ASCII character.
			const start = this.pos + 1;
			let i = 0;
			for (; i < len; i++) {
				const c = s.charCodeAt(i);
				if (c >= 0x80) break;
				buf[start + i] = c;
			}
			if (i === len) {
				buf[this.pos] = len;
				this.pos = start + len;
				return;
			}
		}
		const n = Buffer.byteLength(s, 'utf8');
		this.uint(n);
		this.pos += buf.write(s, this.pos, n, 'utf8');
	}

	/** A bytes field's tag, length and bytes; nothing when empty. */
	bytesField(field: number, bytes: Uint8Array): void {
		if (bytes.length === 0) return;
		this.buf[this.pos++] = (field << 3) | 2;
		this.uint(bytes.length);
		this.buf.set(bytes, this.pos);
		this.pos += bytes.length;
	}

	/** The finished bytes (the whole buffer when the sizes were exact). */
	finish(): Buffer {
		return this.pos === this.buf.length ? this.buf : this.buf.subarray(0, this.pos);
	}
}

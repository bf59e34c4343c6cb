/**
 * A 32-bit FNV-1a hash of a string's UTF-16 code units, finished with
 * MurmurHash3's avalanche step so that every output bit depends on every input
 * bit (plain FNV-1a spreads short keys poorly across the high bits). No
 * allocation.
 */
export function hash32(text: string): number {
	let h = 0x811c9dc5;
	for (let i = 0; i < text.length; i++) {
		h ^= text.charCodeAt(i);
		h = Math.imul(h, 0x01000193);
	}
	h ^= h >>> 16;
	h = Math.imul(h, 0x85ebca6b);
	h ^= h >>> 13;
	h = Math.imul(h, 0xc2b2ae35);
	h ^= h >>> 16;
	return h >>> 0;
}

/** `hash32(text)` as a fraction in [0, 1). */
export function hashFraction(text: string): number {
	return hash32(text) / 0x1_0000_0000;
}

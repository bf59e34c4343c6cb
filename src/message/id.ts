import { randomFillSync } from 'node:crypto';
import { encodeTime } from 'ulid';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** Every 10-bit value as two Crockford base32 characters. */
const PAIRS: readonly string[] = Array.from({ length: 1024 }, (_, i) => ALPHABET[i >> 5]! + ALPHABET[i & 31]!);
const LIMB = 0x10_00_00; // 2^20: the 80 random bits are kept as four 20-bit limbs

const encodeLimb = (v: number): string => PAIRS[v >> 10]! + PAIRS[v & 1023]!;

/**
 * Creates a fast, monotonic ULID generator.
 *
 * The default `ulid()` call draws 80 fresh random bits per id, which makes only
 * a few tens of thousands of ids per second. This generator draws randomness
 * once per millisecond from a pooled `crypto.randomFillSync` buffer and, within
 * the same millisecond, increments the random part by one (the ULID spec's
 * monotonic mode), so ids sort in creation order and cost a couple of string
 * concatenations each. Ids from one generator are strictly increasing, even if
 * the wall clock steps backwards.
 *
 * @returns A function that returns a new 26-character ULID on each call.
 * @example
 * ```ts
 * import { createIdGenerator } from 'polku';
 *
 * const nextId = createIdGenerator();
 * const a = nextId();
 * const b = nextId();
 * console.log(a < b); // true: monotonic within and across milliseconds
 * ```
 */
export function createIdGenerator(): () => string {
	const pool = new Uint8Array(4096);
	let poolIndex = pool.length;
	const randomLimb = (): number => {
		if (poolIndex + 3 > pool.length) {
			randomFillSync(pool);
			poolIndex = 0;
		}
		const v = (pool[poolIndex]! << 12) | (pool[poolIndex + 1]! << 4) | (pool[poolIndex + 2]! >> 4);
		poolIndex += 3;
		return v;
	};

	let lastMs = -1;
	let r0 = 0;
	let r1 = 0;
	let r2 = 0;
	let r3 = 0;
	let prefix = '';
	const rebuildPrefix = (): void => {
		prefix = encodeTime(lastMs, 10) + encodeLimb(r0) + encodeLimb(r1) + encodeLimb(r2);
	};

	return () => {
		const now = Date.now();
		if (now > lastMs) {
			lastMs = now;
			// Keep the top bit of r0 clear so a run of increments cannot overflow 80 bits in practice.
			r0 = randomLimb() >> 1;
			r1 = randomLimb();
			r2 = randomLimb();
			r3 = randomLimb();
			rebuildPrefix();
		} else if (++r3 === LIMB) {
			r3 = 0;
			if (++r2 === LIMB) {
				r2 = 0;
				if (++r1 === LIMB) {
					r1 = 0;
					if (++r0 === LIMB) {
						// 2^80 ids in one millisecond: borrow the next millisecond.
						lastMs++;
						r0 = 0;
					}
				}
			}
			rebuildPrefix();
		}
		return prefix + PAIRS[r3 >> 10]! + PAIRS[r3 & 1023]!;
	};
}

/**
 * The next id of the process-wide monotonic ULID generator that
 * `createMessage` uses (millions per second; see {@link createIdGenerator}).
 * For inputs that build messages themselves.
 *
 * @example
 * ```ts
 * import { nextId } from 'polku';
 *
 * const id = nextId(); // '01J…', greater than every id before it in this process
 * ```
 */
export const nextId: () => string = createIdGenerator();

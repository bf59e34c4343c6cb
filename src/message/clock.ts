const NS_PER_MS = 1_000_000n;
const CHECK_EVERY_NS = 1_000_000_000n;

let offset = BigInt(Date.now()) * NS_PER_MS - process.hrtime.bigint();
let nextCheck = process.hrtime.bigint() + offset + CHECK_EVERY_NS;

/**
 * The current Unix time in nanoseconds, as an exact bigint.
 *
 * Reads the monotonic high-resolution clock and adds an offset to the wall
 * clock measured at load time; at most once a second the offset is
 * re-measured if the two drift apart by more than 2 ms (NTP steps, suspend).
 *
 * @returns Nanoseconds since the Unix epoch.
 * @example
 * ```ts
 * import { nowNanos } from 'polku';
 *
 * const ns = nowNanos();
 * console.log(new Date(Number(ns / 1_000_000n)).toISOString());
 * ```
 */
export function nowNanos(): bigint {
	const ns = process.hrtime.bigint() + offset;
	if (ns < nextCheck) return ns;
	nextCheck = ns + CHECK_EVERY_NS;
	const ms = Date.now();
	const drift = Number(ns / NS_PER_MS) - ms;
	if (drift <= 2 && drift >= -2) return ns;
	offset = BigInt(ms) * NS_PER_MS - process.hrtime.bigint();
	const corrected = process.hrtime.bigint() + offset;
	nextCheck = corrected + CHECK_EVERY_NS;
	return corrected;
}

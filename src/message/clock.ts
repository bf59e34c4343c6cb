const NS_PER_MS = 1_000_000n;

let offset = BigInt(Date.now()) * NS_PER_MS - process.hrtime.bigint();
let lastCheck = Date.now();

/**
 * The current Unix time in nanoseconds, as an exact bigint.
 *
 * Reads the monotonic high-resolution clock and adds an offset to the wall
 * clock measured at load time; the offset is re-measured at most once a second
 * when the two drift apart by more than 2 ms (NTP steps, suspend).
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
	const ms = Date.now();
	if (ms - lastCheck >= 1000) {
		lastCheck = ms;
		const drift = Number(ns / NS_PER_MS) - ms;
		if (drift > 2 || drift < -2) {
			offset = BigInt(ms) * NS_PER_MS - process.hrtime.bigint();
			return process.hrtime.bigint() + offset;
		}
	}
	return ns;
}

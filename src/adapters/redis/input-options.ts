import type { Logger } from '../../index.js';
import type { RedisClient } from './client.js';

/**
 * Options of {@link RedisStreamInput}.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 *
 * const options: RedisStreamInputOptions = {
 *   client: new Redis('redis://127.0.0.1:6379'),
 *   stream: 'events',
 *   group: 'billing',
 *   count: 500,
 *   claimIdleMs: 60_000,
 * };
 * ```
 */
export interface RedisStreamInputOptions {
	/**
	 * Your connected client (`ioredis` or node-redis) for `XACK`, `XAUTOCLAIM`,
	 * `XPENDING`, `XGROUP` and the dead-letter `XADD`. The input never closes it.
	 */
	readonly client: RedisClient;
	/**
	 * A connection for the blocking `XREADGROUP … BLOCK` (a blocked
	 * connection cannot serve other commands). @default a duplicate of
	 * `client`, made when the input starts and closed when it stops
	 */
	readonly blockingClient?: RedisClient;
	/** The stream key. */
	readonly stream: string;
	/** The consumer group. @default 'polku' */
	readonly group?: string;
	/**
	 * This consumer's name in the group. Competing inputs need distinct
	 * names; an input restarted with the same name first takes back what it
	 * had pending.
	 * @default `<hostname>-<pid>-<n>`
	 */
	readonly consumer?: string;
	/**
	 * Create the group (and the stream) when missing, at this entry id: `'0'`
	 * reads the stream from its start, `'$'` only what comes after. `false`:
	 * the group must exist.
	 * @default '0'
	 */
	readonly createGroup?: string | false;
	/**
	 * Most entries in the process at a time (read, claimed, being delivered):
	 * the `COUNT` of each read is what is left of it. The bound on memory,
	 * and the backpressure: while the hub blocks, nothing is acked and
	 * nothing more is read.
	 * @default 256
	 */
	readonly count?: number;
	/** How long one `XREADGROUP` blocks waiting for entries; `stop()` waits at most this long for the read in progress. @default 1000 */
	readonly blockMs?: number;
	/**
	 * Pending entries idle longer than this are claimed (`XAUTOCLAIM`) and
	 * delivered again: those of a consumer that died, and this input's own
	 * failed deliveries (so this is also the retry delay). While a delivery
	 * takes longer than half of it, the input refreshes its entries' idle
	 * time so no other consumer claims them.
	 * @default 30000
	 */
	readonly claimIdleMs?: number;
	/** How often to look for entries to claim. @default min(claimIdleMs, 5000) */
	readonly claimIntervalMs?: number;
	/**
	 * Deliveries of one entry (its delivery count in the group's pending
	 * list) after which it is moved to `deadLetterStream` instead of being
	 * delivered again.
	 * @default 10
	 */
	readonly maxDeliveries?: number;
	/**
	 * Where entries go that were given up on (after `maxDeliveries`) or
	 * cannot be decoded (a malformed envelope): the entry's fields, plus
	 * `polku.dlq.error`, `polku.dlq.output` (this input's name),
	 * `polku.dlq.attempts` and `polku.dlq.entry` (`<stream>/<id>`).
	 * @default `<stream>:dead-letter`
	 */
	readonly deadLetterStream?: string;
	/** @default 'redis' */
	readonly name?: string;
	/** Where claims, poison and dead-lettered entries and read errors are logged. @default silent */
	readonly logger?: Logger;
}

import type { Message } from '../../index.js';
import type { RedisClient } from './client.js';

/**
 * Trimming of the stream on every `XADD` (approximate, `~`, unless `exact`):
 * keep about `maxLen` entries, or the entries younger than `minAgeMs`.
 *
 * @example
 * ```ts
 * const keepADay: RedisStreamTrim = { minAgeMs: 24 * 3600_000 };
 * const keepAMillion: RedisStreamTrim = { maxLen: 1_000_000 };
 * ```
 */
export type RedisStreamTrim =
	| { readonly maxLen: number; readonly exact?: boolean }
	| { readonly minAgeMs: number; readonly exact?: boolean };

/**
 * Options of {@link RedisStreamOutput}.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 *
 * const options: RedisStreamOutputOptions = {
 *   client: new Redis('redis://127.0.0.1:6379'),
 *   stream: (message) => `events:${message.messageType}`,
 *   trim: { maxLen: 100_000 },
 * };
 * ```
 */
export interface RedisStreamOutputOptions {
	/** Your connected client: `ioredis` or node-redis (`redis`). The output never closes it. */
	readonly client: RedisClient;
	/** The stream key, fixed or chosen per message (created by the first `XADD`). */
	readonly stream: string | ((message: Message) => string);
	/** @default 'redis' */
	readonly name?: string;
	/** Trim the stream as entries are added. @default no trimming */
	readonly trim?: RedisStreamTrim;
	/**
	 * How long one send may take before it fails (a client that queues
	 * commands while disconnected would otherwise wait for the connection).
	 * The hub's own send `timeoutMs`, when shorter, applies too.
	 * @default 10000
	 */
	readonly timeoutMs?: number;
}

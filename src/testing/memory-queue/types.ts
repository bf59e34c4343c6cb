import type { EnvelopeHeader } from '../../envelope/headers.js';
import type { AbortSignalLike } from '../../input/input.js';

/**
 * Options of {@link MemoryQueue}.
 *
 * @example
 * ```ts
 * const queue = new MemoryQueue({ name: 'orders', ackWaitMs: 5_000, redeliveryDelayMs: 100, maxDeliveries: 5 });
 * ```
 */
export interface MemoryQueueOptions {
	/** Names the queue in errors, and is what `MemoryQueueInput` derives source and type of plain messages from. @default 'memory-queue' */
	readonly name?: string;
	/**
	 * How long a consumer may hold a delivery without settling it (or calling
	 * `working()`): then the queue takes it back and delivers it again, as a
	 * broker does when a consumer dies. @default 30000
	 */
	readonly ackWaitMs?: number;
	/** Delay before a `nack()`ed delivery is delivered again, when `nack` is given none. @default 0 */
	readonly redeliveryDelayMs?: number;
	/**
	 * Deliveries of one message after which it is dead-lettered instead of
	 * delivered again (reason `max-deliveries`). @default Infinity
	 */
	readonly maxDeliveries?: number;
}

/**
 * One delivery of a queued message to a consumer: settle it exactly once with
 * `ack()`, `nack()` or `term()`. Each method returns false when the delivery
 * is no longer held (already settled, taken back after `ackWaitMs`, or its
 * consumer closed): a late settle changes nothing.
 *
 * @example
 * ```ts
 * for (const d of await consumer.fetch(10)) {
 *   if (d.payload.length === 0) d.term(new Error('empty'));
 *   else if (await handle(d)) d.ack();
 *   else d.nack(1_000);
 * }
 * ```
 */
export interface QueueDelivery {
	/** The message's sequence number in its queue, from 1 (stable across redeliveries). */
	readonly seq: number;
	readonly headers: readonly EnvelopeHeader[];
	readonly payload: Uint8Array;
	/** 1 for the first delivery, 2 for the first redelivery, … */
	readonly deliveryCount: number;
	/** `deliveryCount > 1`. */
	readonly redelivered: boolean;
	/** Done with it: the queue forgets the message. */
	ack(): boolean;
	/** Deliver it again after `delayMs` (default: the queue's `redeliveryDelayMs`), or dead-letter it once it has had `maxDeliveries`. */
	nack(delayMs?: number): boolean;
	/** Never deliver it again: dead-letter it with reason `terminated` (a poison message). */
	term(error?: Error): boolean;
	/** Still working on it: restarts its `ackWaitMs`. */
	working(): boolean;
}

/**
 * Options of `MemoryQueueConsumer.fetch`.
 *
 * @example
 * ```ts
 * const batch = await consumer.fetch(100, { expiresMs: 1_000, signal });
 * ```
 */
export interface FetchOptions {
	/** Stop waiting when it aborts: resolves with what is there, usually `[]`. */
	readonly signal?: AbortSignalLike;
	/** Stop waiting after this long, resolving `[]`. @default wait until messages come, the signal aborts or the consumer closes */
	readonly expiresMs?: number;
}

/**
 * A competing consumer of a {@link MemoryQueue}, made by `queue.consumer()`.
 * It holds at most `prefetch` unsettled deliveries; `fetch` waits while it
 * holds that many (backpressure) or while the queue is empty.
 *
 * @example
 * ```ts
 * const consumer = queue.consumer({ prefetch: 50 });
 * const batch = await consumer.fetch(20, { expiresMs: 500 });
 * for (const d of batch) d.ack();
 * consumer.close(); // unsettled deliveries go back to the queue
 * ```
 */
export interface MemoryQueueConsumer {
	readonly prefetch: number;
	/** Deliveries it holds, not settled yet. */
	readonly unacked: number;
	readonly closed: boolean;
	/**
	 * Up to `max` deliveries (never more than `prefetch - unacked`): resolves
	 * as soon as at least one is available, or with `[]` when the signal
	 * aborts, `expiresMs` passes or the consumer closes. Redeliveries come
	 * first, in sequence order, then new messages in publish order.
	 */
	fetch(max: number, options?: FetchOptions): Promise<QueueDelivery[]>;
	/** Detaches: pending fetches resolve `[]`, every unsettled delivery returns to the queue at once (a redelivery), later settles return false. */
	close(): void;
}

/**
 * A message the queue gave up on: terminated by its consumer (`term()`), or
 * out of deliveries (`maxDeliveries`).
 *
 * @example
 * ```ts
 * queue.on('dead-letter', (letter) => console.warn(letter.seq, letter.reason, letter.error?.message));
 * ```
 */
export interface DeadLetter {
	readonly seq: number;
	readonly headers: readonly EnvelopeHeader[];
	readonly payload: Uint8Array;
	/** How many times it was delivered. */
	readonly deliveries: number;
	readonly reason: 'terminated' | 'max-deliveries';
	/** What `term(error)` was given. */
	readonly error?: Error;
}

/**
 * Counters and gauges of a {@link MemoryQueue}.
 *
 * @example
 * ```ts
 * const { ready, unacked, acked, redelivered } = queue.stats();
 * ```
 */
export interface MemoryQueueStats {
	/** Messages published. */
	readonly published: number;
	/** Waiting to be delivered now (new, or returned). */
	readonly ready: number;
	/** Nacked with a delay that has not passed yet. */
	readonly delayed: number;
	/** Delivered and not settled yet. */
	readonly unacked: number;
	/** Deliveries acked. */
	readonly acked: number;
	/** Deliveries nacked. */
	readonly nacked: number;
	/** Deliveries taken back after `ackWaitMs`. */
	readonly expired: number;
	/** Deliveries that were redeliveries (`deliveryCount > 1`). */
	readonly redelivered: number;
	/** Messages dead-lettered (terminated or out of deliveries). */
	readonly deadLettered: number;
	/** Open consumers. */
	readonly consumers: number;
}

/**
 * The events of a {@link MemoryQueue}.
 *
 * @example
 * ```ts
 * const onDeadLetter: MemoryQueueEvents['dead-letter'] = (letter) => console.warn(letter.reason);
 * queue.on('dead-letter', onDeadLetter);
 * ```
 */
export interface MemoryQueueEvents {
	'dead-letter': (letter: DeadLetter) => void;
}

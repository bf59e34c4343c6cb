import { ENVELOPE_HEADERS } from '../../index.js';
import type { AmqpMessage } from './client.js';

/** How many times the broker dead-lettered this message out of `queue` after a rejection (the `x-death` header). */
export function rejectionsFrom(delivery: AmqpMessage, queue: string): number {
	const deaths = delivery.properties.headers?.['x-death'];
	if (!Array.isArray(deaths)) return 0;
	let count = 0;
	for (const death of deaths as unknown[]) {
		if (death === null || typeof death !== 'object') continue;
		const d = death as { queue?: unknown; reason?: unknown; count?: unknown };
		if (d.queue === queue && d.reason === 'rejected' && typeof d.count === 'number') count += d.count;
	}
	return count;
}

/** The quorum-queue delivery count (`x-delivery-count`: earlier deliveries of this message), or 0. */
function deliveryCount(delivery: AmqpMessage): number {
	const count = delivery.properties.headers?.['x-delivery-count'];
	return typeof count === 'number' && count >= 0 ? count : 0;
}

/** The key under which this process counts failures of a message: its `messageId`, else its `polku-id`. */
export function attemptKey(delivery: AmqpMessage): string | undefined {
	const id = delivery.properties.messageId;
	if (typeof id === 'string' && id !== '') return id;
	const polkuId = delivery.properties.headers?.[ENVELOPE_HEADERS.id];
	return typeof polkuId === 'string' && polkuId !== '' ? polkuId : undefined;
}

/**
 * Counts failed attempts of messages in this process (for `retryVia:
 * 'requeue'` on classic queues, where the broker counts nothing). Bounded:
 * the oldest entries are forgotten beyond `capacity`.
 */
export class LocalAttempts {
	readonly #failures = new Map<string, number>();
	readonly #capacity: number;

	constructor(capacity = 10_000) {
		this.#capacity = capacity;
	}

	get size(): number {
		return this.#failures.size;
	}

	failures(key: string | undefined): number {
		return key === undefined ? 0 : (this.#failures.get(key) ?? 0);
	}

	/** Records one more failure; returns the new count. */
	fail(key: string | undefined): number {
		if (key === undefined) return 0;
		const count = (this.#failures.get(key) ?? 0) + 1;
		this.#failures.delete(key);
		this.#failures.set(key, count);
		if (this.#failures.size > this.#capacity) this.#failures.delete(this.#failures.keys().next().value!);
		return count;
	}

	forget(key: string | undefined): void {
		if (key !== undefined && this.#failures.size > 0) this.#failures.delete(key);
	}
}

/**
 * Which attempt this delivery is (1 for the first): the most any counter
 * knows of, the broker's (`x-delivery-count` on quorum queues, `x-death`
 * rejections from this queue) or this process's.
 */
export function attemptOf(delivery: AmqpMessage, queue: string, local: LocalAttempts): number {
	return 1 + Math.max(deliveryCount(delivery), rejectionsFrom(delivery, queue), local.failures(attemptKey(delivery)));
}

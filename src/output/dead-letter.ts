import { RingBuffer } from '../buffer/ring-buffer.js';
import type { Delivery } from '../hub/delivery.js';
import type { Message } from '../message/message.js';
import { freezeMetadata, newMetadata } from '../message/metadata.js';
import type { LaneSource } from './lane.js';

/**
 * Metadata keys a dead-lettered message carries: the last error's message,
 * the output that failed it, and how many sends were tried.
 *
 * @example
 * ```ts
 * import { DEAD_LETTER_KEYS } from 'polku';
 *
 * const dlq = new MemoryOutput('dlq');
 * // … after a failure …
 * console.log(dlq.messages[0]!.metadata[DEAD_LETTER_KEYS.error]);
 * ```
 */
export const DEAD_LETTER_KEYS = Object.freeze({
	/** The last error's message. */
	error: 'polku.dlq.error',
	/** The output that failed the message. */
	output: 'polku.dlq.output',
	/** How many sends were tried. */
	attempts: 'polku.dlq.attempts',
});

/** A copy of `message` with the failure recorded in its metadata (payload shared). */
export function deadLetterMessage(message: Message, output: string, error: Error, attempts: number): Message {
	const metadata = newMetadata();
	for (const key of Object.keys(message.metadata)) metadata[key] = message.metadata[key]!;
	metadata[DEAD_LETTER_KEYS.error] = error.message || error.name;
	metadata[DEAD_LETTER_KEYS.output] = output;
	metadata[DEAD_LETTER_KEYS.attempts] = String(attempts);
	return { ...message, metadata: freezeMetadata(metadata) };
}

/**
 * The bounded queue in front of a dead-letter output. When it is full, the
 * failing output waits (its lane parks) until there is room, so nothing is
 * lost and memory stays bounded.
 */
export class DeadLetterQueue implements LaneSource {
	readonly #ring: RingBuffer<Message>;
	#routed = 0;

	constructor(capacity: number) {
		this.#ring = new RingBuffer<Message>(capacity);
	}

	get hasKeys(): boolean {
		return false;
	}

	pending(): number {
		return this.#ring.length;
	}

	routed(): number {
		return this.#routed;
	}

	/** Adds a failed batch; false when there is not room for all of it. */
	offer(batch: readonly Message[], output: string, error: Error, attempts: number): boolean {
		if (this.#ring.free < batch.length) return false;
		for (const message of batch) this.#ring.push(deadLetterMessage(message, output, error, attempts));
		this.#routed += batch.length;
		return true;
	}

	take(max: number, into: Message[]): number {
		const before = into.length;
		this.#ring.drain(max, into);
		return into.length - before;
	}

	clear(dropped: (message: Message, key: Delivery | undefined) => void): void {
		for (const message of this.#ring.drain()) dropped(message, undefined);
	}
}

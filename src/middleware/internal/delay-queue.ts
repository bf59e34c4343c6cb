import type { Message } from '../../message/message.js';
import type { MiddlewareTimers } from './timers.js';
import type { TokenBucket } from './token-bucket.js';

/** Messages waiting for tokens, released in order by one timer as tokens are refilled. */
export class DelayQueue {
	readonly #bucket: TokenBucket;
	readonly #now: () => number;
	readonly #messages: (Message | undefined)[] = [];
	readonly #resolvers: (((m: Message) => void) | undefined)[] = [];
	#head = 0;
	#timer: NodeJS.Timeout | undefined;

	readonly #timers: MiddlewareTimers;

	constructor(bucket: TokenBucket, now: () => number, timers: MiddlewareTimers) {
		this.#bucket = bucket;
		this.#now = now;
		this.#timers = timers;
	}

	get length(): number {
		return this.#messages.length - this.#head;
	}

	hold(message: Message): Promise<Message> {
		return new Promise((resolve) => {
			this.#messages.push(message);
			this.#resolvers.push(resolve);
			this.#schedule();
		});
	}

	#schedule(): void {
		if (this.#timer !== undefined || this.length === 0) return;
		// Rounded up, and at least 1 ms, so a timer never fires before its token (nor spins on a stuck clock).
		const delay = Math.max(1, Math.ceil(this.#bucket.msUntil(1, this.#now())));
		this.#timer = this.#timers.set(this.#release, delay);
	}

	#release = (): void => {
		this.#timer = undefined;
		const t = this.#now();
		while (this.#head < this.#messages.length && this.#bucket.tryTake(t)) {
			const resolve = this.#resolvers[this.#head]!;
			const message = this.#messages[this.#head]!;
			this.#resolvers[this.#head] = undefined;
			this.#messages[this.#head] = undefined;
			this.#head++;
			resolve(message);
		}
		if (this.#head === this.#messages.length || (this.#head > 1024 && this.#head * 2 > this.#messages.length)) {
			this.#messages.splice(0, this.#head);
			this.#resolvers.splice(0, this.#head);
			this.#head = 0;
		}
		this.#schedule();
	};
}

import { DeliveryError, type DropReason } from '../errors.js';
import type { DeliveryBatchOutcome, DeliveryFailure } from '../input/input.js';
import type { SettleTrail } from '../middleware/chain.js';

const NO_FAILURES: readonly DeliveryFailure[] = Object.freeze([]);

/** Tracks one `deliver()`ed message until every output it was routed to settles it. */
export class Delivery {
	remaining: number;
	failure: DeliveryError | undefined;
	readonly #group: DeliveryGroup;
	readonly index: number;
	readonly id: string;
	/** The middleware to tell this message's fate, if any want to know. */
	readonly trail: SettleTrail | undefined;

	constructor(group: DeliveryGroup, index: number, id: string, outputs: number, trail: SettleTrail | undefined) {
		this.#group = group;
		this.index = index;
		this.id = id;
		this.remaining = outputs;
		this.trail = trail;
	}

	/** One output confirmed the message. */
	confirm(): void {
		if (--this.remaining === 0) this.#group.settle(this);
	}

	/** One output failed it (the first failure is the one reported). */
	fail(reason: DropReason | 'dead-lettered', output: string | undefined, error?: Error): void {
		this.failure ??= new DeliveryError(reason, output, error);
		if (--this.remaining === 0) this.#group.settle(this);
	}
}

/**
 * The messages of one `deliver()` / `deliverBatch()` call. Calls `done` once,
 * when every message is delivered, filtered or failed.
 */
export class DeliveryGroup {
	#open: number;
	#delivered = 0;
	#filtered = 0;
	#failed: DeliveryFailure[] | undefined;
	#firstError: DeliveryError | undefined;
	readonly #done: (group: DeliveryGroup) => void;
	/** Where the fates of messages with a trail are reported (the middleware chain). */
	settleFate: ((trail: SettleTrail, ok: boolean) => void) | undefined;

	constructor(size: number, done: (group: DeliveryGroup) => void) {
		this.#open = size;
		this.#done = done;
		if (size === 0) queueMicrotask(() => done(this));
	}

	/** A tracker for an accepted message routed to `outputs` outputs. */
	track(index: number, id: string, outputs: number, trail?: SettleTrail): Delivery {
		return new Delivery(this, index, id, outputs, trail);
	}

	filtered(): void {
		this.#filtered++;
		this.#close();
	}

	failed(index: number, id: string, reason: DropReason | 'dead-lettered', output?: string, error?: Error): void {
		(this.#failed ??= []).push({ index, id, reason, ...(output === undefined ? {} : { output }), ...(error === undefined ? {} : { error }) });
		this.#firstError ??= new DeliveryError(reason, output, error);
		this.#close();
	}

	settle(delivery: Delivery): void {
		const f = delivery.failure;
		if (delivery.trail !== undefined) this.settleFate?.(delivery.trail, f === undefined);
		if (f === undefined) {
			this.#delivered++;
			this.#close();
		} else {
			const cause = f.cause instanceof Error ? f.cause : undefined;
			this.failed(delivery.index, delivery.id, f.reason, f.output, cause);
		}
	}

	/** The outcome; meaningful once `done` was called. */
	outcome(): DeliveryBatchOutcome {
		return { delivered: this.#delivered, filtered: this.#filtered, failed: this.#failed ?? NO_FAILURES };
	}

	/** The first failure as a `DeliveryError`, if any. */
	get error(): DeliveryError | undefined {
		return this.#firstError;
	}

	#close(): void {
		if (--this.#open === 0) this.#done(this);
	}
}

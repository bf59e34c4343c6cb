import { DeliveryError, HubStateError, MessageValidationError, toError } from '../errors.js';
import type { BatchOptions, BatchOutcome, DeliveryBatchOutcome, DeliveryOutcome, SendOutcome, Sink } from '../input/input.js';
import { toMessage, type Message, type MessageLike } from '../message/message.js';
import { DeliveryGroup } from './delivery.js';
import { singleOutcome, type Intake } from './intake.js';

/** Something that counts what an input sent (the hub's per-input stats), and whether its sink is still open. */
export interface SentCounter {
	sent: number;
	invalid: number;
	/** False once the input is done (its `run()` returned, or `stop()` stopped waiting for it): its sends are dropped as `shutdown`. */
	readonly open: boolean;
}

/**
 * The four ways into the pipeline (`send`, `sendBatch`, `deliver`,
 * `deliverBatch`), shared by the hub's own methods and every input's sink:
 * converts and validates, refuses misuse, then hands the messages to the
 * intake.
 */
export class Sending {
	readonly #intake: Intake;
	readonly #misuse: () => HubStateError | undefined;
	/** False once `stop()` began: the hub's own send methods drop with reason `shutdown`. */
	#hostOpen = true;

	/** @param misuse - Why sending is not allowed now (the hub is not started), or `undefined`. */
	constructor(intake: Intake, misuse: () => HubStateError | undefined) {
		this.#intake = intake;
		this.#misuse = misuse;
	}

	/** From now on, sends through the hub's own methods are dropped with reason `shutdown` (inputs' sinks close on their own). */
	closeHost(): void {
		this.#hostOpen = false;
	}

	/** False when a call by this sender must be refused with `shutdown`. */
	#open(counter: SentCounter | undefined): boolean {
		return counter === undefined ? this.#hostOpen : counter.open;
	}

	send(value: MessageLike, counter: SentCounter | undefined): Promise<SendOutcome> {
		const misuse = this.#misuse();
		if (misuse !== undefined) return Promise.reject(misuse);
		let message: Message;
		try {
			message = toMessage(value);
		} catch (error) {
			return Promise.reject(error);
		}
		if (counter !== undefined) counter.sent++;
		if (!this.#open(counter)) return Promise.resolve(singleOutcome(this.#intake.refuse([message], undefined), message.id));
		return this.#intake.sendOne(message);
	}

	sendBatch(values: readonly MessageLike[], counter: SentCounter | undefined, options?: BatchOptions): Promise<BatchOutcome> {
		const messages = this.#prepare(values, counter);
		if (!Array.isArray(messages)) return messages as Promise<never>;
		if (!this.#open(counter)) return Promise.resolve(this.#intake.refuse(messages, undefined));
		return this.#intake.submit(messages, 0, undefined, options?.signal);
	}

	deliver(value: MessageLike, counter: SentCounter | undefined): Promise<DeliveryOutcome> {
		let message: Message;
		try {
			message = toMessage(value);
		} catch (error) {
			return Promise.reject(error);
		}
		return this.deliverBatch([message], counter).then((o) => {
			const failure = o.failed[0];
			if (failure !== undefined) throw new DeliveryError(failure.reason, failure.output, failure.error);
			return { status: o.delivered === 1 ? 'delivered' : 'filtered', id: message.id };
		});
	}

	deliverBatch(values: readonly MessageLike[], counter: SentCounter | undefined, options?: BatchOptions): Promise<DeliveryBatchOutcome> {
		const messages = this.#prepare(values, counter);
		if (!Array.isArray(messages)) return messages as Promise<never>;
		return new Promise((resolve) => {
			const group = new DeliveryGroup(messages.length, (g) => resolve(g.outcome()));
			if (!this.#open(counter)) this.#intake.refuse(messages, group);
			else void this.#intake.submit(messages, 0, group, options?.signal);
		});
	}

	/** The batch as messages, counted for its input; or a rejection for misuse or a value that is not a message. */
	#prepare(values: readonly MessageLike[], counter: SentCounter | undefined): readonly Message[] | Promise<never> {
		const misuse = this.#misuse();
		if (misuse !== undefined) return Promise.reject(misuse);
		let messages: readonly Message[];
		try {
			messages = toMessages(values);
		} catch (error) {
			return Promise.reject(error);
		}
		if (counter !== undefined) counter.sent += messages.length;
		return messages;
	}

	dropInvalid(value: MessageLike, error: Error, counter: SentCounter | undefined): void {
		const message = toMessage(value);
		if (counter !== undefined) counter.invalid++;
		this.#intake.invalid(message, error instanceof Error ? error : toError(error));
	}

	/** A sink for one input, counting what it sends; buffer figures come from `buffer`. */
	sink(counter: SentCounter, buffer: { readonly size: number; readonly capacity: number }): Sink {
		return {
			send: (m) => this.send(m, counter),
			sendBatch: (ms, options) => this.sendBatch(ms, counter, options),
			deliver: (m) => this.deliver(m, counter),
			deliverBatch: (ms, options) => this.deliverBatch(ms, counter, options),
			dropInvalid: (m, error) => this.dropInvalid(m, error, counter),
			get bufferSize() {
				return buffer.size;
			},
			get bufferCapacity() {
				return buffer.capacity;
			},
		};
	}
}

/** Converts a batch, keeping the caller's array when it already holds only messages. */
function toMessages(values: readonly MessageLike[]): readonly Message[] {
	if (!Array.isArray(values)) throw new MessageValidationError('messages', 'must be an array');
	let out: Message[] | undefined;
	for (let i = 0; i < values.length; i++) {
		let message: Message;
		try {
			message = toMessage(values[i]!);
		} catch (error) {
			if (error instanceof MessageValidationError) throw new MessageValidationError(`[${i}].${error.field}`, error.detail);
			throw error;
		}
		if (out === undefined && message !== values[i]) out = values.slice(0, i) as Message[];
		out?.push(message);
	}
	return out ?? (values as readonly Message[]);
}

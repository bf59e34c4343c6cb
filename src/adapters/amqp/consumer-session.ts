import { DEAD_LETTER_KEYS, toError, type DeliveryFailure, type Logger, type Message, type Sink } from '../../index.js';
import { AckWindow, ACKABLE, SETTLED, type Entry } from './ack-window.js';
import { attemptKey, attemptOf, type LocalAttempts } from './attempts.js';
import type { AmqpChannel, AmqpConfirmChannel, AmqpConnection, AmqpMessage, AmqpPublishOptions } from './client.js';
import type { AmqpRetryVia } from './input-options.js';
import type { AmqpInputCounters } from './input-stats.js';
import { decodeDelivery } from './properties.js';
import { bounded } from '../shared/deadline.js';

/** How long a stop waits for the broker to answer the consumer's cancel and the channel's close. */
const CLOSE_MS = 5_000;

/** Failures a redelivery cannot change (the hub refused, could not route, or dead-lettered the message): acked as handled. */
const FINAL: ReadonlySet<string> = new Set(['rejected', 'unroutable', 'dead-lettered']);

/** Most `deliverBatch` calls one channel has in flight; what arrives meanwhile waits for the next. */
const MAX_BATCHES_IN_FLIGHT = 4;

/** What a session needs of its input. */
export interface SessionHost {
	readonly name: string;
	readonly queue: string;
	readonly prefetch: number;
	readonly retryVia: AmqpRetryVia;
	readonly maxAttempts: number;
	readonly retryDelayMs: number;
	readonly parkingQueue: string | undefined;
	readonly counters: AmqpInputCounters;
	readonly local: LocalAttempts;
	readonly logger: Logger;
	readonly sink: Sink;
	/** A poison message was given up on. */
	invalid(delivery: AmqpMessage, error: Error): void;
	/** A message was given up on after `attempts`. */
	deadLettered(delivery: AmqpMessage, attempts: number, error: Error, parked: boolean): void;
}

/**
 * One channel consuming the queue: batches what arrives into
 * `deliverBatch`, acks what the hub delivered, hands failures back, and
 * knows nothing of the channel before or after it. Once its channel is gone
 * ({@link ConsumerSession.ended}) none of its deliveries is acked any more:
 * the broker redelivers them.
 */
export class ConsumerSession {
	readonly #host: SessionHost;
	readonly #channel: AmqpChannel;
	readonly #window: AckWindow;
	readonly ended: Promise<Error | undefined>;
	#end!: (error: Error | undefined) => void;
	#consumerTag: string | undefined;
	#queued: AmqpMessage[] = [];
	#scheduled = false;
	#batches = 0;
	#idle: (() => void) | undefined;
	#dead = false;
	#stopping = false;
	readonly #retries = new Map<Entry, ReturnType<typeof setTimeout>>();
	#parkingReturns = 0;

	private constructor(host: SessionHost, channel: AmqpChannel) {
		this.#host = host;
		this.#channel = channel;
		this.#window = new AckWindow(channel);
		this.ended = new Promise((resolve) => (this.#end = resolve));
	}

	/** Opens a channel on `connection`, sets the prefetch and starts consuming. */
	static async open(host: SessionHost, connection: AmqpConnection): Promise<ConsumerSession> {
		const channel = host.parkingQueue === undefined ? await connection.createChannel() : await connection.createConfirmChannel();
		const session = new ConsumerSession(host, channel);
		session.#watch();
		try {
			await channel.prefetch(host.prefetch, false);
			const { consumerTag } = await channel.consume(host.queue, session.#onMessage, { noAck: false });
			session.#consumerTag = consumerTag;
		} catch (error) {
			session.#dead = true;
			await channel.close().catch(() => {});
			throw error;
		}
		return session;
	}

	/** Deliveries whose ack is still due (waiting for the hub, a retry delay, or not handed over yet). */
	get unsettled(): number {
		return this.#window.unsettled() + this.#queued.length;
	}

	/**
	 * Graceful stop: cancels the consumer, requeues what was not handed to the
	 * hub yet, waits for the deliveries in flight (bounded by the hub's stop
	 * deadline, which fails them with reason `shutdown`), requeues failed ones
	 * at once instead of after their delay, acks, and closes the channel.
	 */
	async stop(): Promise<void> {
		this.#stopping = true;
		if (this.#dead) return;
		if (this.#consumerTag !== undefined) await bounded(this.#channel.cancel(this.#consumerTag), CLOSE_MS);
		for (const delivery of this.#queued) this.#try(() => this.#channel.nack(delivery, false, true));
		this.#queued = [];
		if (this.#batches > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
		for (const [entry, timer] of this.#retries) {
			clearTimeout(timer);
			this.#requeue(entry);
		}
		this.#retries.clear();
		this.#ackDue();
		this.#dead = true;
		await bounded(this.#channel.close(), CLOSE_MS);
		this.#end(undefined);
	}

	#watch(): void {
		const channel = this.#channel;
		const onClose = (): void => {
			channel.removeListener('close', onClose);
			this.#lost(new Error('the channel closed'));
		};
		channel.on('close', onClose);
		channel.on('error', (...args: unknown[]) => this.#host.logger.warn({ input: this.#host.name, error: toError(args[0]).message }, 'AMQP channel error'));
		channel.on('return', () => {
			this.#parkingReturns++;
			this.#host.logger.error({ input: this.#host.name, queue: this.#host.parkingQueue }, 'AMQP parking queue does not exist: the message is requeued');
		});
	}

	/** The channel is gone: nothing of it can be acked any more. */
	#lost(error: Error): void {
		if (this.#dead) {
			this.#end(undefined);
			return;
		}
		this.#dead = true;
		for (const timer of this.#retries.values()) clearTimeout(timer);
		this.#retries.clear();
		this.#host.counters.abandoned += this.unsettled;
		this.#queued = [];
		this.#end(this.#stopping ? undefined : error);
		if (this.#batches === 0) this.#idle?.();
	}

	readonly #onMessage = (delivery: AmqpMessage | null): void => {
		if (delivery === null) {
			// The broker cancelled the consumer (the queue was deleted): start over.
			void this.#channel.close().catch(() => {});
			this.#lost(new Error(`the broker cancelled the consumer of queue "${this.#host.queue}"`));
			return;
		}
		const counters = this.#host.counters;
		counters.received++;
		if (delivery.fields.redelivered) counters.redelivered++;
		this.#queued.push(delivery);
		if (!this.#scheduled) {
			this.#scheduled = true;
			setImmediate(this.#flush);
		}
	};

	readonly #flush = (): void => {
		this.#scheduled = false;
		if (this.#dead || this.#stopping || this.#queued.length === 0 || this.#batches >= MAX_BATCHES_IN_FLIGHT) return;
		const deliveries = this.#queued;
		this.#queued = [];
		const host = this.#host;
		const entries: Entry[] = [];
		const messages: Message[] = [];
		for (const delivery of deliveries) {
			const entry = this.#window.add(delivery);
			let message: Message;
			try {
				message = decodeDelivery(delivery, host.queue);
			} catch (error) {
				this.#poison(entry, toError(error));
				continue;
			}
			entries.push(entry);
			messages.push(message);
		}
		if (messages.length === 0) {
			this.#ackDue();
			return;
		}
		this.#batches++;
		host.sink.deliverBatch(messages).then(
			(outcome) => this.#settle(entries, outcome.failed),
			(error: unknown) => {
				const failure = toError(error);
				this.#settle(entries, entries.map((_e, index) => ({ index, id: messages[index]!.id, reason: 'output-failed', error: failure })));
			},
		);
	};

	#settle(entries: readonly Entry[], failed: readonly DeliveryFailure[]): void {
		this.#batches--;
		if (!this.#dead) {
			const local = this.#host.local;
			if (failed.length === 0) {
				for (const entry of entries) entry.state = ACKABLE;
			} else {
				const failures = new Map<number, DeliveryFailure>();
				for (const f of failed) if (!FINAL.has(f.reason)) failures.set(f.index, f);
				for (let i = 0; i < entries.length; i++) {
					const failure = failures.get(i);
					if (failure === undefined) entries[i]!.state = ACKABLE;
					else this.#failed(entries[i]!, failure);
				}
			}
			if (local.size > 0) for (const entry of entries) if (entry.state === ACKABLE) local.forget(attemptKey(entry.delivery));
			this.#ackDue();
		}
		if (this.#batches === 0) this.#idle?.();
		if (this.#queued.length > 0 && !this.#scheduled) {
			this.#scheduled = true;
			setImmediate(this.#flush);
		}
	}

	#failed(entry: Entry, failure: DeliveryFailure): void {
		const host = this.#host;
		const delivery = entry.delivery;
		const error = failure.error ?? new Error(`not delivered: ${failure.reason}${failure.output === undefined ? '' : ` at output "${failure.output}"`}`);
		const attempt = attemptOf(delivery, host.queue, host.local);
		if (attempt >= host.maxAttempts) {
			host.local.forget(attemptKey(delivery));
			host.counters.deadLettered++;
			this.#giveUp(entry, error, attempt, false);
			return;
		}
		if (host.retryVia === 'dead-letter-exchange') {
			this.#try(() => this.#channel.nack(delivery, false, false));
			entry.state = SETTLED;
			host.counters.retried++;
			return;
		}
		host.local.fail(attemptKey(delivery));
		if (this.#stopping || host.retryDelayMs === 0) {
			this.#requeue(entry);
			return;
		}
		const timer = setTimeout(() => {
			this.#retries.delete(entry);
			this.#requeue(entry);
			this.#ackDue();
		}, host.retryDelayMs);
		this.#retries.set(entry, timer);
	}

	#requeue(entry: Entry): void {
		if (this.#dead) return;
		this.#try(() => this.#channel.nack(entry.delivery, false, true));
		entry.state = SETTLED;
		this.#host.counters.retried++;
	}

	#poison(entry: Entry, error: Error): void {
		this.#host.counters.invalid++;
		this.#giveUp(entry, error, 1, true);
	}

	/** Parks the message (publish, then ack on the confirm) or nacks it without requeue (to the queue's dead-letter exchange). */
	#giveUp(entry: Entry, error: Error, attempts: number, poison: boolean): void {
		const host = this.#host;
		const delivery = entry.delivery;
		const parking = host.parkingQueue;
		if (poison) host.invalid(delivery, error);
		else host.deadLettered(delivery, attempts, error, parking !== undefined);
		if (parking === undefined) {
			this.#try(() => this.#channel.nack(delivery, false, false));
			entry.state = SETTLED;
			return;
		}
		const properties = delivery.properties;
		const headers: Record<string, unknown> = { ...properties.headers };
		headers[DEAD_LETTER_KEYS.error] = error.message || error.name;
		headers[DEAD_LETTER_KEYS.output] = host.name;
		headers[DEAD_LETTER_KEYS.attempts] = String(attempts);
		const options: AmqpPublishOptions = {
			...(typeof properties.messageId === 'string' ? { messageId: properties.messageId } : {}),
			...(typeof properties.timestamp === 'number' ? { timestamp: properties.timestamp } : {}),
			...(typeof properties.type === 'string' ? { type: properties.type } : {}),
			...(typeof properties.appId === 'string' ? { appId: properties.appId } : {}),
			...(typeof properties.contentType === 'string' ? { contentType: properties.contentType } : {}),
			persistent: true,
			mandatory: true,
			headers,
		};
		const content = Buffer.from(delivery.content.buffer, delivery.content.byteOffset, delivery.content.byteLength);
		this.#try(() =>
			(this.#channel as AmqpConfirmChannel).publish('', parking, content, options, (failure: unknown) => {
				if (this.#dead) return;
				const returned = this.#parkingReturns > 0;
				if (returned) this.#parkingReturns--;
				if ((failure === null || failure === undefined) && !returned) entry.state = ACKABLE;
				else {
					this.#try(() => this.#channel.nack(delivery, false, true));
					entry.state = SETTLED;
				}
				this.#ackDue();
			}),
		);
	}

	#ackDue(): void {
		if (this.#dead) return;
		this.#try(() => (this.#host.counters.acked += this.#window.flush()));
	}

	/** Runs a channel operation; a throw means the channel is closed under us. */
	#try(operation: () => unknown): void {
		if (this.#dead) return;
		try {
			operation();
		} catch (error) {
			this.#lost(toError(error));
		}
	}
}

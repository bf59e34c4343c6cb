import type { Logger } from '../../index.js';
import type { AmqpConnect, AmqpConnection } from './client.js';

/**
 * How {@link AmqpInput} hands a failed delivery back to the broker.
 *
 * - `requeue`: nack with requeue after `retryDelayMs`; the broker delivers it
 *   again (to this or another consumer of the queue). Attempts are counted
 *   by the broker on quorum queues (`x-delivery-count`), else by this
 *   process per message id.
 * - `dead-letter-exchange`: nack without requeue at once, so the queue's
 *   dead-letter exchange takes it: the broker-side delayed retry, where the
 *   DLX routes to a wait queue whose message TTL dead-letters it back to this
 *   queue. The broker counts every round in the `x-death` header, which is
 *   exact across consumers and restarts. Needs `parkingQueue` for messages
 *   whose attempts are exhausted (and poison), since the DLX leads back here.
 *
 * @example
 * ```ts
 * const retryVia: AmqpRetryVia = 'dead-letter-exchange';
 * ```
 */
export type AmqpRetryVia = 'requeue' | 'dead-letter-exchange';

/**
 * Backoff between reconnection attempts (after the channel or connection
 * closed, or opening one failed).
 *
 * @example
 * ```ts
 * const reconnect: AmqpReconnectOptions = { baseDelayMs: 200, maxDelayMs: 5_000 };
 * ```
 */
export interface AmqpReconnectOptions {
	/** Delay before the first attempt; doubles per failed attempt. @default 100 */
	readonly baseDelayMs?: number;
	/** @default 10000 */
	readonly maxDelayMs?: number;
}

/**
 * Options of {@link AmqpInput}. Give `connection`, `connect`, or both: with
 * `connection` alone the input survives channel closes but not the loss of
 * the connection (its `run()` then fails; use amqplib 2's
 * `connect(url, { recovery: true })`, or pass `connect` too).
 *
 * @example
 * ```ts
 * import amqp from 'amqplib';
 *
 * const options: AmqpInputOptions = {
 *   connect: () => amqp.connect('amqp://guest:guest@127.0.0.1:5672'),
 *   queue: 'orders',
 *   prefetch: 500,
 *   maxAttempts: 5,
 * };
 * ```
 */
export interface AmqpInputOptions {
	/** Your open connection. The input makes its own channel on it and never closes the connection. */
	readonly connection?: AmqpConnection;
	/**
	 * Opens a connection: used when there is no `connection`, and again after
	 * the connection closed. A connection made here belongs to the input and
	 * is closed when the input stops.
	 */
	readonly connect?: AmqpConnect;
	/** The queue to consume (it must exist). */
	readonly queue: string;
	/** @default 'amqp' */
	readonly name?: string;
	/**
	 * Most unacknowledged messages the broker hands this input at a time
	 * (`basic.qos`): the bound on what is in the process. Deliveries are handed
	 * to the hub in batches of what has arrived, and acked (with `multiple`
	 * where the order allows) once the hub delivered them.
	 * @default 256
	 */
	readonly prefetch?: number;
	/** How a failed delivery goes back to the broker. @default 'requeue' */
	readonly retryVia?: AmqpRetryVia;
	/**
	 * Deliveries of one message before the input gives up on it: it then goes
	 * to `parkingQueue` when set, else it is nacked without requeue, so the
	 * queue's dead-letter exchange gets it (without one, the broker discards
	 * it). Counted, announced (`dead-letter` event) and logged either way.
	 * @default Infinity (a failed message is retried until delivered)
	 */
	readonly maxAttempts?: number;
	/** With `retryVia: 'requeue'`, how long a failed message is held before it is requeued (so an outage does not spin). @default 1000 */
	readonly retryDelayMs?: number;
	/**
	 * A queue for messages given up on (attempts exhausted, and poison
	 * messages): the input publishes the message there on the default
	 * exchange (with a confirm) and then acks it. Needed with
	 * `retryVia: 'dead-letter-exchange'`.
	 * @default none
	 */
	readonly parkingQueue?: string;
	/** @default { baseDelayMs: 100, maxDelayMs: 10000 } */
	readonly reconnect?: AmqpReconnectOptions;
	/** Where reconnects, poison and dead-lettered messages are logged. @default silent */
	readonly logger?: Logger;
}

import { OutputError } from '../../index.js';

/**
 * A send failed because the broker returned messages it could not route to
 * any queue (they were published `mandatory`: no queue is bound for that
 * exchange and routing key). The hub retries the batch and then
 * dead-letters or drops it, as its options say; messages of the batch that
 * were routed are published again by a retry (at-least-once).
 *
 * @example
 * ```ts
 * import { AmqpUnroutableError } from 'polku/amqp';
 *
 * hub.on('retry', ({ error }) => {
 *   if (error instanceof AmqpUnroutableError) console.warn(`${error.returned} unroutable, e.g. to ${error.exchange}/${error.routingKey}`);
 * });
 * ```
 */
export class AmqpUnroutableError extends OutputError {
	/** How many messages of the batch were returned. */
	readonly returned: number;
	/** The exchange of the first returned message. */
	readonly exchange: string;
	/** The routing key of the first returned message. */
	readonly routingKey: string;
	/** The broker's reply, e.g. `312 NO_ROUTE`. */
	readonly reply: string;

	constructor(output: string, returned: number, exchange: string, routingKey: string, reply: string) {
		const where = exchange === '' ? `the default exchange (no queue named "${routingKey}")` : `exchange "${exchange}" with routing key "${routingKey}"`;
		super(output, `${returned} message(s) unroutable: the broker returned them (${reply}) from ${where}`, undefined, 'ERR_POLKU_AMQP_UNROUTABLE');
		this.returned = returned;
		this.exchange = exchange;
		this.routingKey = routingKey;
		this.reply = reply;
	}
}

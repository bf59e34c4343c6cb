// The few methods polku/nats calls on the user's own NATS objects (@nats-io/transport-node and
// @nats-io/jetstream v3), typed structurally. Nothing here is imported from either library.

/**
 * NATS message headers (`MsgHdrs`): iterable as name → values, with exact
 * (case-preserving) names.
 *
 * @example
 * ```ts
 * for (const [name, values] of msg.headers ?? []) console.log(name, values);
 * ```
 */
export interface NatsHeadersLike extends Iterable<[string, string[]]> {
	get(name: string): string;
	set(name: string, value: string): void;
	append(name: string, value: string): void;
	keys(): string[];
}

/**
 * A received core NATS message.
 *
 * @example
 * ```ts
 * const text = new TextDecoder().decode(msg.data);
 * ```
 */
export interface NatsMsgLike {
	readonly subject: string;
	readonly data: Uint8Array;
	readonly headers?: NatsHeadersLike | undefined;
}

/**
 * A core NATS subscription, iterated by {@link NatsInput}.
 *
 * @example
 * ```ts
 * const sub: NatsSubscriptionLike = nc.subscribe('orders.*', { queue: 'polku' });
 * ```
 */
export interface NatsSubscriptionLike extends AsyncIterable<NatsMsgLike> {
	unsubscribe(): void;
	/** Messages received and not yet iterated. */
	getPending(): number;
}

/**
 * The connection polku/nats needs (`NatsConnection` of
 * `@nats-io/transport-node`, or of `wsconnect`).
 *
 * @example
 * ```ts
 * import { connect } from '@nats-io/transport-node';
 *
 * const nc: NatsConnectionLike = await connect({ servers: '127.0.0.1:4222' });
 * ```
 */
export interface NatsConnectionLike {
	publish(subject: string, payload?: Uint8Array, options?: { headers?: NatsHeadersLike }): void;
	/** Resolves when the server has processed everything published before it (a PING/PONG round trip). */
	flush(): Promise<void>;
	subscribe(subject: string, options?: { queue?: string }): NatsSubscriptionLike;
	isClosed(): boolean;
}

/**
 * The acknowledgement of a JetStream publish.
 *
 * @example
 * ```ts
 * const ack: PubAckLike = await js.publish('orders.created', data, { msgID: id });
 * if (ack.duplicate) console.log('de-duplicated by the stream');
 * ```
 */
export interface PubAckLike {
	readonly stream: string;
	readonly seq: number;
	readonly duplicate: boolean;
}

/**
 * A JetStream message delivered by a pull consumer (`JsMsg`).
 *
 * @example
 * ```ts
 * msg.ack();
 * ```
 */
export interface JsMsgLike extends NatsMsgLike {
	readonly seq: number;
	readonly info: { readonly stream: string; readonly deliveryCount: number };
	/** The stream's timestamp of the message (exact ns). */
	readonly timestampNanos?: bigint;
	ack(): void;
	/** Asks for redelivery, after `millis` when given. */
	nak(millis?: number): void;
	/** Stops redelivery for good. */
	term(reason?: string): void;
	/** Resets the ack wait: the message is still being worked on. */
	working(): void;
}

/**
 * The messages of `consumer.consume()`.
 *
 * @example
 * ```ts
 * const messages: JetStreamMessagesLike = await consumer.consume({ max_messages: 100 });
 * ```
 */
export interface JetStreamMessagesLike extends AsyncIterable<JsMsgLike> {
	stop(error?: Error): void;
	/** Messages pulled and not yet iterated. */
	getPending(): number;
}

/**
 * A JetStream pull consumer (`Consumer` of `js.consumers.get(stream, name)`).
 *
 * @example
 * ```ts
 * const consumer: JetStreamConsumerLike = await js.consumers.get('ORDERS', 'polku');
 * ```
 */
export interface JetStreamConsumerLike {
	consume(options?: { max_messages?: number; expires?: number }): Promise<JetStreamMessagesLike>;
	info(cached?: boolean): Promise<{ readonly config: { readonly ack_wait?: number } }>;
}

/**
 * The consumer configuration {@link JetStreamInput} creates a missing durable
 * consumer with (a subset of JetStream's `ConsumerConfig`; times in ns).
 *
 * @example
 * ```ts
 * const config: JetStreamConsumerConfig = { durable_name: 'polku', ack_policy: 'explicit', ack_wait: 30_000_000_000 };
 * ```
 */
export interface JetStreamConsumerConfig {
	durable_name: string;
	ack_policy: 'explicit';
	ack_wait?: number;
	max_deliver?: number;
	filter_subject?: string;
	deliver_policy?: 'all' | 'new' | 'last';
	max_ack_pending?: number;
}

/**
 * The part of the JetStream manager {@link JetStreamInput} uses to find or
 * create its durable consumer.
 *
 * @example
 * ```ts
 * const jsm: JetStreamManagerLike = await js.jetstreamManager();
 * ```
 */
export interface JetStreamManagerLike {
	readonly consumers: {
		info(stream: string, consumer: string): Promise<unknown>;
		add(stream: string, config: JetStreamConsumerConfig): Promise<unknown>;
	};
}

/**
 * The JetStream client polku/nats needs (`jetstream(nc)` of
 * `@nats-io/jetstream`).
 *
 * @example
 * ```ts
 * import { jetstream } from '@nats-io/jetstream';
 *
 * const js: JetStreamClientLike = jetstream(nc);
 * ```
 */
export interface JetStreamClientLike {
	publish(subject: string, payload?: Uint8Array, options?: { msgID?: string; headers?: NatsHeadersLike; timeout?: number }): Promise<PubAckLike>;
	readonly consumers: { get(stream: string, name?: string): Promise<JetStreamConsumerLike> };
	jetstreamManager(): Promise<JetStreamManagerLike>;
}

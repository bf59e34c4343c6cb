import { checkInteger, ConfigError, silentLogger, type Logger } from '../../index.js';
import type { JetStreamClientLike } from './client.js';

/**
 * Options of {@link JetStreamInput}.
 *
 * @example
 * ```ts
 * new JetStreamInput({
 *   js,
 *   stream: 'ORDERS',
 *   consumer: 'polku',          // durable pull consumer, created with explicit ack when missing
 *   filterSubject: 'orders.>',
 *   ackWaitMs: 30_000,
 *   pullBatch: 256,
 *   nakDelayMs: 1_000,
 * });
 * ```
 */
export interface JetStreamInputOptions {
	/** The JetStream client (`jetstream(nc)`). */
	readonly js: JetStreamClientLike;
	/** The stream (it must exist). */
	readonly stream: string;
	/** The durable pull consumer's name: bound when it exists, else created (unless `create` is false). Inputs sharing it compete for messages. */
	readonly consumer: string;
	/** Create the durable consumer when it is missing (explicit ack, the options below). @default true */
	readonly create?: boolean;
	/** Creation only: the subject filter. @default the whole stream */
	readonly filterSubject?: string;
	/** Creation only: how long the server waits for an ack before redelivering. @default 30000 */
	readonly ackWaitMs?: number;
	/** Creation only: deliveries before the server gives up on a message (it then stays unacked in the stream, with an advisory). @default unlimited */
	readonly maxDeliver?: number;
	/** Creation only: where a new consumer starts. @default 'all' */
	readonly deliverPolicy?: 'all' | 'new' | 'last';
	/** Messages one pull asks for (the client keeps at most this many pulled and not yet taken). @default 256 */
	readonly pullBatch?: number;
	/** Most messages handed to the hub and not yet acked or nakked; at the bound the input stops pulling. @default 1024 */
	readonly maxInFlight?: number;
	/** Redelivery delay of a failed message (nak with delay), doubling per delivery of it, up to 60 s. @default 1000 */
	readonly nakDelayMs?: number;
	/** How often messages still being delivered get an in-progress (`working()`) ack, which resets their ack wait. @default a third of the consumer's ack wait */
	readonly workingIntervalMs?: number;
	/** How long stopping waits for open deliveries (then they are redelivered after the ack wait). @default 30000 */
	readonly stopTimeoutMs?: number;
	/** @default 'jetstream' */
	readonly name?: string;
	/** Where poison messages, naks and failures are logged. @default silent */
	readonly logger?: Logger;
}

export interface ResolvedJetStreamInputOptions {
	readonly js: JetStreamClientLike;
	readonly stream: string;
	readonly consumer: string;
	readonly create: boolean;
	readonly filterSubject: string | undefined;
	readonly ackWaitMs: number;
	readonly maxDeliver: number | undefined;
	readonly deliverPolicy: 'all' | 'new' | 'last';
	readonly pullBatch: number;
	readonly maxInFlight: number;
	readonly nakDelayMs: number;
	readonly workingIntervalMs: number | undefined;
	readonly stopTimeoutMs: number;
	readonly name: string;
	readonly logger: Logger;
}

const NAME = /^[^\s.*>\\/]+$/;

export function resolveJetStreamInputOptions(options: JetStreamInputOptions): ResolvedJetStreamInputOptions {
	if (options === null || typeof options !== 'object') throw new ConfigError('JetStreamInput options', 'must be an object with js, stream and consumer');
	const name = options.name ?? 'jetstream';
	if (typeof name !== 'string' || name.length === 0) throw new ConfigError('JetStreamInput.name', 'must be a non-empty string');
	const field = (key: string): string => `JetStreamInput "${name}".${key}`;
	if (options.js === null || typeof options.js !== 'object' || typeof options.js.consumers?.get !== 'function') throw new ConfigError(field('js'), 'must be a JetStream client (jetstream(nc))');
	if (typeof options.stream !== 'string' || !NAME.test(options.stream)) throw new ConfigError(field('stream'), 'must be a stream name (no white space, ., *, >, / or \\)');
	if (typeof options.consumer !== 'string' || !NAME.test(options.consumer)) throw new ConfigError(field('consumer'), 'must be a durable consumer name (no white space, ., *, >, / or \\)');
	const deliverPolicy = options.deliverPolicy ?? 'all';
	if (!['all', 'new', 'last'].includes(deliverPolicy)) throw new ConfigError(field('deliverPolicy'), `must be all, new or last, got ${String(deliverPolicy)}`);
	if (options.filterSubject !== undefined && (typeof options.filterSubject !== 'string' || options.filterSubject.length === 0)) throw new ConfigError(field('filterSubject'), 'must be a subject');
	return {
		js: options.js,
		stream: options.stream,
		consumer: options.consumer,
		create: options.create ?? true,
		filterSubject: options.filterSubject,
		ackWaitMs: checkInteger(field('ackWaitMs'), options.ackWaitMs ?? 30_000, 1),
		maxDeliver: options.maxDeliver === undefined ? undefined : checkInteger(field('maxDeliver'), options.maxDeliver, 1),
		deliverPolicy,
		pullBatch: checkInteger(field('pullBatch'), options.pullBatch ?? 256, 1, 10_000),
		maxInFlight: checkInteger(field('maxInFlight'), options.maxInFlight ?? 1024, 1),
		nakDelayMs: checkInteger(field('nakDelayMs'), options.nakDelayMs ?? 1000, 0, 3_600_000),
		workingIntervalMs: options.workingIntervalMs === undefined ? undefined : checkInteger(field('workingIntervalMs'), options.workingIntervalMs, 1),
		stopTimeoutMs: checkInteger(field('stopTimeoutMs'), options.stopTimeoutMs ?? 30_000, 0),
		name,
		logger: options.logger ?? silentLogger,
	};
}

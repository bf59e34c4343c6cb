import { ConfigError, PolkuError, toError } from '../errors.js';
import { nowNanos } from '../message/clock.js';
import { nextId } from '../message/id.js';
import { toPayload, type Message } from '../message/message.js';
import { combineFunction, jsonArray, type AggregateStrategy } from './aggregate-strategy.js';
import { keyFunction, type KeyOf, type KeySelector } from './internal/key.js';
import { LruIndex } from './internal/lru-index.js';
import { MiddlewareTimers } from './internal/timers.js';
import { editedMetadata } from './internal/metadata.js';
import { checkInteger, checkNumber, middlewareName, optionsObject } from './internal/options.js';
import type { Middleware, MiddlewareContext } from './middleware.js';

/**
 * Metadata key of an aggregated message: how many messages it holds
 * (`polku.aggregated_count`).
 *
 * @example
 * ```ts
 * import { AGGREGATED_COUNT_KEY } from 'polku';
 *
 * hub.on('flush', ({ messages }) => messages.forEach((m) => histogram.observe(Number(m.metadata[AGGREGATED_COUNT_KEY] ?? 1))));
 * ```
 */
export const AGGREGATED_COUNT_KEY = 'polku.aggregated_count';
/**
 * Metadata key set when a custom strategy threw and `json-array` was used
 * instead: the error message (`polku.aggregate_error`).
 *
 * @example
 * ```ts
 * import { AGGREGATE_ERROR_KEY } from 'polku';
 *
 * const fellBack = (m: Message): boolean => m.metadata[AGGREGATE_ERROR_KEY] !== undefined;
 * ```
 */
export const AGGREGATE_ERROR_KEY = 'polku.aggregate_error';

/**
 * Options of {@link aggregate}.
 *
 * @example
 * ```ts
 * aggregate({ count: 500, windowMs: 2000, strategy: 'concat', separator: '\n', key: 'source' });
 * ```
 */
export interface AggregateOptions {
	/** The name in stats and events. @default 'aggregate' */
	readonly name?: string;
	/** A window closes when it holds this many messages. @default 100 */
	readonly count?: number;
	/** A window closes this long after its first message (0: only by count or on stop). @default 1000 */
	readonly windowMs?: number;
	/** How the payloads are combined (see {@link AggregateStrategy}). @default 'json-array' */
	readonly strategy?: AggregateStrategy;
	/** `concat` only: put between payloads. @default '' */
	readonly separator?: string | Uint8Array;
	/** Aggregate per key (one open window per key); without it, every message shares one window. Messages without a key share the window of the empty key. */
	readonly key?: KeySelector;
	/** Most windows open at once; opening one more closes (emits) the oldest early. @default 1000 */
	readonly maxWindows?: number;
	/** The aggregated message's `messageType`. @default the window's first message's */
	readonly messageType?: string;
}

/**
 * The middleware {@link aggregate} returns.
 *
 * @example
 * ```ts
 * const batches = aggregate({ count: 100 });
 * setInterval(() => gauge.set(batches.pending), 10_000);
 * ```
 */
export interface AggregateMiddleware extends Middleware {
	/** Messages held in open windows now. */
	readonly pending: number;
}

/**
 * Combines N messages into one. Every message joins its window and is
 * absorbed (`null`, counted under `aggregated`) except the one that fills it,
 * which is replaced by the aggregated message. A window also closes
 * `windowMs` after its first message (released through `context.emit`), and
 * every open window is flushed by `stop()`, so nothing is lost. Each
 * aggregate counts under `windows`.
 *
 * The aggregated message has a new id and timestamp, the source, metadata
 * and `routeTo` of the window's first message, and metadata
 * `polku.aggregated_count`. A custom strategy that throws is logged, counted
 * under `strategy-failed`, and replaced by `json-array` for that window
 * (with metadata `polku.aggregate_error`).
 *
 * Caveat: absorbed messages are `filtered` for their sender, so `deliver()`
 * of one resolves `{ status: 'filtered' }` at once and does not wait for the
 * aggregate. Only the sender of the message that filled the window learns
 * the aggregate's delivery. The middleware must be started by a hub (or with
 * `start(context)`) before use, since windows are released through the context.
 *
 * @param options - See {@link AggregateOptions}.
 * @example
 * ```ts
 * import { aggregate, Hub } from 'polku';
 *
 * // Up to 100 readings per sensor, or whatever arrived within 5 s, as one JSON array.
 * const hub = Hub.builder()
 *   .middleware(aggregate({ count: 100, windowMs: 5000, key: 'source', strategy: 'json-array' }))
 *   .output(timeseries)
 *   .build();
 * ```
 */
export function aggregate(options?: AggregateOptions): AggregateMiddleware {
	const o = optionsObject('aggregate.options', options);
	const name = middlewareName('aggregate.name', o.name, 'aggregate');
	const count = checkInteger('aggregate.count', o.count ?? 100, 1);
	const windowMs = checkNumber('aggregate.windowMs', o.windowMs ?? 1000, 0, 2 ** 31 - 1);
	const separator = o.separator ?? '';
	if (typeof separator !== 'string' && !(separator instanceof Uint8Array)) throw new ConfigError('aggregate.separator', 'must be a string or a Uint8Array');
	const combine = combineFunction(o.strategy ?? 'json-array', separator);
	const keyOf: KeyOf | undefined = o.key === undefined ? undefined : keyFunction('aggregate.key', o.key);
	const maxWindows = checkInteger('aggregate.maxWindows', o.maxWindows ?? 1000, 1);
	const messageType = o.messageType;
	if (messageType !== undefined && typeof messageType !== 'string') throw new ConfigError('aggregate.messageType', 'must be a string');

	const index = new LruIndex(maxWindows);
	const windows: (Message[] | undefined)[] = [];
	const timers: (NodeJS.Timeout | undefined)[] = [];
	const emitting = new Set<Promise<unknown>>();
	let pending = 0;
	let context: MiddlewareContext | undefined;
	const windowTimers = new MiddlewareTimers();

	const build = (messages: readonly Message[]): Message => {
		const ctx = context!;
		const first = messages[0]!;
		let payload: Uint8Array;
		let failure: string | undefined;
		try {
			payload = toPayload(combine(messages), 'aggregate strategy result');
		} catch (thrown) {
			const error = toError(thrown);
			ctx.logger.error({ middleware: name, err: error }, 'polku aggregate strategy failed; using json-array');
			ctx.count('strategy-failed');
			payload = toPayload(jsonArray(messages));
			failure = error.message;
		}
		let metadata = editedMetadata(first.metadata, undefined, AGGREGATED_COUNT_KEY, String(messages.length));
		if (failure !== undefined) metadata = editedMetadata(metadata, undefined, AGGREGATE_ERROR_KEY, failure);
		ctx.count('windows');
		return {
			id: nextId(),
			timestamp: nowNanos(),
			source: first.source,
			messageType: messageType ?? first.messageType,
			metadata,
			payload,
			routeTo: first.routeTo,
		};
	};

	const close = (slot: number): Message => {
		const messages = windows[slot]!;
		windows[slot] = undefined;
		windowTimers.clear(timers[slot]);
		timers[slot] = undefined;
		index.removeSlot(slot);
		pending -= messages.length;
		return build(messages);
	};

	const emit = (message: Message): void => {
		const ctx = context!;
		const sent: Promise<void> = ctx.emit(message).then(
			(): void => void emitting.delete(sent),
			(error: unknown): void => {
				emitting.delete(sent);
				ctx.logger.error({ middleware: name, err: toError(error), id: message.id }, 'polku aggregate could not emit a window');
			},
		);
		emitting.add(sent);
	};

	/** A window's timer fired. Runs outside any caller, so nothing may throw out of it. */
	const expire = (key: string): void => {
		try {
			const slot = index.peek(key);
			if (slot >= 0) emit(close(slot));
		} catch (error) {
			context?.logger.error({ middleware: name, err: toError(error) }, 'polku aggregate could not close a window');
		}
	};

	return {
		name,
		get pending() {
			return pending;
		},
		start(ctx) {
			context = ctx;
			windowTimers.attach(ctx.signal);
		},
		process(message) {
			if (context === undefined) {
				throw new PolkuError('ERR_POLKU_NOT_STARTED', `aggregate "${name}" must be started (by a hub, or with start(context)) before use`);
			}
			const key = keyOf === undefined ? '' : (keyOf(message) ?? '');
			let slot = index.peek(key);
			if (slot < 0) {
				if (index.isFull) emit(close(index.oldest()));
				slot = index.insert(key);
				windows[slot] = [message];
				if (windowMs > 0) timers[slot] = windowTimers.set(() => expire(key), windowMs);
			} else {
				windows[slot]!.push(message);
			}
			pending++;
			if (windows[slot]!.length >= count) return close(slot);
			context.count('aggregated');
			return null;
		},
		async stop() {
			while (index.size > 0) emit(close(index.oldest()));
			await Promise.all(emitting);
		},
	};
}

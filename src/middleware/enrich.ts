import { PolkuError, toError } from '../errors.js';
import { copyMetadata, type Message, type Metadata } from '../message/message.js';
import { keyFunction, type KeySelector } from './internal/key.js';
import { LruIndex } from './internal/lru-index.js';
import { MiddlewareTimers } from './internal/timers.js';
import { withMerged } from './internal/metadata.js';
import { checkFunction, checkInteger, checkNumber, checkOneOf, clockOption, middlewareName, optionsObject } from './internal/options.js';
import { isPromiseLike } from './internal/promise.js';
import { reject, type Middleware, type MiddlewareContext, type MiddlewareResult, type Rejection } from './middleware.js';

/**
 * Looks up the metadata to add to a message (from a database, an API, a
 * config service): an object of strings, or a promise of one.
 *
 * @example
 * ```ts
 * import type { EnrichLookup } from 'polku';
 *
 * const owner: EnrichLookup = async (msg) => ({ team: await teams.ownerOf(msg.source) });
 * ```
 */
export type EnrichLookup = (message: Message) => Readonly<Record<string, string>> | PromiseLike<Readonly<Record<string, string>>>;

/**
 * Options of {@link enrich}.
 *
 * @example
 * ```ts
 * enrich(lookupTenant, { key: 'metadata.tenant-id', cacheTtlMs: 60_000, timeoutMs: 200, onError: 'drop' });
 * ```
 */
export interface EnrichOptions {
	/** The name in stats and events. @default 'enrich' */
	readonly name?: string;
	/** Longest wait for one lookup (`Infinity`: no limit). @default 1000 */
	readonly timeoutMs?: number;
	/**
	 * How long a lookup result is reused for messages with the same `key`;
	 * 0 disables the cache (every message is looked up). @default 0
	 */
	readonly cacheTtlMs?: number;
	/** Most keys cached at once (least recently used evicted). @default 10000 */
	readonly cacheMaxEntries?: number;
	/**
	 * The cache key: with a cache, the lookup must depend on nothing else.
	 * Messages without a key are looked up every time. @default 'source'
	 */
	readonly key?: KeySelector;
	/**
	 * When the lookup throws, rejects, times out or returns something that is
	 * not an object of strings: `pass` the message on unchanged (counted under
	 * `enrich-failed`) or `drop` it (`reject('enrich-failed', cause)`). @default 'pass'
	 */
	readonly onError?: 'pass' | 'drop';
	/** Let looked-up values replace metadata the message already has. @default false */
	readonly overwrite?: boolean;
	/** Monotonic clock in ms for cache expiry (for tests). @default performance.now */
	readonly now?: () => number;
}

/**
 * The middleware {@link enrich} returns.
 *
 * @example
 * ```ts
 * const tenants = enrich(lookupTenant, { cacheTtlMs: 60_000 });
 * setInterval(() => gauge.set(tenants.cached), 10_000);
 * ```
 */
export interface EnrichMiddleware extends Middleware {
	/** Keys in the cache now (never above `cacheMaxEntries`). */
	readonly cached: number;
}

/**
 * Adds metadata looked up per message. Each lookup is bounded by
 * `timeoutMs`. With `cacheTtlMs`, results are cached per `key` in a bounded
 * LRU table: a cache hit is synchronous (no promise), and concurrent misses
 * for one key share one lookup. Counters: `cache-hit`, `cache-miss`,
 * `enrich-failed`. A lookup result is checked (strings only) and merged into
 * a fresh null-prototype metadata object.
 *
 * @param lookup - Returns the entries to add (see {@link EnrichLookup}).
 * @param options - See {@link EnrichOptions}.
 * @example
 * ```ts
 * import { enrich, Hub } from 'polku';
 *
 * const withTeam = enrich(async (msg) => ({ team: await registry.teamOf(msg.source) }), {
 *   key: 'source',
 *   cacheTtlMs: 5 * 60_000,
 *   timeoutMs: 250,
 * });
 * const hub = Hub.builder().middleware(withTeam).output(out).build();
 * ```
 */
export function enrich(lookup: EnrichLookup, options?: EnrichOptions): EnrichMiddleware {
	checkFunction('enrich.lookup', lookup);
	const o = optionsObject('enrich.options', options);
	const name = middlewareName('enrich.name', o.name, 'enrich');
	const timeoutMs = checkNumber('enrich.timeoutMs', o.timeoutMs ?? 1000, 0, Infinity, true);
	const cacheTtlMs = checkNumber('enrich.cacheTtlMs', o.cacheTtlMs ?? 0, 0, Infinity, true);
	const cacheMaxEntries = checkInteger('enrich.cacheMaxEntries', o.cacheMaxEntries ?? 10_000, 1);
	const keyOf = keyFunction('enrich.key', o.key ?? 'source');
	const dropOnError = checkOneOf('enrich.onError', o.onError ?? 'pass', ['pass', 'drop'] as const) === 'drop';
	const overwrite = o.overwrite === true;
	const now = clockOption('enrich.now', o.now);

	const caching = cacheTtlMs > 0;
	const index = new LruIndex(cacheMaxEntries);
	const values: (Metadata | undefined)[] = [];
	const expiries: number[] = [];
	const pending = new Map<string, Promise<Metadata>>();
	let context: MiddlewareContext | undefined;
	const timers = new MiddlewareTimers();

	const store = (key: string, metadata: Metadata): void => {
		let slot = index.touch(key);
		if (slot < 0) slot = index.insert(key);
		values[slot] = metadata;
		expiries[slot] = now() + cacheTtlMs;
	};
	const failed = (message: Message, error: unknown): Message | Rejection => {
		if (dropOnError) return reject('enrich-failed', toError(error));
		context?.count('enrich-failed');
		return message;
	};
	/** Checks, caches and times out one async lookup; concurrent misses of `key` share it. */
	const track = (key: string | undefined, result: PromiseLike<Readonly<Record<string, string>>>): Promise<Metadata> => {
		const raw = Promise.resolve(result).then((entries) => copyMetadata(entries, 'enrich result'));
		if (key === undefined) return withTimeout(raw, timeoutMs, timers);
		raw.then((metadata) => store(key, metadata), noop);
		const timed = withTimeout(raw, timeoutMs, timers);
		const settled = (): void => {
			if (pending.get(key) === timed) pending.delete(key);
		};
		timed.then(settled, settled);
		pending.set(key, timed);
		return timed;
	};

	return {
		name,
		get cached() {
			return index.size;
		},
		start(ctx) {
			context = ctx;
			timers.attach(ctx.signal);
		},
		process(message): MiddlewareResult {
			const key = caching ? keyOf(message) : undefined;
			let shared: Promise<Metadata> | undefined;
			if (key !== undefined) {
				const slot = index.touch(key);
				if (slot >= 0) {
					if (cacheTtlMs === Infinity || expiries[slot]! > now()) {
						context?.count('cache-hit');
						return withMerged(message, values[slot]!, overwrite);
					}
					values[slot] = undefined;
					index.removeSlot(slot);
				}
				context?.count('cache-miss');
				shared = pending.get(key);
			}
			if (shared === undefined) {
				let result;
				try {
					result = lookup(message);
				} catch (error) {
					return failed(message, error);
				}
				if (!isPromiseLike(result)) {
					let metadata: Metadata;
					try {
						metadata = copyMetadata(result, 'enrich result');
					} catch (error) {
						return failed(message, error);
					}
					if (key !== undefined) store(key, metadata);
					return withMerged(message, metadata, overwrite);
				}
				shared = track(key, result);
			}
			return shared.then(
				(metadata) => withMerged(message, metadata, overwrite),
				(error: unknown) => failed(message, error),
			);
		},
	};
}

const noop = (): void => {};

/** `promise`, or a rejection with a timeout error after `ms` (no timer when `ms` is Infinity). */
function withTimeout<T>(promise: Promise<T>, ms: number, timers: MiddlewareTimers): Promise<T> {
	if (ms === Infinity) return promise;
	return new Promise<T>((resolve, fail) => {
		const timer = timers.set(() => fail(new PolkuError('ERR_POLKU_TIMEOUT', `enrich lookup did not settle within ${ms} ms`)), ms);
		promise.then(
			(value) => {
				timers.clear(timer);
				resolve(value);
			},
			(error: unknown) => {
				timers.clear(timer);
				fail(error);
			},
		);
	});
}

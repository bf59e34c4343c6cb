import { EventEmitter } from 'eventemitter3';
import { hostname } from 'node:os';
import { checkInteger, ConfigError, DEAD_LETTER_KEYS, PolkuError, silentLogger, toError, type DeliveryFailure, type Input, type Logger, type Message, type Sink } from '../../index.js';
import { sleep } from '../shared/deadline.js';
import { commandsOf, text, type Commands, type RedisArgument, type RedisClient } from './client.js';
import { decodeEntry, entriesOf, PAYLOAD_FIELD, readReply, type RawEntry } from './entry.js';
import type { RedisStreamInputOptions } from './input-options.js';
import { RedisInputCounters, type RedisStreamInputStats } from './input-stats.js';

/**
 * Events of a {@link RedisStreamInput}.
 *
 * @example
 * ```ts
 * input.on('dead-letter', ({ entryId, deliveries }) => console.warn(`${entryId} dead-lettered after ${deliveries} deliveries`));
 * input.on('claim', ({ count }) => console.info(`took over ${count} stale entries`));
 * ```
 */
export interface RedisStreamInputEvents {
	/** An entry could not be decoded and was moved to the dead-letter stream (also `sink.dropInvalid`'s drop). */
	invalid: (event: { readonly entryId: string; readonly error: Error }) => void;
	/** An entry was moved to the dead-letter stream after `deliveries` deliveries. */
	'dead-letter': (event: { readonly entryId: string; readonly deliveries: number }) => void;
	/** Stale pending entries were claimed to be delivered again. */
	claim: (event: { readonly count: number }) => void;
}

interface Batch {
	readonly ids: readonly string[];
	readonly startedAt: number;
}

/** Failures a redelivery cannot change (the hub refused, could not route, or dead-lettered the message): acked as handled. */
const FINAL: ReadonlySet<string> = new Set(['rejected', 'unroutable', 'dead-lettered']);

let consumers = 0;
const BACKOFF_BASE_MS = 100;
const BACKOFF_MAX_MS = 5_000;
const CLAIM_PAGE = 100;

/**
 * An input reading a Redis stream as a member of a consumer group
 * (`XREADGROUP`), acking each entry (`XACK`) only after the hub delivered it.
 *
 * - Backpressure: at most `count` entries are in the process; each read asks
 *   for what is left of it, and while the hub blocks nothing more is read.
 * - Blocking reads (`BLOCK blockMs`) run on a connection of their own (a
 *   duplicate of `client` unless `blockingClient` is given), so `stop()`
 *   returns within `blockMs` plus the deliveries in flight.
 * - A failed delivery is not acked: the entry stays pending and is claimed
 *   again (`XAUTOCLAIM`) once idle for `claimIdleMs`, by this or any consumer
 *   of the group; so are the entries of a consumer that died. An entry whose
 *   delivery count (in the pending list) passed `maxDeliveries` is moved to
 *   the dead-letter stream instead (`XADD` there, then `XACK`).
 * - Failures a redelivery cannot change (the hub rejected the message,
 *   could not route it, or dead-lettered it to a dead-letter output) are
 *   acked as handled.
 * - An undecodable entry (a malformed `polku-*` field) is moved to the
 *   dead-letter stream and recorded with `sink.dropInvalid` (drop reason
 *   `invalid`).
 * - Envelope: an entry written by `RedisStreamOutput` is restored exactly;
 *   any other entry needs only a `payload` field and gets a new id, the
 *   timestamp of its entry id (ms), the stream key as source and type, and
 *   its other fields as metadata.
 *
 * Guarantee: at-least-once. An entry is acked only after it was delivered;
 * it is delivered again (a duplicate, with the same id) when the process or
 * connection dies between delivery and `XACK`, when a delivery takes longer
 * than `claimIdleMs` and the refresh of its idle time failed, or when another
 * output of the same batch failed.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { Hub } from 'polku';
 * import { RedisStreamInput } from 'polku/redis';
 *
 * const input = new RedisStreamInput({ client: new Redis('redis://127.0.0.1:6379'), stream: 'events', group: 'billing' });
 * const hub = Hub.builder().input(input).output(warehouse).build();
 * await hub.start();
 * ```
 */
export class RedisStreamInput extends EventEmitter<RedisStreamInputEvents> implements Input {
	readonly name: string;
	readonly #commands: Commands;
	readonly #blockingClient: RedisClient | undefined;
	readonly #stream: string;
	readonly #group: string;
	readonly #consumer: string;
	readonly #createGroup: string | false;
	readonly #count: number;
	readonly #blockMs: number;
	readonly #claimIdleMs: number;
	readonly #claimIntervalMs: number;
	readonly #maxDeliveries: number;
	readonly #deadLetterStream: string;
	readonly #logger: Logger;
	readonly #counters = new RedisInputCounters();
	readonly #inFlightIds = new Set<string>();
	readonly #batches = new Set<Batch>();
	#busy = 0;
	#idle: (() => void) | undefined;
	#wake: (() => void) | undefined;
	#cursor = '0-0';
	#running = false;

	/** @param options - See {@link RedisStreamInputOptions}; throws `ConfigError` naming a bad option. */
	constructor(options: RedisStreamInputOptions) {
		super();
		if (options === null || typeof options !== 'object') throw new ConfigError('RedisStreamInput options', 'must be an object');
		const name = options.name ?? 'redis';
		if (typeof name !== 'string' || name === '') throw new ConfigError('RedisStreamInput.name', 'must be a non-empty string');
		const field = (key: string): string => `RedisStreamInput "${name}".${key}`;
		this.#commands = commandsOf(options.client, field('client'));
		if (options.blockingClient !== undefined) commandsOf(options.blockingClient, field('blockingClient'));
		const nonEmpty = (key: 'stream' | 'group' | 'consumer' | 'deadLetterStream', value: unknown, fallback?: string): string => {
			const v = value ?? fallback;
			if (typeof v !== 'string' || v === '') throw new ConfigError(field(key), 'must be a non-empty string');
			return v;
		};
		this.name = name;
		this.#blockingClient = options.blockingClient;
		this.#stream = nonEmpty('stream', options.stream);
		this.#group = nonEmpty('group', options.group, 'polku');
		this.#consumer = nonEmpty('consumer', options.consumer, `${hostname()}-${process.pid}-${++consumers}`);
		const createGroup = options.createGroup ?? '0';
		if (createGroup !== false && (typeof createGroup !== 'string' || createGroup === '')) throw new ConfigError(field('createGroup'), "must be an entry id ('0', '$') or false");
		this.#createGroup = createGroup;
		this.#count = checkInteger(field('count'), options.count ?? 256, 1, 100_000);
		this.#blockMs = checkInteger(field('blockMs'), options.blockMs ?? 1000, 1, 60_000);
		this.#claimIdleMs = checkInteger(field('claimIdleMs'), options.claimIdleMs ?? 30_000, 1);
		this.#claimIntervalMs = checkInteger(field('claimIntervalMs'), options.claimIntervalMs ?? Math.min(this.#claimIdleMs, 5_000), 1);
		const maxDeliveries = options.maxDeliveries ?? 10;
		this.#maxDeliveries = maxDeliveries === Infinity ? Infinity : checkInteger(field('maxDeliveries'), maxDeliveries, 1);
		this.#deadLetterStream = nonEmpty('deadLetterStream', options.deadLetterStream, `${this.#stream}:dead-letter`);
		if (this.#deadLetterStream === this.#stream) throw new ConfigError(field('deadLetterStream'), 'must not be the stream read');
		this.#logger = options.logger ?? silentLogger;
	}

	/** This consumer's name in the group. */
	get consumer(): string {
		return this.#consumer;
	}

	/** A snapshot of the input's counters. */
	stats(): RedisStreamInputStats {
		return this.#counters.snapshot();
	}

	/**
	 * Reads until `signal` aborts, then finishes the read in progress (at
	 * most `blockMs`) and the deliveries in flight, acks, and returns. Rejects
	 * only when run twice at once; Redis errors are retried with backoff (the
	 * client reconnects).
	 */
	async run(sink: Sink, signal: AbortSignal): Promise<void> {
		if (this.#running) throw new PolkuError('ERR_POLKU_HUB_STATE', `RedisStreamInput "${this.name}" is already running`);
		this.#running = true;
		let blocking: Commands | undefined;
		const heartbeat = setInterval(() => this.#heartbeat(), Math.max(1, Math.floor(this.#claimIdleMs / 4)));
		heartbeat.unref?.();
		try {
			blocking =
				this.#blockingClient === undefined
					? await this.#commands.duplicate((error) => this.#logger.warn({ input: this.name, error: error.message }, 'Redis stream: blocking connection error'))
					: commandsOf(this.#blockingClient, 'blockingClient');
			await this.#loop(sink, signal, blocking);
			if (this.#busy > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
			await this.#leaveGroupIfClean();
		} finally {
			clearInterval(heartbeat);
			if (this.#blockingClient === undefined) blocking?.destroy();
			this.#running = false;
		}
	}

	async #loop(sink: Sink, signal: AbortSignal, blocking: Commands): Promise<void> {
		let groupReady = false;
		let ownPending: string | undefined = '0';
		let nextClaim = 0;
		let failures = 0;
		while (!signal.aborted) {
			try {
				if (!groupReady) {
					await this.#ensureGroup();
					groupReady = true;
				}
				await this.#room(signal);
				if (signal.aborted) break;
				const now = Date.now();
				if (now >= nextClaim) {
					const more = await this.#claim(sink);
					nextClaim = more ? now : now + this.#claimIntervalMs;
					continue;
				}
				const room = String(this.#count - this.#counters.inFlight);
				let entries: RawEntry[];
				if (ownPending !== undefined) {
					const reply = await this.#commands.call(['XREADGROUP', 'GROUP', this.#group, this.#consumer, 'COUNT', room, 'STREAMS', this.#stream, ownPending], true);
					entries = readReply(reply);
					ownPending = entries.length === 0 ? undefined : entries[entries.length - 1]!.id;
					entries = entries.filter((e) => !this.#inFlightIds.has(e.id));
				} else {
					const reply = await blocking.call(
						['XREADGROUP', 'GROUP', this.#group, this.#consumer, 'COUNT', room, 'BLOCK', String(this.#blockMs), 'STREAMS', this.#stream, '>'],
						true,
					);
					entries = readReply(reply);
				}
				failures = 0;
				this.#counters.read += entries.length;
				this.#handle(entries, sink);
			} catch (error) {
				this.#counters.errors++;
				if (signal.aborted) break;
				const e = toError(error);
				if (e.message.includes('NOGROUP')) groupReady = false;
				// A read whose reply was lost may have moved entries to this consumer's pending list: read those again.
				ownPending = '0';
				failures++;
				const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (failures - 1));
				this.#logger.warn({ input: this.name, stream: this.#stream, error: e.message, retryInMs: delay }, 'Redis stream read failed');
				await sleep(delay, signal);
			}
		}
	}

	async #ensureGroup(): Promise<void> {
		if (this.#createGroup === false) return;
		try {
			await this.#commands.call(['XGROUP', 'CREATE', this.#stream, this.#group, this.#createGroup, 'MKSTREAM']);
		} catch (error) {
			if (!toError(error).message.includes('BUSYGROUP')) throw error;
		}
	}

	/** Resolves when fewer than `count` entries are in flight (or `signal` aborted). */
	#room(signal: AbortSignal): Promise<void> {
		if (this.#counters.inFlight < this.#count || signal.aborted) return Promise.resolve();
		return new Promise<void>((resolve) => {
			const done = (): void => {
				signal.removeEventListener('abort', done);
				this.#wake = undefined;
				resolve();
			};
			this.#wake = done;
			signal.addEventListener('abort', done, { once: true });
		});
	}

	/** Claims stale pending entries; true when there may be more to claim at once. */
	async #claim(sink: Sink): Promise<boolean> {
		const page = Math.min(CLAIM_PAGE, this.#count - this.#counters.inFlight);
		const reply = await this.#commands.call(
			['XAUTOCLAIM', this.#stream, this.#group, this.#consumer, String(this.#claimIdleMs), this.#cursor, 'COUNT', String(page)],
			true,
		);
		if (!Array.isArray(reply)) return false;
		this.#cursor = text(reply[0]) || '0-0';
		const all = entriesOf(reply[1]);
		const more = all.length >= page;
		const entries = all.filter((e) => !this.#inFlightIds.has(e.id));
		if (entries.length === 0) return more;
		const rows = await this.#commands.pipeline(entries.map((e) => ['XPENDING', this.#stream, this.#group, e.id, e.id, '1']));
		const live: RawEntry[] = [];
		const dead: { entry: RawEntry; deliveries: number; error: Error | undefined }[] = [];
		for (let i = 0; i < entries.length; i++) {
			const row = rows[i];
			const first = Array.isArray(row) ? (row[0] as unknown[] | undefined) : undefined;
			// The count includes this claim, which is not a delivery to the hub when the entry is given up on.
			const deliveries = Array.isArray(first) ? Number(text(first[3])) : 1;
			if (deliveries > this.#maxDeliveries) dead.push({ entry: entries[i]!, deliveries: deliveries - 1, error: undefined });
			else live.push(entries[i]!);
		}
		this.#counters.claimed += live.length;
		this.#logger.info({ input: this.name, stream: this.#stream, claimed: live.length, deadLettered: dead.length }, 'Redis stream: claimed stale pending entries');
		this.emit('claim', { count: entries.length });
		if (dead.length > 0) await this.#deadLetter(dead, sink);
		this.#handle(live, sink);
		return more;
	}

	#handle(entries: readonly RawEntry[], sink: Sink): void {
		if (entries.length === 0) return;
		const messages: Message[] = [];
		const ids: string[] = [];
		let gone: string[] | undefined;
		let poison: { entry: RawEntry; deliveries: number; error: Error }[] | undefined;
		for (const entry of entries) {
			if (entry.fields === null) {
				(gone ??= []).push(entry.id);
				continue;
			}
			let message: Message;
			try {
				message = decodeEntry(entry, this.#stream);
			} catch (error) {
				(poison ??= []).push({ entry, deliveries: 1, error: toError(error) });
				continue;
			}
			messages.push(message);
			ids.push(entry.id);
		}
		if (gone !== undefined) this.#track(this.#ack(gone, false));
		if (poison !== undefined) this.#track(this.#deadLetter(poison, sink));
		if (messages.length === 0) return;
		const batch: Batch = { ids, startedAt: Date.now() };
		this.#counters.inFlight += ids.length;
		for (const id of ids) this.#inFlightIds.add(id);
		this.#batches.add(batch);
		this.#busy++;
		sink.deliverBatch(messages).then(
			(outcome) => this.#settle(batch, outcome.failed),
			(error: unknown) => {
				const failure = toError(error);
				this.#settle(batch, ids.map((id, index) => ({ index, id, reason: 'output-failed', error: failure })));
			},
		);
	}

	#settle(batch: Batch, failures: readonly DeliveryFailure[]): void {
		const ids = batch.ids;
		const failed = failures.length === 0 ? failures : failures.filter((f) => !FINAL.has(f.reason));
		let ackIds: string[];
		if (failed.length === 0) ackIds = ids as string[];
		else {
			const skip = new Set(failed.map((f) => f.index));
			ackIds = ids.filter((_id, index) => !skip.has(index));
			this.#counters.failed += failed.length;
			this.#logger.warn(
				{ input: this.name, stream: this.#stream, failed: failed.length, retryAfterMs: this.#claimIdleMs, error: failed[0]!.error?.message ?? failed[0]!.reason },
				'Redis stream: deliveries failed; the entries stay pending',
			);
		}
		// The entries leave the process now; the XACK runs on (the stop waits for it through #busy).
		this.#counters.inFlight -= ids.length;
		this.#batches.delete(batch);
		this.#wake?.();
		if (ackIds.length === 0) {
			for (const id of ids) this.#inFlightIds.delete(id);
			this.#done();
			return;
		}
		void this.#ack(ackIds, true).finally(() => {
			for (const id of ids) this.#inFlightIds.delete(id);
			this.#done();
		});
	}

	async #ack(ids: readonly string[], count: boolean): Promise<void> {
		try {
			await this.#commands.call(['XACK', this.#stream, this.#group, ...ids]);
			if (count) this.#counters.acked += ids.length;
		} catch (error) {
			this.#counters.errors++;
			this.#logger.warn({ input: this.name, stream: this.#stream, entries: ids.length, error: toError(error).message }, 'Redis stream: XACK failed; the entries will be claimed again');
		}
	}

	/** Moves entries to the dead-letter stream (`XADD`, then `XACK`); failures leave them pending for a later claim. */
	async #deadLetter(items: readonly { entry: RawEntry; deliveries: number; error: Error | undefined }[], sink: Sink): Promise<void> {
		const commands: RedisArgument[][] = [];
		for (const { entry, deliveries, error } of items) {
			const args: RedisArgument[] = ['XADD', this.#deadLetterStream, '*'];
			for (const value of entry.fields ?? []) args.push(value instanceof Uint8Array ? value : text(value));
			const reason = error === undefined ? `not delivered after ${deliveries} deliveries` : error.message;
			args.push(DEAD_LETTER_KEYS.error, reason, DEAD_LETTER_KEYS.output, this.name, DEAD_LETTER_KEYS.attempts, String(deliveries), 'polku.dlq.entry', `${this.#stream}/${entry.id}`);
			commands.push(args);
		}
		commands.push(['XACK', this.#stream, this.#group, ...items.map((i) => i.entry.id)]);
		try {
			await this.#commands.pipeline(commands);
		} catch (error) {
			this.#counters.errors++;
			this.#logger.error({ input: this.name, stream: this.#stream, error: toError(error).message }, 'Redis stream: moving entries to the dead-letter stream failed; they stay pending');
			return;
		}
		for (const { entry, deliveries, error } of items) {
			if (error !== undefined) {
				this.#counters.invalid++;
				sink.dropInvalid({ source: this.#stream, messageType: 'polku.invalid', payload: payloadOf(entry), metadata: { 'redis-entry-id': entry.id } }, error);
				this.#logger.warn({ input: this.name, stream: this.#stream, entryId: entry.id, error: error.message }, 'Redis stream: undecodable entry moved to the dead-letter stream');
				this.emit('invalid', { entryId: entry.id, error });
			} else {
				this.#counters.deadLettered++;
				this.#logger.error(
					{ input: this.name, stream: this.#stream, entryId: entry.id, deliveries, deadLetterStream: this.#deadLetterStream },
					'Redis stream: entry moved to the dead-letter stream after too many deliveries',
				);
				this.emit('dead-letter', { entryId: entry.id, deliveries });
			}
		}
	}

	/** Keeps the idle time of long deliveries low, so that no consumer claims them while they are in flight. */
	#heartbeat(): void {
		const old = Date.now() - this.#claimIdleMs / 2;
		const ids: string[] = [];
		for (const batch of this.#batches) if (batch.startedAt < old) ids.push(...batch.ids);
		if (ids.length === 0) return;
		this.#commands.call(['XCLAIM', this.#stream, this.#group, this.#consumer, '0', ...ids, 'JUSTID']).catch((error: unknown) => {
			this.#counters.errors++;
			this.#logger.warn({ input: this.name, error: toError(error).message }, 'Redis stream: refreshing in-flight entries failed');
		});
	}

	/** Deletes this consumer from the group when it has nothing pending (so short-lived consumer names do not pile up). */
	async #leaveGroupIfClean(): Promise<void> {
		try {
			const pending = await this.#commands.call(['XPENDING', this.#stream, this.#group, '-', '+', '1', this.#consumer]);
			if (Array.isArray(pending) && pending.length === 0) await this.#commands.call(['XGROUP', 'DELCONSUMER', this.#stream, this.#group, this.#consumer]);
		} catch {
			// Best effort: a consumer left in the group holds nothing.
		}
	}

	#track(work: Promise<void>): void {
		this.#busy++;
		void work.finally(() => this.#done());
	}

	#done(): void {
		if (--this.#busy === 0) this.#idle?.();
	}
}

function payloadOf(entry: RawEntry): Uint8Array {
	const fields = entry.fields ?? [];
	for (let i = 0; i + 1 < fields.length; i += 2) {
		if (text(fields[i]) === PAYLOAD_FIELD) {
			const value = fields[i + 1];
			return value instanceof Uint8Array ? value : Buffer.from(text(value), 'utf8');
		}
	}
	return new Uint8Array(0);
}

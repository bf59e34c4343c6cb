import { EventEmitter } from 'eventemitter3';
import { ConfigError, escapeHeaderValue, toError, type DeliveryBatchOutcome, type DropReason, type Input, type Message, type Sink } from '../../index.js';
import type { KafkaConsumerLike, KafkaEachBatchPayload, KafkaRecordIn, KafkaRecordOut } from './client.js';
import { resolveKafkaInputOptions, type KafkaInputOptions, type ResolvedKafkaInputOptions } from './input-options.js';
import { Chunk, DONE, FAILED, PENDING, PartitionTracker } from './partition-tracker.js';
import { fromRecord, headerPairs, payloadBuffer } from './records.js';

/** Delivery failures that reading the record again cannot change: it counts as handled. */
const FINAL: ReadonlySet<DropReason | 'dead-lettered'> = new Set(['rejected', 'unroutable', 'dead-lettered']);
const MAX_REDELIVERY_DELAY_MS = 30_000;
const COMMIT_RETRY_MS = 500;

/**
 * Counters of a {@link KafkaInput}, over its whole life (restarts included).
 *
 * @example
 * ```ts
 * const { fetched, delivered, redelivered, invalid } = input.stats();
 * ```
 */
export interface KafkaInputStats {
	/** Records taken from fetched batches into the hub. */
	readonly fetched: number;
	/** Records whose delivery settled as done (delivered, filtered, rejected, unroutable or dead-lettered by the hub). */
	readonly delivered: number;
	/** Times a partition was rewound to a failed record to read it again. */
	readonly redelivered: number;
	/** Records sent to the dead-letter topic (failed `maxAttempts` times, or poison). */
	readonly deadLettered: number;
	/** Poison records (a malformed polku envelope), also counted by the hub as dropped `invalid`. */
	readonly invalid: number;
	/** Records of fetched batches declined under backpressure (read again after resuming). */
	readonly declined: number;
	/** Records handed to the hub and not yet settled. */
	readonly inFlight: number;
	/** True while the topics are paused for backpressure (more than `maxInFlight` records open). */
	readonly paused: boolean;
	/** Successful `commitOffsets` calls. */
	readonly commits: number;
	/** Failed `commitOffsets` calls (retried; a revoked partition's are dropped). */
	readonly commitFailures: number;
	/** Group rebalances seen (kafkajs `consumer.group_join`). */
	readonly rebalances: number;
}

/**
 * Events of a {@link KafkaInput}.
 *
 * @example
 * ```ts
 * input.on('redeliver', ({ topic, partition, offset, attempts }) => console.warn(`re-reading ${topic}/${partition}@${offset} (#${attempts})`));
 * ```
 */
export interface KafkaInputEvents {
	/** A record failed delivery: its partition is rewound to it and reads it again after the delay. */
	redeliver: [event: { topic: string; partition: number; offset: string; attempts: number; delayMs: number }];
	/** A record went to the dead-letter topic. */
	'dead-letter': [event: { topic: string; partition: number; offset: string; reason: 'poison' | 'max-attempts'; error: Error }];
	/** The consumer group rebalanced: open records of the previous assignment no longer commit. */
	rebalance: [event: { assignment: Readonly<Record<string, readonly number[]>> }];
}

/** The records of one accepted batch that the input may need again (dead-lettering). */
class BatchChunk extends Chunk {
	readonly records: readonly KafkaRecordIn[];
	readonly start: number;
	/** Why each poison record (by index) could not be decoded. */
	poisonErrors: Map<number, Error> | undefined;
	constructor(offsets: readonly number[], records: readonly KafkaRecordIn[], start: number) {
		super(offsets);
		this.records = records;
		this.start = start;
	}
}

/**
 * An input consuming Kafka topics in a consumer group, with at-least-once
 * delivery into the hub. Each fetched batch (kafkajs `eachBatch`) goes in with
 * one `deliverBatch`; offsets are committed (explicitly, one commit in flight,
 * never backwards) only up to the last record delivered in order. A record
 * that fails stops the commit there: its partition pauses for
 * `redeliveryDelayMs` (doubling per attempt), seeks back to it and reads it
 * again, records after it included (duplicates); with a `deadLetter` it goes
 * there after `maxAttempts` and the partition moves on. A poison record (a
 * malformed polku envelope) is dead-lettered (or skipped) and recorded with
 * `sink.dropInvalid`. Failures that reading again cannot change (the hub
 * rejected, could not route or dead-lettered the message) count as handled.
 *
 * Under backpressure (more than `maxInFlight` records open) the input pauses
 * its topics and resumes at half. On a rebalance the open records of the old
 * assignment stop committing (they are read again by the new owner:
 * duplicates). Stopping pauses, waits for open deliveries, commits and
 * disconnects.
 *
 * Records written by polku get their envelope back exactly; other records get
 * id `<topic>/<partition>/<offset>`, the record timestamp, source `kafka`,
 * type = the topic, and their headers as metadata.
 *
 * @example
 * ```ts
 * import { Kafka } from 'kafkajs';
 * import { Hub } from 'polku';
 * import { KafkaInput } from 'polku/kafka';
 *
 * const kafka = new Kafka({ clientId: 'polku', brokers: ['127.0.0.1:9092'] });
 * const input = new KafkaInput({ consumer: () => kafka.consumer({ groupId: 'polku' }), topics: ['orders'], fromBeginning: true });
 * const hub = Hub.builder().input(input, { restart: { attempts: 10 } }).output(warehouse).build();
 * await hub.start();
 * ```
 */
export class KafkaInput extends EventEmitter<KafkaInputEvents> implements Input {
	readonly name: string;
	readonly #o: ResolvedKafkaInputOptions;
	#consumer: KafkaConsumerLike | undefined;
	#confluent = false;
	#sink: Sink | undefined;
	#generation = 0;
	readonly #trackers = new Map<string, PartitionTracker>();
	readonly #topics = new Set<string>();
	readonly #backoff = new Map<string, { tracker: PartitionTracker; timer: ReturnType<typeof setTimeout> }>();
	readonly #open = new Set<Promise<unknown>>();
	readonly #commitPending = new Map<string, PartitionTracker>();
	#committing: Promise<void> | undefined;
	#commitRetry: ReturnType<typeof setTimeout> | undefined;
	#backpressured = false;
	#stopping = false;
	#fetched = 0;
	#delivered = 0;
	#redelivered = 0;
	#deadLettered = 0;
	#invalid = 0;
	#declined = 0;
	#inFlight = 0;
	#commits = 0;
	#commitFailures = 0;
	#rebalances = 0;

	/** @param options - See {@link KafkaInputOptions}; throws `ConfigError` naming a bad option. */
	constructor(options: KafkaInputOptions) {
		super();
		this.#o = resolveKafkaInputOptions(options);
		this.name = this.#o.name;
	}

	/** A snapshot of the counters. */
	stats(): KafkaInputStats {
		return {
			fetched: this.#fetched,
			delivered: this.#delivered,
			redelivered: this.#redelivered,
			deadLettered: this.#deadLettered,
			invalid: this.#invalid,
			declined: this.#declined,
			inFlight: this.#inFlight,
			paused: this.#backpressured,
			commits: this.#commits,
			commitFailures: this.#commitFailures,
			rebalances: this.#rebalances,
		};
	}

	/** @internal Called by the hub: consumes until `signal` aborts, then drains, commits and disconnects. */
	async run(sink: Sink, signal: AbortSignal): Promise<void> {
		if (signal.aborted) return;
		const o = this.#o;
		const consumer = o.consumer();
		const confluent = typeof consumer.storeOffsets === 'function';
		if (confluent && o.fromBeginning !== undefined) {
			throw new ConfigError(`KafkaInput "${this.name}".fromBeginning`, 'is consumer configuration for @confluentinc/kafka-javascript: set kafkaJS.fromBeginning where you create the consumer');
		}
		this.#reset(consumer, confluent, sink);
		let crashed!: (error: Error) => void;
		const crash = new Promise<never>((_, reject) => (crashed = reject));
		crash.catch(() => {});
		consumer.on?.('consumer.group_join', (event) => {
			if (this.#consumer === consumer && event.payload.memberAssignment !== undefined) this.#rebalanced(event.payload.memberAssignment);
		});
		consumer.on?.('consumer.crash', (event) => {
			if (event.payload.restart === false) crashed(toError(event.payload.error ?? new Error('the Kafka consumer crashed')));
		});
		await consumer.connect();
		try {
			await consumer.subscribe({ topics: [...o.subscription], ...(o.fromBeginning === undefined ? {} : { fromBeginning: o.fromBeginning }) });
			await consumer.run({
				eachBatchAutoResolve: false,
				partitionsConsumedConcurrently: 1,
				...(confluent ? {} : { autoCommit: false }),
				eachBatch: (payload) => this.#eachBatch(payload),
			});
			await Promise.race([untilAborted(signal), crash]);
		} finally {
			await this.#stop(consumer);
		}
	}

	#reset(consumer: KafkaConsumerLike, confluent: boolean, sink: Sink): void {
		this.#consumer = consumer;
		this.#confluent = confluent;
		this.#sink = sink;
		this.#generation++;
		this.#trackers.clear();
		this.#topics.clear();
		this.#commitPending.clear();
		this.#backpressured = false;
		this.#stopping = false;
	}

	// ---- fetched batches ------------------------------------------------------

	async #eachBatch(payload: KafkaEachBatchPayload): Promise<void> {
		const { batch } = payload;
		const records = batch.messages;
		if (this.#stopping || records.length === 0 || payload.isStale()) return;
		const { topic, partition } = batch;
		const key = `${partition}:${topic}`;
		this.#topics.add(topic);
		let tracker = this.#trackers.get(key);
		if (tracker === undefined || tracker.generation !== this.#generation) {
			tracker = new PartitionTracker(topic, partition, this.#generation);
			this.#trackers.set(key, tracker);
		}
		let start = 0;
		const first = Number(records[0]!.offset);
		if (tracker.rewindTo !== undefined) {
			// Waiting to re-read a failed record: what was fetched before the seek is declined.
			if (first > tracker.rewindTo) return;
			while (start < records.length && Number(records[start]!.offset) < tracker.rewindTo) start++;
			if (start === records.length) return;
		} else if (tracker.expected !== undefined && first < tracker.expected) {
			// The client moved back by itself (a reassignment, or its own seek): start over from here.
			tracker.abandon();
			tracker = new PartitionTracker(topic, partition, this.#generation);
			this.#trackers.set(key, tracker);
		}
		if (this.#inFlight >= this.#o.maxInFlight) {
			// Not resolved: the client reads these records again once the input resumes.
			this.#declined += records.length - start;
			this.#setBackpressure(true);
			return;
		}
		tracker.rewindTo = undefined;
		this.#accept(tracker, records, start);
		payload.resolveOffset(records[records.length - 1]!.offset);
		if (this.#inFlight >= this.#o.maxInFlight) this.#setBackpressure(true);
	}

	#accept(tracker: PartitionTracker, records: readonly KafkaRecordIn[], start: number): void {
		const n = records.length - start;
		const offsets = new Array<number>(n);
		for (let i = 0; i < n; i++) offsets[i] = Number(records[start + i]!.offset);
		const chunk = new BatchChunk(offsets, records, start);
		const messages: Message[] = [];
		const index: number[] = [];
		const poison: number[] = [];
		for (let i = 0; i < n; i++) {
			try {
				messages.push(fromRecord(tracker.topic, tracker.partition, records[start + i]!));
				index.push(i);
			} catch (error) {
				poison.push(i);
				(chunk.poisonErrors ??= new Map()).set(i, toError(error));
			}
		}
		tracker.add(chunk);
		this.#fetched += n;
		this.#inFlight += n;
		if (messages.length > 0) {
			const delivery = this.#sink!.deliverBatch(messages).then(
				(outcome) => this.#settled(tracker, chunk, index, outcome),
				(error: unknown) => this.#settled(tracker, chunk, index, undefined, toError(error)),
			);
			this.#track(delivery);
		}
		for (const i of poison) this.#poison(tracker, chunk, i, chunk.poisonErrors!.get(i)!);
	}

	#settled(tracker: PartitionTracker, chunk: BatchChunk, index: readonly number[], outcome: DeliveryBatchOutcome | undefined, error?: Error): void {
		this.#inFlight -= index.length;
		const states = chunk.states;
		if (outcome === undefined) {
			this.#o.logger.error({ input: this.name, err: error }, 'polku kafka input: deliverBatch rejected; the records will be read again');
			for (const i of index) states[i] = FAILED;
		} else {
			for (const i of index) states[i] = DONE;
			let failed = 0;
			for (const f of outcome.failed) {
				if (FINAL.has(f.reason)) continue;
				states[index[f.index]!] = FAILED;
				failed++;
			}
			this.#delivered += index.length - failed;
		}
		if (!chunk.abandoned) this.#progress(tracker);
		this.#relieve();
	}

	#poison(tracker: PartitionTracker, chunk: BatchChunk, i: number, error: Error): void {
		const record = chunk.records[chunk.start + i]!;
		const { topic, partition } = tracker;
		this.#invalid++;
		this.#o.logger.warn({ input: this.name, topic, partition, offset: record.offset, err: error }, 'polku kafka input: poison record (malformed polku envelope)');
		this.#sink!.dropInvalid(
			{
				source: 'kafka',
				messageType: topic,
				payload: record.value ?? undefined,
				metadata: { 'kafka.topic': topic, 'kafka.partition': String(partition), 'kafka.offset': record.offset },
			},
			error,
		);
		if (this.#o.deadLetter === undefined) {
			chunk.states[i] = DONE;
			this.#inFlight--;
			this.#progress(tracker);
			return;
		}
		const produced = this.#deadLetter(tracker, record, error, 1, 'poison').then(
			() => {
				chunk.states[i] = DONE;
			},
			(dlqError: unknown) => {
				chunk.states[i] = FAILED;
				this.#o.logger.error({ input: this.name, topic, partition, offset: record.offset, err: dlqError }, 'polku kafka input: dead-lettering a poison record failed; it will be read again');
			},
		);
		this.#track(
			produced.then(() => {
				this.#inFlight--;
				if (!chunk.abandoned) this.#progress(tracker);
				this.#relieve();
			}),
		);
	}

	// ---- progress, failures, commits -----------------------------------------

	#progress(tracker: PartitionTracker): void {
		if (tracker.generation !== this.#generation) return;
		const failed = tracker.advance();
		tracker.pruneAttempts();
		if (tracker.frontier !== undefined && (tracker.committed === undefined || tracker.frontier > tracker.committed)) this.#queueCommit(tracker);
		if (failed !== undefined) this.#failed(tracker, failed);
	}

	#failed(tracker: PartitionTracker, offset: number): void {
		const attempts = (tracker.attempts.get(offset) ?? 0) + 1;
		tracker.attempts.set(offset, attempts);
		const { topic, partition } = tracker;
		const deadLetter = this.#o.deadLetter;
		const head = tracker.head();
		if (deadLetter !== undefined && attempts >= this.#o.maxAttempts && head !== undefined && head.chunk instanceof BatchChunk && !this.#stopping) {
			const { chunk, index } = head;
			chunk.states[index] = PENDING;
			const record = chunk.records[chunk.start + index]!;
			const error = new Error(`delivery failed ${attempts} times`);
			this.#track(
				this.#deadLetter(tracker, record, error, attempts, 'max-attempts').then(
					() => {
						chunk.states[index] = DONE;
						if (!chunk.abandoned) this.#progress(tracker);
					},
					(dlqError: unknown) => {
						this.#o.logger.error({ input: this.name, topic, partition, offset: record.offset, err: dlqError }, 'polku kafka input: dead-lettering failed; the record will be read again');
						chunk.states[index] = FAILED;
						if (!chunk.abandoned) this.#rewind(tracker, offset, attempts);
					},
				),
			);
			return;
		}
		this.#rewind(tracker, offset, attempts);
	}

	/** Pauses the partition, then seeks back to `offset` and resumes after the redelivery delay. */
	#rewind(tracker: PartitionTracker, offset: number, attempts: number): void {
		const { topic, partition } = tracker;
		tracker.rewind(offset);
		if (this.#stopping) return; // the next owner reads from the last commit
		this.#redelivered++;
		const delayMs = Math.min(this.#o.redeliveryDelayMs * 2 ** Math.min(attempts - 1, 20), MAX_REDELIVERY_DELAY_MS);
		this.#o.logger.warn({ input: this.name, topic, partition, offset, attempts, delayMs }, 'polku kafka input: delivery failed; re-reading from this record');
		this.emit('redeliver', { topic, partition, offset: String(offset), attempts, delayMs });
		const consumer = this.#consumer!;
		const key = `${partition}:${topic}`;
		clearTimeout(this.#backoff.get(key)?.timer);
		if (!this.#backpressured) safely(() => consumer.pause([{ topic, partitions: [partition] }]));
		const timer = setTimeout(() => {
			this.#backoff.delete(key);
			if (this.#consumer !== consumer || this.#stopping) return;
			if (tracker.generation === this.#generation && tracker.rewindTo === offset) safely(() => consumer.seek({ topic, partition, offset: String(offset) }));
			if (!this.#backpressured) safely(() => consumer.resume([{ topic, partitions: [partition] }]));
		}, delayMs);
		this.#backoff.set(key, { tracker, timer });
	}

	#deadLetter(tracker: PartitionTracker, record: KafkaRecordIn, error: Error, attempts: number, reason: 'poison' | 'max-attempts'): Promise<void> {
		const { producer, topic } = this.#o.deadLetter!;
		const headers = Object.create(null) as Record<string, string>;
		for (const [name, value] of headerPairs(record.headers)) headers[name] = value;
		headers['polku.dlq.error'] = escapeHeaderValue(error.message || error.name);
		headers['polku.dlq.origin'] = `${tracker.topic}/${tracker.partition}/${record.offset}`;
		headers['polku.dlq.attempts'] = String(attempts);
		const out: KafkaRecordOut = { value: record.value === null ? null : payloadBuffer(record.value), headers, timestamp: record.timestamp };
		if (record.key !== null) out.key = payloadBuffer(record.key);
		return producer.sendBatch({ topicMessages: [{ topic, messages: [out] }] }).then(() => {
			this.#deadLettered++;
			this.#o.logger.warn({ input: this.name, topic: tracker.topic, partition: tracker.partition, offset: record.offset, deadLetter: topic, reason }, 'polku kafka input: record dead-lettered');
			this.emit('dead-letter', { topic: tracker.topic, partition: tracker.partition, offset: record.offset, reason, error });
		});
	}

	#queueCommit(tracker: PartitionTracker): void {
		this.#commitPending.set(`${tracker.partition}:${tracker.topic}`, tracker);
		if (this.#committing === undefined && this.#commitRetry === undefined) this.#committing = this.#commitLoop();
	}

	/** Commits the pending frontiers, one `commitOffsets` at a time, never backwards, only for current partitions. */
	async #commitLoop(): Promise<void> {
		const consumer = this.#consumer!;
		try {
			while (this.#commitPending.size > 0 && this.#consumer === consumer) {
				const pending = [...this.#commitPending.values()];
				this.#commitPending.clear();
				const assigned = this.#confluent && typeof consumer.assignment === 'function' ? assignedKeys(consumer) : undefined;
				const offsets: { topic: string; partition: number; offset: string }[] = [];
				const targets: [PartitionTracker, number][] = [];
				for (const t of pending) {
					const frontier = t.frontier;
					if (t.generation !== this.#generation || frontier === undefined || (t.committed !== undefined && frontier <= t.committed)) continue;
					if (assigned !== undefined && !assigned.has(`${t.partition}:${t.topic}`)) continue;
					offsets.push({ topic: t.topic, partition: t.partition, offset: String(frontier) });
					targets.push([t, frontier]);
				}
				if (offsets.length === 0) continue;
				try {
					await consumer.commitOffsets(offsets);
					this.#commits++;
					for (const [t, frontier] of targets) if (t.committed === undefined || frontier > t.committed) t.committed = frontier;
				} catch (error) {
					this.#commitFailures++;
					this.#o.logger.warn({ input: this.name, err: error, offsets }, 'polku kafka input: commit failed; retrying (a revoked partition is dropped)');
					for (const [t] of targets) {
						const key = `${t.partition}:${t.topic}`;
						if (t.generation === this.#generation && !this.#commitPending.has(key)) this.#commitPending.set(key, t);
					}
					if (!this.#stopping) {
						this.#commitRetry = setTimeout(() => {
							this.#commitRetry = undefined;
							if (this.#commitPending.size > 0 && this.#committing === undefined) this.#committing = this.#commitLoop();
						}, COMMIT_RETRY_MS);
					}
					return;
				}
			}
		} finally {
			this.#committing = undefined;
		}
	}

	#rebalanced(assignment: Readonly<Record<string, readonly number[]>>): void {
		this.#generation++;
		this.#rebalances++;
		for (const tracker of this.#trackers.values()) tracker.abandon();
		this.#trackers.clear();
		this.#commitPending.clear();
		this.#o.logger.info({ input: this.name, assignment }, 'polku kafka input: consumer group rebalanced');
		this.emit('rebalance', { assignment });
	}

	// ---- backpressure and stopping -------------------------------------------

	#relieve(): void {
		if (this.#backpressured && !this.#stopping && this.#inFlight <= this.#o.maxInFlight / 2) this.#setBackpressure(false);
	}

	#setBackpressure(on: boolean): void {
		if (this.#backpressured === on) return;
		this.#backpressured = on;
		const consumer = this.#consumer!;
		const topics = [...this.#topics].map((topic) => ({ topic }));
		if (topics.length === 0) return;
		if (on) {
			safely(() => consumer.pause(topics));
			return;
		}
		safely(() => consumer.resume(topics));
		// Partitions still waiting to re-read a failed record stay paused.
		const waiting = [...this.#backoff.values()].map(({ tracker }) => ({ topic: tracker.topic, partitions: [tracker.partition] }));
		if (waiting.length > 0) safely(() => consumer.pause(waiting));
	}

	#track(promise: Promise<unknown>): void {
		this.#open.add(promise);
		void promise.finally(() => this.#open.delete(promise));
	}

	async #stop(consumer: KafkaConsumerLike): Promise<void> {
		this.#stopping = true;
		const topics = [...this.#topics].map((topic) => ({ topic }));
		if (topics.length > 0) safely(() => consumer.pause(topics));
		for (const { timer } of this.#backoff.values()) clearTimeout(timer);
		this.#backoff.clear();
		clearTimeout(this.#commitRetry);
		this.#commitRetry = undefined;
		const deadline = Date.now() + this.#o.stopTimeoutMs;
		while (this.#open.size > 0 && Date.now() < deadline) await withTimeout(Promise.allSettled([...this.#open]), deadline - Date.now());
		if (this.#open.size > 0) this.#o.logger.warn({ input: this.name, open: this.#inFlight }, 'polku kafka input: stopped before every delivery settled; the next owner reads them again');
		await this.#committing;
		if (this.#commitPending.size > 0) await withTimeout((this.#committing = this.#commitLoop()), Math.max(0, deadline - Date.now()));
		try {
			await consumer.disconnect();
		} catch (error) {
			this.#o.logger.warn({ input: this.name, err: error }, 'polku kafka input: disconnect failed');
		}
		if (this.#consumer === consumer) this.#consumer = undefined;
	}
}

function assignedKeys(consumer: KafkaConsumerLike): Set<string> | undefined {
	try {
		return new Set(consumer.assignment!().map((tp) => `${tp.partition}:${tp.topic}`));
	} catch {
		return undefined;
	}
}

function safely(fn: () => void): void {
	try {
		fn();
	} catch {
		// pause/resume/seek of a partition no longer assigned: nothing to do
	}
}

function untilAborted(signal: AbortSignal): Promise<void> {
	return new Promise((resolve) => {
		if (signal.aborted) return resolve();
		signal.addEventListener('abort', () => resolve(), { once: true });
	});
}

function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
	return new Promise((resolve) => {
		const timer = setTimeout(resolve, Math.max(0, ms));
		promise.then(
			() => {
				clearTimeout(timer);
				resolve();
			},
			() => {
				clearTimeout(timer);
				resolve();
			},
		);
	});
}

import { EventEmitter } from 'eventemitter3';
import { FanoutBuffer, readerView } from '../buffer/fanout-buffer.js';
import { DeliveryError, HubStateError, MessageValidationError, toError, type DropReason } from '../errors.js';
import type {
	BatchOptions,
	BatchOutcome,
	DeliveryBatchOutcome,
	DeliveryOutcome,
	Input,
	SendOutcome,
	Sink,
} from '../input/input.js';
import { silentLogger, type Logger } from '../logger.js';
import { toMessage, type Message, type MessageLike } from '../message/message.js';
import { MiddlewareChain } from '../middleware/chain.js';
import type { Middleware, MiddlewareContext } from '../middleware/middleware.js';
import { DeadLetterQueue } from '../output/dead-letter.js';
import { OutputLane, type LaneHost, type LaneOptions } from '../output/lane.js';
import type { Output } from '../output/output.js';
import { HubBuilder } from './builder.js';
import { DeliveryGroup, type Delivery } from './delivery.js';
import type { ErrorContext, HubEvents, StopEvent } from './events.js';
import { Intake } from './intake.js';
import { buildManifest, type PipelineManifest } from './manifest.js';
import { backoffDelay, type OverflowPolicy, type ResolvedRetry } from './options.js';
import { Router } from './router.js';
import type { HubHealth, HubState, HubStats, InputStats, OutputStats } from './stats.js';

/**
 * A validated hub configuration, as produced by `HubBuilder.build()`.
 *
 * @internal
 */
export interface HubConfig {
	readonly bufferCapacity: number;
	readonly overflow: OverflowPolicy;
	readonly inputs: readonly { readonly input: Input; readonly restart: ResolvedRetry | undefined }[];
	readonly middleware: readonly Middleware[];
	readonly outputs: readonly { readonly output: Output; readonly options: LaneOptions }[];
	readonly deadLetters: readonly { readonly output: Output; readonly options: LaneOptions }[];
	readonly logger: Logger;
}

/**
 * Options of `hub.stop()`.
 *
 * @example
 * ```ts
 * await hub.stop({ timeoutMs: 5_000 });
 * ```
 */
export interface StopOptions {
	/** How long to drain before dropping what is left with reason `shutdown`. @default 10000 */
	readonly timeoutMs?: number;
}

interface InputEntry {
	readonly input: Input;
	readonly restart: ResolvedRetry | undefined;
	sent: number;
	running: boolean;
	failures: number;
	restarts: number;
	done: Promise<void>;
}

/**
 * The pipeline: inputs → middleware → one bounded buffer → batched, isolated
 * fan-out to outputs. Build one with {@link Hub.builder}, `start()` it, and
 * `stop()` it to drain. Events: `drop`, `flush`, `retry`, `dead-letter`,
 * `error`, `start`, `stop` (see {@link HubEvents}).
 *
 * @example
 * ```ts
 * import { Hub, withMetadata } from 'polku';
 * import { MemoryInput, MemoryOutput } from 'polku/testing';
 *
 * const input = new MemoryInput();
 * const out = new MemoryOutput();
 * const hub = Hub.builder()
 *   .input(input)
 *   .middleware({ name: 'tag', process: (m) => withMetadata(m, { seen: 'yes' }) })
 *   .output(out, { batchSize: 50 })
 *   .build();
 * hub.on('drop', (e) => console.warn('dropped', e.reason, e.messages.length));
 * await hub.start();
 * await input.push({ source: 'test', messageType: 'hello', payload: 'world' });
 * await hub.stop();
 * console.log(out.messages.length); // 1
 * ```
 */
export class Hub extends EventEmitter<HubEvents> {
	/**
	 * Starts a fluent {@link HubBuilder}.
	 *
	 * @example
	 * ```ts
	 * const hub = Hub.builder().bufferCapacity(50_000).overflow('drop-oldest').output(out).build();
	 * ```
	 */
	static builder(): HubBuilder {
		return new HubBuilder();
	}

	readonly #config: HubConfig;
	readonly #logger: Logger;
	readonly #buffer: FanoutBuffer<Delivery>;
	readonly #chain: MiddlewareChain;
	readonly #intake: Intake;
	readonly #lanes: readonly OutputLane[];
	readonly #deadLetterLanes: ReadonlyMap<string, { lane: OutputLane; queue: DeadLetterQueue; parked: OutputLane[] }>;
	readonly #inputs: readonly InputEntry[];
	readonly #abort = new AbortController();
	#state: HubState = 'created';
	#startedAt: number | undefined;
	#stoppedAt: number | undefined;
	#draining = false;
	#pumpScheduled = false;
	#evicted: Message[][] | undefined;
	#drained: (() => void) | undefined;
	#stopping: Promise<StopEvent> | undefined;

	/** Use {@link Hub.builder}. @internal */
	constructor(config: HubConfig) {
		super();
		this.#config = config;
		this.#logger = config.logger;
		const names = config.outputs.map((o) => o.output.name);
		this.#buffer = new FanoutBuffer<Delivery>(
			config.bufferCapacity,
			names.length,
			(reader, message, key) => {
				// Dropped from one output's view: drop-oldest overflow, or the output's maxPending.
				const lane = this.#lanes[reader]!;
				lane.dropped.overflow++;
				key?.fail('overflow', lane.name);
				if (this.listenerCount('drop') > 0) ((this.#evicted ??= [])[reader] ??= []).push(message);
			},
			config.outputs.map((o) => o.options.maxPending ?? config.bufferCapacity),
		);
		this.#chain = new MiddlewareChain(config.middleware);
		const host = this.#laneHost();
		this.#lanes = config.outputs.map(
			({ output, options }, reader) => new OutputLane(output.name, output, options, readerView(this.#buffer, reader), host, false),
		);
		this.#deadLetterLanes = new Map(
			config.deadLetters.map(({ output, options }) => {
				const queue = new DeadLetterQueue(config.bufferCapacity);
				return [output.name, { lane: new OutputLane(output.name, output, options, queue, host, true), queue, parked: [] }];
			}),
		);
		this.#intake = new Intake(this.#chain, new Router(names), this.#buffer, config.overflow, {
			accepted: () => this.#schedulePump(),
			finished: () => this.#checkDrained(),
			dropped: (reason, messages, error) => this.#reportDrop(reason, messages, undefined, error),
		}, Math.max(...config.outputs.map((o) => o.options.batchSize)));
		this.#inputs = config.inputs.map(({ input, restart }) => ({
			input,
			restart,
			sent: 0,
			running: false,
			failures: 0,
			restarts: 0,
			done: Promise.resolve(),
		}));
	}

	/** The lifecycle state. */
	get state(): HubState {
		return this.#state;
	}

	/** Messages in the buffer now. */
	get bufferSize(): number {
		return this.#buffer.size;
	}

	/** The buffer's capacity. */
	get bufferCapacity(): number {
		return this.#buffer.capacity;
	}

	/**
	 * Starts the middleware hooks, then every input. Rejects with
	 * `HubStateError` if called twice.
	 */
	async start(): Promise<void> {
		if (this.#state !== 'created') throw new HubStateError(`start() called on a hub that is ${this.#state}`);
		this.#state = 'starting';
		try {
			for (let i = 0; i < this.#chain.list.length; i++) {
				await this.#chain.list[i]!.start?.(this.#middlewareContext(i));
			}
		} catch (error) {
			this.#state = 'stopped';
			this.#intake.closed = true;
			throw error;
		}
		this.#state = 'running';
		this.#startedAt = performance.now();
		for (const entry of this.#inputs) entry.done = this.#runInput(entry);
		this.#logger.info({ inputs: this.#inputs.length, outputs: this.#lanes.length }, 'polku hub started');
		this.#emit('start');
	}

	/**
	 * Stops the hub: aborts the inputs' signal and waits for them to return,
	 * lets middleware release held messages, drains the buffer to the outputs
	 * (retries included) until empty or `timeoutMs`, drops what is left with
	 * reason `shutdown` (naming the output), then closes the outputs. Calling
	 * it again returns the same promise.
	 */
	stop(options: StopOptions = {}): Promise<StopEvent> {
		this.#stopping ??= this.#stop(options.timeoutMs ?? 10_000);
		return this.#stopping;
	}

	/** Sends one message into the pipeline (see {@link Sink.send}). Rejects if the hub was never started. */
	send(message: MessageLike): Promise<SendOutcome> {
		return this.#send(message, undefined);
	}

	/** Sends many messages for the cost of one call (see {@link Sink.sendBatch}). */
	sendBatch(messages: readonly MessageLike[], options?: BatchOptions): Promise<BatchOutcome> {
		return this.#sendBatch(messages, undefined, options);
	}

	/** Resolves when every routed output confirmed the message; rejects with `DeliveryError` otherwise. */
	deliver(message: MessageLike): Promise<DeliveryOutcome> {
		return this.#deliver(message, undefined);
	}

	/** Batch form of {@link Hub.deliver}; resolves with the per-message failures. */
	deliverBatch(messages: readonly MessageLike[], options?: BatchOptions): Promise<DeliveryBatchOutcome> {
		return this.#deliverBatch(messages, undefined, options);
	}

	/** A snapshot of every counter. */
	stats(): HubStats {
		const intake = this.#intake;
		const inputs: Record<string, InputStats> = {};
		for (const e of this.#inputs) {
			inputs[e.input.name] = { sent: e.sent, running: e.running, failures: e.failures, restarts: e.restarts };
		}
		const middleware: HubStats['middleware'] = Object.fromEntries(
			this.#chain.names.map((name, i) => {
				const s = this.#chain.stats[i]!;
				return [name, { processed: s.processed, filtered: s.filtered, rejected: s.rejected, errors: s.errors, counters: { ...s.counters } }];
			}),
		);
		const outputs: Record<string, OutputStats> = {};
		for (const lane of this.#allLanes()) outputs[lane.name] = laneStats(lane);
		return {
			state: this.#state,
			uptimeMs: this.#startedAt === undefined ? 0 : (this.#stoppedAt ?? performance.now()) - this.#startedAt,
			received: intake.received,
			filtered: intake.filtered,
			accepted: intake.accepted,
			admitting: intake.admitting,
			dropped: { ...intake.dropped },
			buffer: { size: this.#buffer.size, capacity: this.#buffer.capacity },
			pressure: intake.blocked ? 1 : this.#buffer.size / this.#buffer.capacity,
			inputs,
			middleware,
			outputs,
		};
	}

	/** The pipeline's topology (inputs, middleware in order, outputs with their options) as JSON-serialisable data. */
	manifest(): PipelineManifest {
		const c = this.#config;
		return buildManifest(this.#state, c.bufferCapacity, c.overflow, c.inputs, c.middleware, this.#chain.names, [
			...c.outputs.map((o) => ({ ...o, deadLetter: false })),
			...c.deadLetters.map((o) => ({ ...o, deadLetter: true })),
		]);
	}

	/**
	 * Asks every output's `health()` (bounded by `timeoutMs`; a throw, a
	 * rejection or a timeout is unhealthy).
	 */
	async health(options: { readonly timeoutMs?: number } = {}): Promise<HubHealth> {
		const timeoutMs = options.timeoutMs ?? 2000;
		const lanes = [...this.#allLanes()];
		const results = await Promise.all(lanes.map((lane) => probe(lane.output, timeoutMs)));
		const outputs = Object.fromEntries(lanes.map((lane, i) => [lane.name, results[i]!]));
		return { healthy: this.#state === 'running' && results.every((r) => r.healthy), state: this.#state, outputs };
	}

	// ---- sending -------------------------------------------------------------

	#send(value: MessageLike, entry: InputEntry | undefined): Promise<SendOutcome> {
		const misuse = this.#misuse();
		if (misuse !== undefined) return Promise.reject(misuse);
		let message: Message;
		try {
			message = toMessage(value);
		} catch (error) {
			return Promise.reject(error);
		}
		if (entry !== undefined) entry.sent++;
		return this.#intake.submit([message], 0, undefined).then((o) => singleOutcome(o, message.id));
	}

	#sendBatch(values: readonly MessageLike[], entry: InputEntry | undefined, options?: BatchOptions): Promise<BatchOutcome> {
		const misuse = this.#misuse();
		if (misuse !== undefined) return Promise.reject(misuse);
		let messages: readonly Message[];
		try {
			messages = toMessages(values);
		} catch (error) {
			return Promise.reject(error);
		}
		if (entry !== undefined) entry.sent += messages.length;
		return this.#intake.submit(messages, 0, undefined, options?.signal);
	}

	#deliver(value: MessageLike, entry: InputEntry | undefined): Promise<DeliveryOutcome> {
		let message: Message;
		try {
			message = toMessage(value);
		} catch (error) {
			return Promise.reject(error);
		}
		return this.#deliverBatch([message], entry).then((o) => {
			const failure = o.failed[0];
			if (failure !== undefined) throw new DeliveryError(failure.reason, failure.output, failure.error);
			return { status: o.delivered === 1 ? 'delivered' : 'filtered', id: message.id };
		});
	}

	#deliverBatch(values: readonly MessageLike[], entry: InputEntry | undefined, options?: BatchOptions): Promise<DeliveryBatchOutcome> {
		const misuse = this.#misuse();
		if (misuse !== undefined) return Promise.reject(misuse);
		let messages: readonly Message[];
		try {
			messages = toMessages(values);
		} catch (error) {
			return Promise.reject(error);
		}
		if (entry !== undefined) entry.sent += messages.length;
		return new Promise((resolve) => {
			const group = new DeliveryGroup(messages.length, (g) => resolve(g.outcome()));
			void this.#intake.submit(messages, 0, group, options?.signal);
		});
	}

	#misuse(): HubStateError | undefined {
		if (this.#state === 'created' || this.#state === 'starting') {
			return new HubStateError(`cannot send: the hub is ${this.#state}; await hub.start() first`);
		}
		return undefined;
	}

	#sink(entry: InputEntry): Sink {
		const hub = this.#buffer;
		return {
			send: (m) => this.#send(m, entry),
			sendBatch: (ms, options) => this.#sendBatch(ms, entry, options),
			deliver: (m) => this.#deliver(m, entry),
			deliverBatch: (ms, options) => this.#deliverBatch(ms, entry, options),
			get bufferSize() {
				return hub.size;
			},
			get bufferCapacity() {
				return hub.capacity;
			},
		};
	}

	#middlewareContext(i: number): MiddlewareContext {
		const stats = this.#chain.stats[i]!;
		return {
			emit: (message) => {
				const misuse = this.#misuse();
				if (misuse !== undefined && this.#state !== 'starting') return Promise.reject(misuse);
				return this.#intake.submit([message], i + 1, undefined).then((o) => singleOutcome(o, message.id));
			},
			count: (counter, n = 1) => {
				stats.counters[counter] = (stats.counters[counter] ?? 0) + n;
			},
			signal: this.#abort.signal,
			logger: this.#logger,
		};
	}

	// ---- inputs --------------------------------------------------------------

	async #runInput(entry: InputEntry): Promise<void> {
		const signal = this.#abort.signal;
		const sink = this.#sink(entry);
		for (;;) {
			entry.running = true;
			try {
				await entry.input.run(sink, signal);
				return;
			} catch (reason) {
				const error = toError(reason);
				entry.failures++;
				this.#error(error, { kind: 'input', name: entry.input.name });
				const restart = entry.restart;
				if (restart === undefined || signal.aborted || entry.restarts >= restart.attempts) return;
				entry.restarts++;
				await abortableDelay(backoffDelay(entry.restarts, restart), signal);
				if (signal.aborted) return;
			} finally {
				entry.running = false;
			}
		}
	}

	// ---- outputs -------------------------------------------------------------

	*#allLanes(): Iterable<OutputLane> {
		yield* this.#lanes;
		for (const d of this.#deadLetterLanes.values()) yield d.lane;
	}

	#schedulePump(): void {
		if (this.#pumpScheduled) return;
		this.#pumpScheduled = true;
		queueMicrotask(this.#pumpAll);
	}

	#pumpAll = (): void => {
		this.#pumpScheduled = false;
		const evicted = this.#evicted;
		if (evicted !== undefined) {
			this.#evicted = undefined;
			evicted.forEach((messages, reader) => this.#reportDrop('overflow', messages, this.#lanes[reader]!.name, undefined));
		}
		for (const lane of this.#allLanes()) lane.pump();
		this.#checkDrained();
	};

	#laneHost(): LaneHost {
		const hub = this;
		return {
			get urgent() {
				return hub.#draining || !hub.#intake.settled;
			},
			spaceFreed: (lane) => {
				if (!lane.isDeadLetter) return this.#intake.spaceFreed();
				const parked = this.#deadLetterLanes.get(lane.name)!.parked;
				while (parked.length > 0) {
					const waiting = parked.shift()!;
					waiting.unpark();
					if (waiting.state === 'parked') {
						parked.unshift(waiting);
						break;
					}
				}
			},
			idle: () => this.#checkDrained(),
			flushed: (lane, batch, durationMs, attempts) => {
				if (this.listenerCount('flush') > 0) this.#emit('flush', { output: lane.name, messages: batch, durationMs, attempts });
			},
			retrying: (lane, batch, attempt, delayMs, error) => {
				this.#logger.warn({ output: lane.name, attempt, delayMs, err: error }, 'polku output send failed; retrying');
				if (this.listenerCount('retry') > 0) this.#emit('retry', { output: lane.name, attempt, delayMs, error, messages: batch });
			},
			dropped: (lane, reason, batch, error) => this.#reportDrop(reason, batch, lane.name, error),
			circuit: (lane, state, previous) => {
				this.#logger.warn({ output: lane.name, state, previous }, 'polku output circuit changed');
				this.#emit('circuit', { output: lane.name, state, previous });
				if (state !== 'open') this.#schedulePump();
			},
			deadLetter: (lane, batch, error, attempts) => {
				const target = this.#deadLetterLanes.get(lane.options.deadLetter!)!;
				if (!target.queue.offer(batch, lane.name, error, attempts)) {
					if (!target.parked.includes(lane)) target.parked.push(lane);
					return false;
				}
				this.#logger.warn({ output: lane.name, deadLetter: target.lane.name, count: batch.length, err: error }, 'polku dead-lettered a batch');
				if (this.listenerCount('dead-letter') > 0) {
					this.#emit('dead-letter', { output: lane.name, deadLetter: target.lane.name, messages: batch, error, attempts });
				}
				this.#schedulePump();
				return true;
			},
		};
	}

	// ---- stopping ------------------------------------------------------------

	async #stop(timeoutMs: number): Promise<StopEvent> {
		const started = performance.now();
		if (this.#state === 'created' || this.#state === 'starting') {
			this.#state = 'stopped';
			this.#intake.closed = true;
			await this.#closeOutputs(timeoutMs);
			return { drained: true, durationMs: performance.now() - started };
		}
		this.#state = 'stopping';
		let expired = false;
		let timer: NodeJS.Timeout | undefined;
		const deadline = new Promise<void>((resolve) => {
			timer = setTimeout(() => {
				expired = true;
				resolve();
			}, timeoutMs);
		});
		this.#abort.abort();
		await Promise.race([Promise.all(this.#inputs.map((e) => e.done)), deadline]);
		for (let i = 0; i < this.#chain.list.length && !expired; i++) {
			const mw = this.#chain.list[i]!;
			if (mw.stop === undefined) continue;
			try {
				await Promise.race([mw.stop(), deadline]);
			} catch (error) {
				this.#error(toError(error), { kind: 'middleware', name: this.#chain.names[i]! });
			}
		}
		this.#draining = true;
		const drained = new Promise<void>((resolve) => (this.#drained = resolve));
		this.#schedulePump();
		await Promise.race([drained, deadline]);
		this.#drained = undefined;
		const clean = this.#isDrained();
		this.#intake.close();
		if (!clean) for (const lane of this.#allLanes()) lane.abandon('shutdown');
		this.#pumpAll();
		clearTimeout(timer);
		await this.#closeOutputs(Math.max(1000, timeoutMs - (performance.now() - started)));
		this.#state = 'stopped';
		this.#stoppedAt = performance.now();
		const event = { drained: clean, durationMs: this.#stoppedAt - started };
		this.#logger.info(event, 'polku hub stopped');
		this.#emit('stop', event);
		return event;
	}

	#isDrained(): boolean {
		if (!this.#intake.settled) return false;
		for (const lane of this.#allLanes()) if (lane.pending > 0 || lane.state !== 'idle') return false;
		return true;
	}

	#checkDrained(): void {
		if (this.#drained !== undefined && this.#isDrained()) this.#drained();
	}

	async #closeOutputs(graceMs: number): Promise<void> {
		await Promise.all(
			[...this.#allLanes()].map(async (lane) => {
				if (lane.output.close === undefined) return;
				let timer: NodeJS.Timeout | undefined;
				try {
					await Promise.race([
						lane.output.close(),
						new Promise((_, reject) => {
							timer = setTimeout(() => reject(new Error(`close() did not settle within ${Math.round(graceMs)} ms`)), graceMs);
						}),
					]);
				} catch (error) {
					this.#error(toError(error), { kind: 'output', name: lane.name });
				} finally {
					clearTimeout(timer);
				}
			}),
		);
	}

	// ---- events --------------------------------------------------------------

	#reportDrop(reason: DropReason, messages: readonly Message[], output: string | undefined, error: Error | undefined): void {
		this.#logger.warn({ reason, output, count: messages.length, err: error }, 'polku dropped messages');
		if (this.listenerCount('drop') === 0) return;
		const event = { reason, messages, ...(output === undefined ? {} : { output }), ...(error === undefined ? {} : { error }) };
		this.#emit('drop', event);
	}

	#error(error: Error, context: ErrorContext): void {
		this.#logger.error({ ...context, err: error }, `polku ${context.kind} error`);
		this.#emit('error', error, context);
	}

	/** Emits without letting a throwing listener break the pipeline: its error becomes an `error` event. */
	#emit<E extends keyof HubEvents>(event: E, ...args: Parameters<HubEvents[E]>): void {
		try {
			(this.emit as (e: E, ...a: Parameters<HubEvents[E]>) => boolean)(event, ...args);
		} catch (error) {
			if (event !== 'error') this.#error(toError(error), { kind: 'listener', name: event });
		}
	}
}

function laneStats(lane: OutputLane): OutputStats {
	const d = lane.durations;
	return {
		deadLetter: lane.isDeadLetter,
		state: lane.state,
		...(lane.circuit === undefined ? {} : { circuit: lane.circuit }),
		routed: lane.routed,
		delivered: lane.delivered,
		deadLettered: lane.deadLettered,
		pending: lane.pending,
		inFlight: lane.inFlight,
		dropped: { ...lane.dropped },
		batches: lane.batches,
		failedSends: lane.failedSends,
		retries: lane.retries,
		sendDuration: { count: d.count, avgMs: d.count === 0 ? 0 : d.totalMs / d.count, maxMs: d.maxMs, lastMs: d.lastMs },
	};
}

function singleOutcome(outcome: BatchOutcome, id: string): SendOutcome {
	if (outcome.accepted === 1) return { status: 'accepted', id };
	if (outcome.filtered === 1) return { status: 'filtered', id };
	const drop = outcome.dropped[0]!;
	return drop.error === undefined ? { status: 'dropped', id, reason: drop.reason } : { status: 'dropped', id, reason: drop.reason, error: drop.error };
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

async function probe(output: Output, timeoutMs: number): Promise<{ healthy: boolean; error?: string }> {
	if (output.health === undefined) return { healthy: true };
	let timer: NodeJS.Timeout | undefined;
	try {
		const healthy = await Promise.race([
			Promise.resolve(output.health()),
			new Promise<never>((_, reject) => {
				timer = setTimeout(() => reject(new Error(`health() did not answer within ${timeoutMs} ms`)), timeoutMs);
			}),
		]);
		return { healthy: healthy === true };
	} catch (error) {
		return { healthy: false, error: toError(error).message };
	} finally {
		clearTimeout(timer);
	}
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
	return new Promise((resolve) => {
		if (signal.aborted) return resolve();
		const done = (): void => {
			clearTimeout(timer);
			signal.removeEventListener('abort', done);
			resolve();
		};
		const timer = setTimeout(done, ms);
		signal.addEventListener('abort', done, { once: true });
	});
}

import { EventEmitter } from 'eventemitter3';
import { FanoutBuffer, readerView } from '../buffer/fanout-buffer.js';
import { HubStateError, toError, type DropReason } from '../errors.js';
import { InputRunner } from '../input/input-runner.js';
import type { BatchOptions, BatchOutcome, DeliveryBatchOutcome, DeliveryOutcome, Input, SendOutcome } from '../input/input.js';
import type { Logger } from '../logger.js';
import type { Message, MessageLike } from '../message/message.js';
import { MiddlewareChain } from '../middleware/chain.js';
import type { Middleware, MiddlewareContext } from '../middleware/middleware.js';
import { DeadLetterQueue } from '../output/dead-letter.js';
import { OutputLane, type LaneHost, type LaneOptions } from '../output/lane.js';
import type { Output } from '../output/output.js';
import { HubBuilder } from './builder.js';
import type { Delivery } from './delivery.js';
import type { ErrorContext, HubEvents, StopEvent } from './events.js';
import { probeOutput } from './health.js';
import { Intake } from './intake.js';
import { buildManifest, type PipelineManifest } from './manifest.js';
import type { OverflowPolicy, ResolvedRetry } from './options.js';
import { Router } from './router.js';
import { Sending } from './sending.js';
import { DropLog } from './drop-log.js';
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
	readonly #everyLane: readonly OutputLane[];
	readonly #inputs: readonly InputRunner[];
	readonly #sending: Sending;
	readonly #abort = new AbortController();
	#state: HubState = 'created';
	#startedAt: number | undefined;
	#stoppedAt: number | undefined;
	#draining = false;
	#pumpScheduled = false;
	/** Per output (reader), messages dropped from its view since the last pump, and (with a `drop` listener) the messages. */
	readonly #evictedCount: number[];
	#evicted: Message[][] | undefined;
	#drained: (() => void) | undefined;
	#stopping: Promise<StopEvent> | undefined;
	/** The middleware `start()` hooks, while `start()` runs them. */
	#starting: Promise<void> | undefined;
	/** Middleware whose `start()` completed, in chain order. */
	#startedMiddleware = 0;
	/** Set by `stop()` called while starting: `start()` then starts nothing more. */
	#stopRequested = false;
	/** Set once a stop during `start()` has stopped the middleware that had started. */
	#unwound = false;
	readonly #dropLog: DropLog;

	/** Use {@link Hub.builder}. @internal */
	constructor(config: HubConfig) {
		super();
		this.#config = config;
		this.#logger = config.logger;
		this.#dropLog = new DropLog(config.logger);
		const names = config.outputs.map((o) => o.output.name);
		this.#evictedCount = names.map(() => 0);
		this.#buffer = new FanoutBuffer<Delivery>(
			config.bufferCapacity,
			names.length,
			(reader, message, key) => {
				// Dropped from one output's view: drop-oldest overflow, or the output's maxPending.
				const lane = this.#lanes[reader]!;
				lane.dropped.overflow++;
				this.#evictedCount[reader]!++;
				key?.fail('overflow', lane.name);
				if (this.listenerCount('drop') > 0) ((this.#evicted ??= [])[reader] ??= []).push(message);
				this.#schedulePump();
			},
			config.outputs.map((o) => o.options.maxPending ?? config.bufferCapacity),
			// A lane needs a pump when its first message arrives (to arm its flush timer) or when a batch is due.
			config.outputs.map((o) => (o.options.flushInterval === 0 ? 1 : o.options.batchSize)),
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
		this.#everyLane = [...this.#lanes, ...[...this.#deadLetterLanes.values()].map((d) => d.lane)];
		const hub = this;
		this.#intake = new Intake(this.#chain, new Router(names), this.#buffer, config.overflow, {
			accepted: () => this.#schedulePump(),
			get urgent() {
				return hub.#draining;
			},
			finished: () => this.#checkDrained(),
			dropped: (reason, messages, error) => this.#reportDrop(reason, messages, undefined, error),
		}, Math.max(...config.outputs.map((o) => o.options.batchSize)));
		this.#inputs = config.inputs.map(({ input, restart }) => new InputRunner(input, restart));
		this.#sending = new Sending(this.#intake, () =>
			this.#state === 'created' || this.#state === 'starting'
				? new HubStateError(`cannot send: the hub is ${this.#state}; await hub.start() first`)
				: undefined,
		);
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
	 * `HubStateError` if called twice, or if `stop()` was called while it ran.
	 * When a middleware's `start()` fails, the middleware already started are
	 * stopped and the outputs closed before the error is rethrown (the hub is
	 * then `stopped`).
	 */
	async start(): Promise<void> {
		if (this.#state !== 'created') throw new HubStateError(`start() called on a hub that is ${this.#state}`);
		this.#state = 'starting';
		this.#starting = this.#startMiddleware();
		let failure: { error: unknown } | undefined;
		try {
			await this.#starting;
		} catch (error) {
			failure = { error };
		}
		if (this.#stopRequested) {
			// stop() took over: it stops what started and closes the outputs.
			if (failure !== undefined) throw failure.error;
			throw new HubStateError('stop() was called while the hub was starting');
		}
		if (failure !== undefined) {
			this.#stopping = this.#unwindStart(performance.now(), 10_000);
			await this.#stopping;
			throw failure.error;
		}
		this.#state = 'running';
		this.#startedAt = performance.now();
		const signal = this.#abort.signal;
		for (const runner of this.#inputs) {
			runner.start(this.#sending.sink(runner, this.#buffer), signal, (error) => this.#error(error, { kind: 'input', name: runner.input.name }));
		}
		this.#logger.info({ inputs: this.#inputs.length, outputs: this.#lanes.length }, 'polku hub started');
		this.#emit('start');
	}

	async #startMiddleware(): Promise<void> {
		const list = this.#chain.list;
		for (let i = 0; i < list.length; i++) {
			if (this.#stopRequested) return;
			await list[i]!.start?.(this.#middlewareContext(i));
			if (this.#unwound) {
				// stop() gave up waiting for this start() and already unwound the others: stop this one too.
				await this.#stopMiddleware(i, Infinity);
				return;
			}
			this.#startedMiddleware = i + 1;
		}
	}

	/** Calls middleware `i`'s `stop()` (bounded by `deadline`), reporting a failure as an `error` event. */
	async #stopMiddleware(i: number, deadline: number): Promise<void> {
		const mw = this.#chain.list[i]!;
		if (mw.stop === undefined) return;
		const stopping = Promise.resolve()
			.then(() => mw.stop!())
			.catch((error: unknown) => this.#error(toError(error), { kind: 'middleware', name: this.#chain.names[i]! }));
		await withDeadline(stopping, deadline);
	}

	/**
	 * After a failed or abandoned start: stops the middleware that started
	 * (in reverse order) and closes the outputs. Nothing flowed yet.
	 */
	async #unwindStart(started: number, timeoutMs: number): Promise<StopEvent> {
		this.#state = 'stopping';
		this.#intake.closed = true;
		this.#sending.closeHost();
		this.#abort.abort();
		const deadline = started + timeoutMs;
		if (this.#starting !== undefined) await withDeadline(this.#starting, deadline);
		this.#unwound = true;
		for (let i = this.#startedMiddleware - 1; i >= 0; i--) await this.#stopMiddleware(i, deadline);
		await this.#closeOutputs(Math.max(1000, deadline - performance.now()));
		this.#state = 'stopped';
		this.#stoppedAt = performance.now();
		this.#dropLog.close();
		const event = { drained: true, durationMs: this.#stoppedAt - started };
		this.#emit('stop', event);
		return event;
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
		return this.#sending.send(message, undefined);
	}

	/** Sends many messages for the cost of one call (see {@link Sink.sendBatch}). */
	sendBatch(messages: readonly MessageLike[], options?: BatchOptions): Promise<BatchOutcome> {
		return this.#sending.sendBatch(messages, undefined, options);
	}

	/** Resolves when every routed output confirmed the message; rejects with `DeliveryError` otherwise. */
	deliver(message: MessageLike): Promise<DeliveryOutcome> {
		return this.#sending.deliver(message, undefined);
	}

	/** Batch form of {@link Hub.deliver}; resolves with the per-message failures. */
	deliverBatch(messages: readonly MessageLike[], options?: BatchOptions): Promise<DeliveryBatchOutcome> {
		return this.#sending.deliverBatch(messages, undefined, options);
	}

	/** A snapshot of every counter. */
	stats(): HubStats {
		const intake = this.#intake;
		const inputs: Record<string, InputStats> = {};
		for (const runner of this.#inputs) inputs[runner.input.name] = runner.stats();
		const middleware: HubStats['middleware'] = Object.fromEntries(
			this.#chain.names.map((name, i) => {
				const s = this.#chain.stats[i]!;
				return [name, { processed: s.processed, filtered: s.filtered, rejected: s.rejected, errors: s.errors, counters: { ...s.counters } }];
			}),
		);
		const outputs: Record<string, OutputStats> = {};
		for (const lane of this.#allLanes()) outputs[lane.name] = lane.stats();
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
		const results = await Promise.all(lanes.map((lane) => probeOutput(lane.output, timeoutMs)));
		const outputs = Object.fromEntries(lanes.map((lane, i) => [lane.name, results[i]!]));
		return { healthy: this.#state === 'running' && results.every((r) => r.healthy), state: this.#state, outputs };
	}

	#middlewareContext(i: number): MiddlewareContext {
		const stats = this.#chain.stats[i]!;
		return {
			emit: (message) => {
				if (this.#state === 'created') return Promise.reject(new HubStateError('cannot emit: the hub is not started'));
				return this.#intake.sendOne(message, i + 1);
			},
			count: (counter, n = 1) => {
				stats.counters[counter] = (stats.counters[counter] ?? 0) + n;
			},
			signal: this.#abort.signal,
			logger: this.#logger,
			fates: typeof this.#chain.list[i]!.settled === 'function',
		};
	}

	// ---- outputs -------------------------------------------------------------

	/** Every lane, dead-letter lanes last. */
	#allLanes(): readonly OutputLane[] {
		return this.#everyLane;
	}

	#schedulePump(): void {
		if (this.#pumpScheduled) return;
		this.#pumpScheduled = true;
		queueMicrotask(this.#pumpAll);
	}

	#pumpAll = (): void => {
		this.#pumpScheduled = false;
		const counts = this.#evictedCount;
		const evicted = this.#evicted;
		this.#evicted = undefined;
		for (let reader = 0; reader < counts.length; reader++) {
			const count = counts[reader]!;
			if (count === 0) continue;
			counts[reader] = 0;
			const name = this.#lanes[reader]!.name;
			this.#dropLog.record('overflow', name, count, undefined);
			const messages = evicted?.[reader];
			if (messages !== undefined && this.listenerCount('drop') > 0) this.#emit('drop', { reason: 'overflow', messages, output: name });
		}
		for (const lane of this.#allLanes()) lane.pump();
		this.#checkDrained();
	};

	#laneHost(): LaneHost {
		const hub = this;
		return {
			get urgent() {
				// Send partial batches at once while draining, or while senders wait for space (the buffer is full).
				return hub.#draining || hub.#intake.blocked;
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
			stalled: (lane, stalled, sinceMs) => {
				if (stalled) {
					this.#logger.warn(
						{ output: lane.name, sinceMs: Math.round(sinceMs), maxPending: lane.options.stall!.maxPending },
						'polku output stalled: no send succeeded; its share of the buffer is bounded until one does',
					);
				} else this.#logger.info({ output: lane.name }, 'polku output recovered from its stall');
				this.#emit('stall', { output: lane.name, stalled, sinceMs });
				this.#intake.spaceFreed();
			},
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
		if (this.#state === 'created') {
			this.#state = 'stopped';
			this.#intake.closed = true;
			this.#sending.closeHost();
			await this.#closeOutputs(timeoutMs);
			this.#dropLog.close();
			return { drained: true, durationMs: performance.now() - started };
		}
		if (this.#state === 'starting') {
			this.#stopRequested = true;
			return this.#unwindStart(started, timeoutMs);
		}
		this.#state = 'stopping';
		// From here on the hub's own send methods answer `shutdown`; inputs may finish what they are doing.
		this.#sending.closeHost();
		const deadline = started + timeoutMs;
		this.#abort.abort();
		await withDeadline(Promise.all(this.#inputs.map((e) => e.done)), deadline);
		for (const runner of this.#inputs) runner.close();
		// Stop the middleware in order, each once every message inside an earlier (async) middleware has
		// passed it: what a middleware releases on stop() then meets every middleware after it still running.
		for (let i = 0; i < this.#chain.list.length && performance.now() < deadline; i++) {
			if (this.#chain.list[i]!.stop === undefined) continue;
			await withDeadline(this.#intake.middlewareIdle(), deadline);
			await this.#stopMiddleware(i, deadline);
		}
		this.#draining = true;
		const drained = new Promise<void>((resolve) => (this.#drained = resolve));
		this.#schedulePump();
		await withDeadline(drained, deadline);
		this.#drained = undefined;
		const clean = this.#isDrained();
		this.#intake.close();
		if (!clean) for (const lane of this.#allLanes()) lane.abandon('shutdown');
		this.#pumpAll();
		await this.#closeOutputs(Math.max(1000, deadline - performance.now()));
		this.#state = 'stopped';
		this.#stoppedAt = performance.now();
		this.#dropLog.close();
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
		this.#dropLog.record(reason, output, messages.length, error);
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

/** Resolves when `promise` settles or at `deadline` (a `performance.now()` time), whichever is first; never rejects. */
function withDeadline(promise: Promise<unknown>, deadline: number): Promise<void> {
	const settled = promise.then(
		() => {},
		() => {},
	);
	if (deadline === Infinity) return settled;
	const ms = deadline - performance.now();
	if (ms <= 0) return Promise.resolve();
	let timer: NodeJS.Timeout | undefined;
	return Promise.race([
		settled,
		new Promise<void>((resolve) => {
			timer = setTimeout(resolve, ms);
		}),
	]).finally(() => clearTimeout(timer));
}

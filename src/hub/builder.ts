import { ConfigError } from '../errors.js';
import type { Input } from '../input/input.js';
import { silentLogger, type Logger } from '../logger.js';
import type { Middleware } from '../middleware/middleware.js';
import type { LaneOptions, OutputCircuitOptions } from '../output/lane.js';
import type { Output } from '../output/output.js';
import { Hub } from './hub.js';
import {
	checkInteger,
	checkNumber,
	DEFAULT_RETRY,
	resolveRetry,
	type InputOptions,
	type OutputOptions,
	type OverflowPolicy,
	type ResolvedRetry,
	type RetryOptions,
} from './options.js';

const POLICIES: readonly OverflowPolicy[] = ['block', 'drop-newest', 'drop-oldest'];
const DEFAULT_RESTART: ResolvedRetry = { attempts: Infinity, baseDelayMs: 100, maxDelayMs: 30_000, jitter: 0.2, retryable: undefined };

/**
 * Fluent configuration of a {@link Hub}. Setters record values; `build()`
 * validates everything and throws a {@link ConfigError} naming the first
 * problem.
 *
 * @example
 * ```ts
 * import { Hub } from 'polku';
 *
 * const hub = Hub.builder()
 *   .bufferCapacity(100_000)
 *   .batchSize(500)
 *   .flushInterval(20)
 *   .overflow('block')
 *   .input(grpcInput)
 *   .middleware(authMiddleware, enrichMiddleware)
 *   .output(kafkaOutput, { retry: { attempts: 5 }, deadLetter: 'dlq' })
 *   .output(webhookOutput, { batchSize: 50 })
 *   .deadLetter(fileOutput)
 *   .build();
 * ```
 */
export class HubBuilder {
	#bufferCapacity = 10_000;
	#batchSize: number | undefined;
	#flushInterval = 10;
	#overflow: OverflowPolicy = 'block';
	#retry: RetryOptions | false | undefined;
	#logger: Logger = silentLogger;
	readonly #inputs: { input: Input; options: InputOptions }[] = [];
	readonly #middleware: Middleware[] = [];
	readonly #outputs: { output: Output; options: OutputOptions; deadLetter: boolean }[] = [];

	/** How many messages the buffer holds. @default 10000 */
	bufferCapacity(capacity: number): this {
		this.#bufferCapacity = capacity;
		return this;
	}

	/** Default largest batch per output send. At most the buffer capacity. @default 100 (or the capacity, if smaller) */
	batchSize(size: number): this {
		this.#batchSize = size;
		return this;
	}

	/** Default longest wait (ms) before a partial batch is sent; 0 sends at once. @default 10 */
	flushInterval(ms: number): this {
		this.#flushInterval = ms;
		return this;
	}

	/** What to do when the buffer is full (see {@link OverflowPolicy}). @default 'block' */
	overflow(policy: OverflowPolicy): this {
		this.#overflow = policy;
		return this;
	}

	/** Default retry policy of every output. @default { attempts: 3, baseDelayMs: 100, maxDelayMs: 10000, jitter: 0.2 } */
	retry(options: RetryOptions | false): this {
		this.#retry = options;
		return this;
	}

	/** Where polku logs (silent by default). */
	logger(logger: Logger): this {
		this.#logger = logger;
		return this;
	}

	/** Adds an input; its name must be unique among inputs. */
	input(input: Input, options: InputOptions = {}): this {
		this.#inputs.push({ input, options });
		return this;
	}

	/** Appends middleware, run in the order added. */
	middleware(...middleware: Middleware[]): this {
		this.#middleware.push(...middleware);
		return this;
	}

	/** Adds an output; receives every message with an empty `routeTo`, and those that name it. */
	output(output: Output, options: OutputOptions = {}): this {
		this.#outputs.push({ output, options, deadLetter: false });
		return this;
	}

	/**
	 * Adds a dead-letter output: it receives only batches that another output
	 * (whose `deadLetter` option names it) finally failed, never broadcast or
	 * routed traffic. Its own failures are dropped with reason `output-failed`.
	 */
	deadLetter(output: Output, options: Omit<OutputOptions, 'deadLetter' | 'maxPending'> = {}): this {
		this.#outputs.push({ output, options, deadLetter: true });
		return this;
	}

	/** Validates the configuration and creates the hub. */
	build(): Hub {
		const capacity = checkInteger('bufferCapacity', this.#bufferCapacity, 1, 2 ** 30);
		const batchSize = checkInteger('batchSize', this.#batchSize ?? Math.min(100, capacity), 1, capacity);
		const flushInterval = checkNumber('flushInterval', this.#flushInterval, 0, 2 ** 31 - 1);
		if (!POLICIES.includes(this.#overflow)) {
			throw new ConfigError('overflow', `must be one of ${POLICIES.join(', ')}, got ${String(this.#overflow)}`);
		}
		const retry = resolveRetry('retry', this.#retry, DEFAULT_RETRY);

		const inputNames = new Set<string>();
		const inputs = this.#inputs.map(({ input, options }, i) => {
			const name = checkName(`input #${i + 1}`, input, 'run');
			if (inputNames.has(name)) throw new ConfigError(`input "${name}"`, 'duplicate input name');
			inputNames.add(name);
			const restart = options.restart;
			const resolved = restart === undefined || restart === false ? undefined : resolveRestart(`input "${name}".restart`, restart);
			return { input, restart: resolved };
		});

		this.#middleware.forEach((m, i) => checkName(`middleware #${i + 1}`, m, 'process'));

		const names = new Set<string>();
		const deadLetterNames = new Set(this.#outputs.filter((o) => o.deadLetter).map((o) => o.output?.name));
		const outputs: { output: Output; options: LaneOptions }[] = [];
		const deadLetters: { output: Output; options: LaneOptions }[] = [];
		this.#outputs.forEach(({ output, options, deadLetter }, i) => {
			const name = checkName(`output #${i + 1}`, output, 'send');
			if (names.has(name)) throw new ConfigError(`output "${name}"`, 'duplicate output name');
			names.add(name);
			const field = `output "${name}"`;
			let lane: LaneOptions = {
				batchSize: checkInteger(`${field}.batchSize`, options.batchSize ?? batchSize, 1, capacity),
				flushInterval: checkNumber(`${field}.flushInterval`, options.flushInterval ?? flushInterval, 0, 2 ** 31 - 1),
				retry: resolveRetry(`${field}.retry`, options.retry, retry),
				deadLetter: (options as OutputOptions).deadLetter,
				timeoutMs: options.timeoutMs === undefined ? undefined : checkNumber(`${field}.timeoutMs`, options.timeoutMs, 1, 2 ** 31 - 1),
				circuitBreaker: checkCircuit(`${field}.circuitBreaker`, options.circuitBreaker),
				maxPending: undefined,
				maxInFlight: checkInteger(`${field}.maxInFlight`, options.maxInFlight ?? 1, 1, 1024),
				stall: undefined,
			};
			if (options.maxPending !== undefined) {
				if (deadLetter) throw new ConfigError(`${field}.maxPending`, 'does not apply to a dead-letter output (its queue is bounded by the capacity)');
				lane = { ...lane, maxPending: checkInteger(`${field}.maxPending`, options.maxPending, lane.batchSize, capacity) };
			}
			if (options.stall !== undefined && options.stall !== false && (options.stall === null || typeof options.stall !== 'object')) {
				throw new ConfigError(`${field}.stall`, 'must be an object or false');
			}
			if (deadLetter) {
				if (options.stall !== undefined && options.stall !== false) {
					throw new ConfigError(`${field}.stall`, 'does not apply to a dead-letter output (its queue is separate from the buffer)');
				}
			} else if (options.stall !== false) {
				const bound = lane.maxPending ?? capacity;
				const stall = options.stall ?? {};
				const maxPending = checkInteger(`${field}.stall.maxPending`, stall.maxPending ?? Math.min(bound, Math.max(lane.batchSize, Math.floor(capacity / 16))), lane.batchSize, bound);
				lane = { ...lane, stall: { afterMs: checkNumber(`${field}.stall.afterMs`, stall.afterMs ?? 2000, 1, 2 ** 31 - 1), maxPending } };
			}
			if (lane.deadLetter !== undefined) {
				if (deadLetter) throw new ConfigError(`${field}.deadLetter`, 'a dead-letter output cannot have a dead-letter output');
				if (!deadLetterNames.has(lane.deadLetter)) {
					throw new ConfigError(`${field}.deadLetter`, `"${lane.deadLetter}" is not registered with .deadLetter()`);
				}
			}
			(deadLetter ? deadLetters : outputs).push({ output, options: lane });
		});
		if (outputs.length === 0) throw new ConfigError('outputs', 'add at least one output with .output()');

		return new Hub({
			bufferCapacity: capacity,
			overflow: this.#overflow,
			inputs,
			middleware: [...this.#middleware],
			outputs,
			deadLetters,
			logger: this.#logger,
		});
	}
}

function checkCircuit(field: string, options: OutputCircuitOptions | undefined): OutputCircuitOptions | undefined {
	if (options === undefined) return undefined;
	if (options === null || typeof options !== 'object') throw new ConfigError(field, 'must be an object');
	const { whenOpen } = options;
	if (whenOpen !== undefined && whenOpen !== 'wait' && whenOpen !== 'dead-letter') {
		throw new ConfigError(`${field}.whenOpen`, `must be 'wait' or 'dead-letter', got ${String(whenOpen)}`);
	}
	return options;
}

function checkName(field: string, value: unknown, method: string): string {
	if (value === null || typeof value !== 'object') throw new ConfigError(field, 'must be an object');
	const { name } = value as { name?: unknown };
	if (typeof name !== 'string' || name.length === 0) throw new ConfigError(`${field}.name`, 'must be a non-empty string');
	if (typeof (value as Record<string, unknown>)[method] !== 'function') {
		throw new ConfigError(`${field} "${name}".${method}`, 'must be a function');
	}
	return name;
}

function resolveRestart(field: string, restart: true | { attempts?: number; baseDelayMs?: number; maxDelayMs?: number }): ResolvedRetry {
	if (restart === true) return DEFAULT_RESTART;
	const attempts = restart.attempts ?? Infinity;
	if (attempts !== Infinity) checkInteger(`${field}.attempts`, attempts, 0);
	return { ...resolveRetry(field, { ...restart, attempts: 1 }, DEFAULT_RESTART), attempts };
}

import { ConfigError } from '../errors.js';
import type { Input } from '../input/input.js';
import type { Logger } from '../logger.js';
import type { Middleware } from '../middleware/middleware.js';
import { checkInteger, checkNumber } from '../option-checks.js';
import type { LaneOptions } from '../output/lane.js';
import type { Output } from '../output/output.js';
import { DEFAULT_RETRY, resolveRetry, type InputOptions, type OutputCircuitOptions, type OutputOptions, type OverflowPolicy, type ResolvedRetry, type RetryOptions } from './options.js';

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

/** What a `HubBuilder` recorded. */
export interface BuilderState {
	readonly bufferCapacity: number;
	readonly batchSize: number | undefined;
	readonly flushInterval: number;
	readonly overflow: OverflowPolicy;
	readonly retry: RetryOptions | false | undefined;
	readonly logger: Logger;
	readonly inputs: readonly { input: Input; options: InputOptions }[];
	readonly middleware: readonly Middleware[];
	readonly outputs: readonly { output: Output; options: OutputOptions; deadLetter: boolean }[];
}

const POLICIES: readonly OverflowPolicy[] = ['block', 'drop-newest', 'drop-oldest'];
const DEFAULT_RESTART: ResolvedRetry = { attempts: Infinity, baseDelayMs: 100, maxDelayMs: 30_000, jitter: 0.2, retryable: undefined };

/** Validates what a builder recorded, throwing a `ConfigError` naming the first problem. */
export function resolveHubConfig(state: BuilderState): HubConfig {

	const capacity = checkInteger('bufferCapacity', state.bufferCapacity, 1, 2 ** 30);
	const batchSize = checkInteger('batchSize', state.batchSize ?? Math.min(100, capacity), 1, capacity);
	const flushInterval = checkNumber('flushInterval', state.flushInterval, 0, 2 ** 31 - 1);
	if (!POLICIES.includes(state.overflow)) {
		throw new ConfigError('overflow', `must be one of ${POLICIES.join(', ')}, got ${String(state.overflow)}`);
	}
	const retry = resolveRetry('retry', state.retry, DEFAULT_RETRY);

	const inputNames = new Set<string>();
	const inputs = state.inputs.map(({ input, options }, i) => {
		const name = checkName(`input #${i + 1}`, input, 'run');
		if (inputNames.has(name)) throw new ConfigError(`input "${name}"`, 'duplicate input name');
		inputNames.add(name);
		const restart = options.restart;
		const resolved = restart === undefined || restart === false ? undefined : resolveRestart(`input "${name}".restart`, restart);
		return { input, restart: resolved };
	});

	state.middleware.forEach((m, i) => checkName(`middleware #${i + 1}`, m, 'process'));

	const names = new Set<string>();
	const deadLetterNames = new Set(state.outputs.filter((o) => o.deadLetter).map((o) => o.output?.name));
	const outputs: { output: Output; options: LaneOptions }[] = [];
	const deadLetters: { output: Output; options: LaneOptions }[] = [];
	state.outputs.forEach(({ output, options, deadLetter }, i) => {
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

	return {
		bufferCapacity: capacity,
		overflow: state.overflow,
		inputs,
		middleware: [...state.middleware],
		outputs,
		deadLetters,
		logger: state.logger,
	};
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

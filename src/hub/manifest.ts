import type { Input } from '../input/input.js';
import type { Middleware } from '../middleware/middleware.js';
import type { LaneOptions } from '../output/lane.js';
import type { Output } from '../output/output.js';
import type { OverflowPolicy, ResolvedRetry } from './options.js';
import type { HubState } from './stats.js';

/**
 * The pipeline's topology as JSON-serialisable data, for a `/pipeline`
 * endpoint or a startup log line: inputs, middleware in order, outputs with
 * their options. `kind` is the class name of the plugin (`GrpcInput`,
 * `MemoryOutput`, …), or `object` for plain objects.
 *
 * @example
 * ```ts
 * server.on('request', (req, res) => {
 *   if (req.url === '/pipeline') res.end(JSON.stringify(hub.manifest()));
 * });
 * ```
 */
export interface PipelineManifest {
	readonly state: HubState;
	readonly buffer: { readonly capacity: number; readonly overflow: OverflowPolicy };
	readonly inputs: readonly { readonly name: string; readonly kind: string; readonly restart: boolean }[];
	readonly middleware: readonly { readonly name: string; readonly kind: string }[];
	readonly outputs: readonly OutputManifest[];
}

/**
 * One output in a {@link PipelineManifest}.
 *
 * @example
 * ```ts
 * const webhook = hub.manifest().outputs.find((o) => o.name === 'webhook');
 * console.log(webhook?.retry.attempts);
 * ```
 */
export interface OutputManifest {
	readonly name: string;
	readonly kind: string;
	/** True for outputs registered with `.deadLetter()`. */
	readonly deadLetter: boolean;
	readonly batchSize: number;
	readonly flushInterval: number;
	readonly retry: { readonly attempts: number; readonly baseDelayMs: number; readonly maxDelayMs: number; readonly jitter: number };
	/** The dead-letter output this output's failures go to. */
	readonly deadLetterOutput?: string;
	readonly timeoutMs?: number;
	/** See `OutputOptions.maxPending`. */
	readonly maxPending?: number;
	/** See `OutputOptions.maxInFlight`. */
	readonly maxInFlight: number;
	/** See `OutputOptions.stall` (`false`: off, or a dead-letter output). */
	readonly stall: { readonly afterMs: number; readonly maxPending: number } | false;
	readonly circuitBreaker?: { readonly failureThreshold: number; readonly successThreshold: number; readonly openMs: number; readonly whenOpen: 'wait' | 'dead-letter' };
}

const kindOf = (value: object): string => {
	const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name;
	return name === undefined || name === '' || name === 'Object' ? 'object' : name;
};

const retryOf = (r: ResolvedRetry): OutputManifest['retry'] => ({ attempts: r.attempts, baseDelayMs: r.baseDelayMs, maxDelayMs: r.maxDelayMs, jitter: r.jitter });

/** Builds the manifest. @internal */
export function buildManifest(
	state: HubState,
	capacity: number,
	overflow: OverflowPolicy,
	inputs: readonly { readonly input: Input; readonly restart: ResolvedRetry | undefined }[],
	middleware: readonly Middleware[],
	middlewareNames: readonly string[],
	outputs: readonly { readonly output: Output; readonly options: LaneOptions; readonly deadLetter: boolean }[],
): PipelineManifest {
	return {
		state,
		buffer: { capacity, overflow },
		inputs: inputs.map(({ input, restart }) => ({ name: input.name, kind: kindOf(input), restart: restart !== undefined })),
		middleware: middleware.map((m, i) => ({ name: middlewareNames[i]!, kind: kindOf(m) })),
		outputs: outputs.map(({ output, options, deadLetter }) => {
			const cb = options.circuitBreaker;
			return {
				name: output.name,
				kind: kindOf(output),
				deadLetter,
				batchSize: options.batchSize,
				flushInterval: options.flushInterval,
				retry: retryOf(options.retry),
				...(options.deadLetter === undefined ? {} : { deadLetterOutput: options.deadLetter }),
				...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
				...(options.maxPending === undefined ? {} : { maxPending: options.maxPending }),
				maxInFlight: options.maxInFlight,
				stall: options.stall === undefined ? false : { afterMs: options.stall.afterMs, maxPending: options.stall.maxPending },
				...(cb === undefined
					? {}
					: {
							circuitBreaker: {
								failureThreshold: cb.failureThreshold ?? 5,
								successThreshold: cb.successThreshold ?? 1,
								openMs: cb.openMs ?? 10_000,
								whenOpen: cb.whenOpen ?? 'wait',
							},
						}),
			};
		}),
	};
}

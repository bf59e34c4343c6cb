import { ConfigError } from '../../index.js';

/**
 * Default upper bounds (seconds) of `polku_output_send_duration_seconds`:
 * 1 ms to 10 s, for batches that go to memory, a local socket or a remote API.
 *
 * @example
 * ```ts
 * import { DEFAULT_SEND_DURATION_BUCKETS } from 'polku/prometheus';
 *
 * attachMetrics(hub, { buckets: [0.0005, ...DEFAULT_SEND_DURATION_BUCKETS] });
 * ```
 */
export const DEFAULT_SEND_DURATION_BUCKETS: readonly number[] = Object.freeze([
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

/**
 * Options shared by {@link prometheusText}, {@link collectMetricFamilies} and
 * {@link registerMetrics}.
 *
 * @example
 * ```ts
 * const options: MetricsOptions = { prefix: 'orders_polku_', labels: { pipeline: 'orders' }, buckets: [0.01, 0.1, 1] };
 * ```
 */
export interface MetricsOptions {
	/** Prepended to every metric name; must make names match `[a-zA-Z_:][a-zA-Z0-9_:]*`. @default 'polku_' */
	readonly prefix?: string;
	/**
	 * Constant labels added to every sample, e.g. `{ pipeline: 'orders' }`, to
	 * tell several hubs apart. Names must match `[a-zA-Z_][a-zA-Z0-9_]*`, must
	 * not start with `__` and must not be a label polku uses itself (`output`,
	 * `reason`, `middleware`, `counter`, `input`, `le`).
	 * @default {}
	 */
	readonly labels?: Readonly<Record<string, string>>;
	/**
	 * Upper bounds (seconds, finite, strictly increasing) of the send-duration
	 * histogram; `+Inf` is implicit. For the text path they apply when the hub
	 * is first attached (see {@link attachMetrics}).
	 * @default DEFAULT_SEND_DURATION_BUCKETS
	 */
	readonly buckets?: readonly number[];
}

/** Options after defaults and validation. @internal */
export interface ResolvedMetricsOptions {
	readonly prefix: string;
	readonly labels: Readonly<Record<string, string>>;
	readonly labelNames: readonly string[];
}

/** The label names polku's own metrics use. @internal */
export const RESERVED_LABELS: ReadonlySet<string> = new Set(['output', 'reason', 'middleware', 'counter', 'input', 'le', 'quantile']);

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Validates `prefix` and `labels`. @internal */
export function resolveMetricsOptions(options: MetricsOptions): ResolvedMetricsOptions {
	if (options === null || typeof options !== 'object') throw new ConfigError('options', 'must be an object');
	const prefix = options.prefix ?? 'polku_';
	if (typeof prefix !== 'string' || (prefix !== '' && !METRIC_NAME.test(prefix))) {
		throw new ConfigError('prefix', `must match ${METRIC_NAME.source} (or be empty), got ${JSON.stringify(prefix)}`);
	}
	const labels = options.labels ?? {};
	if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) throw new ConfigError('labels', 'must be an object of strings');
	const labelNames = Object.keys(labels);
	for (const name of labelNames) {
		const field = `labels.${name}`;
		if (!LABEL_NAME.test(name) || name.startsWith('__')) {
			throw new ConfigError(field, `label name must match ${LABEL_NAME.source} and not start with "__"`);
		}
		if (RESERVED_LABELS.has(name)) throw new ConfigError(field, `"${name}" is a label polku's metrics use themselves`);
		if (typeof labels[name] !== 'string') throw new ConfigError(field, `must be a string, got ${typeof labels[name]}`);
	}
	return { prefix, labels: Object.freeze({ ...labels }), labelNames };
}

/** Validates histogram bounds; returns a frozen copy. @internal */
export function resolveBuckets(buckets: readonly number[] | undefined): readonly number[] {
	if (buckets === undefined) return DEFAULT_SEND_DURATION_BUCKETS;
	if (!Array.isArray(buckets) || buckets.length === 0) throw new ConfigError('buckets', 'must be a non-empty array of numbers');
	for (let i = 0; i < buckets.length; i++) {
		const bound: unknown = buckets[i];
		if (typeof bound !== 'number' || !Number.isFinite(bound)) {
			throw new ConfigError(`buckets[${i}]`, `must be a finite number (+Inf is implicit), got ${String(bound)}`);
		}
		if (i > 0 && bound <= buckets[i - 1]!) throw new ConfigError(`buckets[${i}]`, `must be greater than ${buckets[i - 1]}`);
	}
	return Object.freeze([...buckets]);
}

/** Whether two bucket layouts are the same. @internal */
export function sameBuckets(a: readonly number[], b: readonly number[]): boolean {
	return a.length === b.length && a.every((bound, i) => bound === b[i]);
}

import type { Hub, HubStats } from '../../index.js';
import { sendDurationsOf } from './attach.js';
import { SCALAR_DEFINITIONS, SEND_DURATION, type ScalarDefinition } from './definitions.js';
import { resolveMetricsOptions, type MetricsOptions, type ResolvedMetricsOptions } from './options.js';
import type { SendDurations } from './send-durations.js';

/**
 * A sample's labels: the constant labels, then the metric's own.
 *
 * @example
 * ```ts
 * const labels: MetricLabels = { pipeline: 'orders', output: 'warehouse' };
 * ```
 */
export type MetricLabels = Readonly<Record<string, string>>;

/**
 * One sample of a counter or gauge.
 *
 * @example
 * ```ts
 * const sample: MetricSample = { labels: { output: 'warehouse' }, value: 42 };
 * ```
 */
export interface MetricSample {
	readonly labels: MetricLabels;
	readonly value: number;
}

/**
 * One histogram series: `buckets[i]` counts observations `<= bounds[i]` of
 * its family (cumulative); `count` is the `+Inf` bucket.
 *
 * @example
 * ```ts
 * const series: HistogramSample = { labels: { output: 'db' }, buckets: [1, 3], sum: 0.12, count: 4 };
 * ```
 */
export interface HistogramSample {
	readonly labels: MetricLabels;
	readonly buckets: readonly number[];
	readonly sum: number;
	readonly count: number;
}

/**
 * A counter or gauge family.
 *
 * @example
 * ```ts
 * const family: ScalarFamily = { name: 'polku_up', help: '1 while running', type: 'gauge', samples: [{ labels: {}, value: 1 }] };
 * ```
 */
export interface ScalarFamily {
	readonly name: string;
	readonly help: string;
	readonly type: 'counter' | 'gauge';
	readonly samples: readonly MetricSample[];
}

/**
 * A histogram family; `bounds` are the finite upper bounds shared by its series.
 *
 * @example
 * ```ts
 * const family: HistogramFamily = { name: 'x_seconds', help: 'x', type: 'histogram', bounds: [0.1, 1], samples: [] };
 * ```
 */
export interface HistogramFamily {
	readonly name: string;
	readonly help: string;
	readonly type: 'histogram';
	readonly bounds: readonly number[];
	readonly samples: readonly HistogramSample[];
}

/**
 * A metric family: what one `# HELP` / `# TYPE` block of the text format holds.
 *
 * @example
 * ```ts
 * const names = collectMetricFamilies(hub).map((f: MetricFamily) => f.name);
 * ```
 */
export type MetricFamily = ScalarFamily | HistogramFamily;

/** One counter or gauge family from a stats snapshot. @internal */
export function scalarFamily(definition: ScalarDefinition, stats: HubStats, options: ResolvedMetricsOptions): ScalarFamily {
	const samples: MetricSample[] = [];
	const [firstName, secondName] = definition.labelNames;
	const constant = options.labels;
	definition.read(stats, (value, first, second) => {
		const labels: Record<string, string> = { ...constant };
		if (firstName !== undefined) labels[firstName] = first ?? '';
		if (secondName !== undefined) labels[secondName] = second ?? '';
		samples.push({ labels, value });
	});
	return { name: options.prefix + definition.name, help: definition.help, type: definition.type, samples };
}

/** The histogram family from recorded send durations. @internal */
export function sendDurationFamily(durations: SendDurations, options: ResolvedMetricsOptions): HistogramFamily {
	const samples: HistogramSample[] = [];
	for (const [output, series] of durations.series()) {
		const buckets: number[] = [];
		let cumulative = 0;
		for (let i = 0; i < durations.bounds.length; i++) buckets.push((cumulative += series.counts[i]!));
		samples.push({ labels: { ...options.labels, output }, buckets, sum: series.sum, count: series.count });
	}
	return { name: options.prefix + SEND_DURATION.name, help: SEND_DURATION.help, type: 'histogram', bounds: durations.bounds, samples };
}

/**
 * Every polku metric of `hub`, from one `hub.stats()` snapshot plus the
 * send-duration histogram (attaching the hub on first use, see
 * {@link attachMetrics}). Dependency-free; {@link prometheusText} renders
 * exactly this.
 *
 * @param hub - The hub to read.
 * @param options - Prefix, constant labels and (on first attachment) buckets.
 * @throws ConfigError - when an option is invalid.
 * @example
 * ```ts
 * import { collectMetricFamilies } from 'polku/prometheus';
 *
 * for (const family of collectMetricFamilies(hub, { labels: { pipeline: 'orders' } })) {
 *   if (family.type !== 'histogram') for (const s of family.samples) console.log(family.name, s.labels, s.value);
 * }
 * ```
 */
export function collectMetricFamilies(hub: Hub, options: MetricsOptions = {}): MetricFamily[] {
	const resolved = resolveMetricsOptions(options);
	const durations = sendDurationsOf(hub, options.buckets);
	const stats = hub.stats();
	const families: MetricFamily[] = SCALAR_DEFINITIONS.map((definition) => scalarFamily(definition, stats, resolved));
	let at = families.length;
	while (at > 0 && !SCALAR_DEFINITIONS[at - 1]!.name.startsWith('output_')) at--;
	families.splice(at, 0, sendDurationFamily(durations, resolved));
	return families;
}

import { ConfigError, type Hub } from '../../index.js';
import { collectMetricFamilies, type HistogramFamily, type MetricFamily, type MetricLabels, type ScalarFamily } from './families.js';
import { sameBuckets, type MetricsOptions } from './options.js';

/**
 * The `Content-Type` of {@link prometheusText}'s output (text exposition format 0.0.4).
 *
 * @example
 * ```ts
 * res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(prometheusText(hub));
 * ```
 */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Renders `hub`'s metrics in the Prometheus text exposition format 0.0.4,
 * without prom-client. The first call for a hub attaches a `flush` listener
 * for the send-duration histogram (see {@link attachMetrics}); its durations
 * start at that moment.
 *
 * @param hub - The hub to read.
 * @param options - Prefix, constant labels and (on first attachment) buckets.
 * @throws ConfigError - when an option is invalid.
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { PROMETHEUS_CONTENT_TYPE, prometheusText } from 'polku/prometheus';
 *
 * createServer((req, res) => {
 *   if (req.url === '/metrics') res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(prometheusText(hub));
 *   else res.writeHead(404).end();
 * }).listen(9464);
 * ```
 */
export function prometheusText(hub: Hub, options: MetricsOptions = {}): string {
	return formatPrometheusText(collectMetricFamilies(hub, options));
}

/**
 * Renders metric families in the text exposition format 0.0.4. Families with
 * the same name are merged into one block (first help wins), so the families
 * of several hubs, told apart by constant labels, make one valid document.
 *
 * @param families - The families; samples of merged families must differ in their labels.
 * @throws ConfigError - when two families share a name but not a type or histogram bounds.
 * @example
 * ```ts
 * const text = formatPrometheusText([
 *   ...collectMetricFamilies(ordersHub, { labels: { pipeline: 'orders' } }),
 *   ...collectMetricFamilies(auditHub, { labels: { pipeline: 'audit' } }),
 * ]);
 * ```
 */
export function formatPrometheusText(families: readonly MetricFamily[]): string {
	const merged = new Map<string, MetricFamily[]>();
	for (const family of families) {
		const group = merged.get(family.name);
		if (group === undefined) {
			merged.set(family.name, [family]);
			continue;
		}
		const first = group[0]!;
		if (first.type !== family.type) throw new ConfigError(`families "${family.name}"`, `is both a ${first.type} and a ${family.type}`);
		if (first.type === 'histogram' && !sameBuckets(first.bounds, (family as HistogramFamily).bounds)) {
			throw new ConfigError(`families "${family.name}"`, 'histograms with different buckets');
		}
		group.push(family);
	}
	let out = '';
	for (const [name, group] of merged) {
		const first = group[0]!;
		out += `# HELP ${name} ${escapeHelp(first.help)}\n# TYPE ${name} ${first.type}\n`;
		for (const family of group) out += family.type === 'histogram' ? histogramLines(family) : scalarLines(family);
	}
	return out;
}

function scalarLines(family: ScalarFamily): string {
	let out = '';
	for (const sample of family.samples) out += `${family.name}${labelSet(sample.labels, '')} ${formatNumber(sample.value)}\n`;
	return out;
}

function histogramLines(family: HistogramFamily): string {
	const { name, bounds } = family;
	let out = '';
	for (const sample of family.samples) {
		for (let i = 0; i < bounds.length; i++) {
			out += `${name}_bucket${labelSet(sample.labels, formatNumber(bounds[i]!))} ${formatNumber(sample.buckets[i] ?? 0)}\n`;
		}
		out += `${name}_bucket${labelSet(sample.labels, '+Inf')} ${formatNumber(sample.count)}\n`;
		const labels = labelSet(sample.labels, '');
		out += `${name}_sum${labels} ${formatNumber(sample.sum)}\n${name}_count${labels} ${formatNumber(sample.count)}\n`;
	}
	return out;
}

/** `{a="x",b="y"}` (with `le` last when given), or '' without labels. */
function labelSet(labels: MetricLabels, le: string): string {
	let out = '';
	for (const name in labels) out += `${out === '' ? '' : ','}${name}="${escapeLabelValue(labels[name]!)}"`;
	if (le !== '') out += `${out === '' ? '' : ','}le="${le}"`;
	return out === '' ? '' : `{${out}}`;
}

const LABEL_SPECIAL = /[\\"\n]/g;
const HELP_SPECIAL = /[\\\n]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '"': '\\"', '\n': '\\n' };
const escapeChar = (c: string): string => ESCAPES[c]!;

/** Escapes `\`, `"` and line feeds in a label value. @internal */
export function escapeLabelValue(value: string): string {
	return value.replace(LABEL_SPECIAL, escapeChar);
}

/** Escapes `\` and line feeds in a help text. @internal */
export function escapeHelp(help: string): string {
	return help.replace(HELP_SPECIAL, escapeChar);
}

/** A sample value or bound as the format wants it: `NaN`, `+Inf`, `-Inf`, or a float. @internal */
export function formatNumber(value: number): string {
	if (value === Infinity) return '+Inf';
	if (value === -Infinity) return '-Inf';
	return String(value);
}

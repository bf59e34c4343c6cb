import type { Counter, Gauge, Histogram, Registry, RegistryContentType } from 'prom-client';
import { ConfigError, type FlushEvent, type Hub } from '../../index.js';
import { SCALAR_DEFINITIONS, SEND_DURATION } from './definitions.js';
import { scalarFamily, type MetricLabels, type ScalarFamily } from './families.js';
import type { ResolvedMetricsOptions } from './options.js';
import type { PromClientTypes } from './load-prom-client.js';

/** A prom-client registry of either content type. @internal */
export type AnyRegistry = Registry<RegistryContentType>;

type PromMetric = Counter<string> | Gauge<string> | Histogram<string>;

interface Source {
	readonly hub: Hub;
	readonly options: ResolvedMetricsOptions;
	readonly key: string;
	readonly histogramLabels: Map<string, MetricLabels>;
	readonly onFlush: (event: FlushEvent) => void;
}

/**
 * The prom-client metrics of one prefix in one registry, shared by every hub
 * registered there (a registry allows one metric per name). Counters and
 * gauges are filled on scrape from one `stats()` snapshot per hub per scrape;
 * the histogram is observed from each hub's `flush` events.
 *
 * @internal
 */
export class RegistryGroup {
	readonly labelNames: readonly string[];
	readonly buckets: readonly number[];
	readonly #registry: AnyRegistry;
	readonly #metrics: { readonly name: string; readonly metric: PromMetric }[] = [];
	readonly #histogram: Histogram<string>;
	readonly #sources = new Set<Source>();
	#snapshot: ScalarFamily[][] | undefined;

	constructor(client: PromClientTypes, registry: AnyRegistry, options: ResolvedMetricsOptions, buckets: readonly number[]) {
		this.#registry = registry;
		this.labelNames = [...options.labelNames].sort();
		this.buckets = buckets;
		const names = [...SCALAR_DEFINITIONS.map((d) => d.name), SEND_DURATION.name].map((n) => options.prefix + n);
		const taken = names.find((name) => registry.getSingleMetric(name) !== undefined);
		if (taken !== undefined) throw new ConfigError('prefix', `a metric named "${taken}" is already registered in this registry`);
		try {
			SCALAR_DEFINITIONS.forEach((definition, index) => {
				const config = {
					name: options.prefix + definition.name,
					help: definition.help,
					labelNames: [...this.labelNames, ...definition.labelNames],
					registers: [registry],
					aggregator: definition.aggregation,
				};
				if (definition.type === 'counter') {
					const counter: Counter<string> = new client.Counter({ ...config, collect: () => this.#fill(counter, index, (l, v) => counter.inc(l, v)) });
					this.#metrics.push({ name: config.name, metric: counter });
				} else {
					const gauge: Gauge<string> = new client.Gauge({ ...config, collect: () => this.#fill(gauge, index, (l, v) => gauge.set(l, v)) });
					this.#metrics.push({ name: config.name, metric: gauge });
				}
			});
			this.#histogram = new client.Histogram({
				name: options.prefix + SEND_DURATION.name,
				help: SEND_DURATION.help,
				labelNames: [...this.labelNames, ...SEND_DURATION.labelNames],
				buckets: [...buckets],
				registers: [registry],
				aggregator: 'sum',
			});
			this.#metrics.push({ name: options.prefix + SEND_DURATION.name, metric: this.#histogram });
		} catch (error) {
			this.dispose();
			throw error;
		}
	}

	get empty(): boolean {
		return this.#sources.size === 0;
	}

	/** Adds a hub's series; returns the function that removes them. */
	add(hub: Hub, options: ResolvedMetricsOptions): () => void {
		const names = [...options.labelNames].sort();
		if (names.join(',') !== this.labelNames.join(',')) {
			throw new ConfigError(
				'labels',
				`hubs registered in one registry with one prefix need the same label names: [${this.labelNames.join(', ')}], got [${names.join(', ')}]`,
			);
		}
		const key = JSON.stringify(names.map((n) => options.labels[n]));
		for (const s of this.#sources) {
			if (s.key === key) throw new ConfigError('labels', `another hub is registered in this registry with the same labels ${JSON.stringify(options.labels)}`);
		}
		this.#ensureRegistered();
		const histogram = this.#histogram;
		const histogramLabels = new Map<string, MetricLabels>();
		const labelsOf = (output: string): MetricLabels => {
			let labels = histogramLabels.get(output);
			if (labels === undefined) {
				labels = { ...options.labels, output };
				histogramLabels.set(output, labels);
				histogram.zero(labels);
			}
			return labels;
		};
		for (const output of Object.keys(hub.stats().outputs)) labelsOf(output);
		const source: Source = { hub, options, key, histogramLabels, onFlush: (e) => histogram.observe(labelsOf(e.output), e.durationMs / 1000) };
		hub.on('flush', source.onFlush);
		this.#sources.add(source);
		this.#snapshot = undefined;
		return () => this.#remove(source);
	}

	#remove(source: Source): void {
		if (!this.#sources.delete(source)) return;
		source.hub.off('flush', source.onFlush);
		for (const labels of source.histogramLabels.values()) this.#histogram.remove(labels);
		this.#snapshot = undefined;
		if (this.#sources.size === 0) this.dispose();
	}

	/** Sets a metric's samples from every hub's snapshot (one `stats()` per hub per scrape). */
	#fill(metric: Counter<string> | Gauge<string>, index: number, write: (labels: MetricLabels, value: number) => void): void {
		if (this.#snapshot === undefined) {
			this.#snapshot = [...this.#sources].map(({ hub, options }) => {
				const stats = hub.stats();
				return SCALAR_DEFINITIONS.map((definition) => scalarFamily(definition, stats, options));
			});
			queueMicrotask(() => (this.#snapshot = undefined));
		}
		metric.reset();
		for (const families of this.#snapshot) for (const sample of families[index]!.samples) write(sample.labels, sample.value);
	}

	/** Puts the metrics back if `registry.clear()` removed them. */
	#ensureRegistered(): void {
		for (const { name, metric } of this.#metrics) {
			const current = this.#registry.getSingleMetric(name);
			if (current === metric) continue;
			if (current !== undefined) throw new ConfigError('prefix', `a metric named "${name}" is already registered in this registry`);
			this.#registry.registerMetric(metric);
		}
	}

	/** Removes the metrics from the registry (they stay if something else replaced them). */
	dispose(): void {
		for (const { name, metric } of this.#metrics) {
			if (this.#registry.getSingleMetric(name) === metric) this.#registry.removeSingleMetric(name);
		}
	}
}

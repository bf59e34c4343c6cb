/**
 * polku's metrics for Prometheus: {@link prometheusText} renders the text
 * exposition format without any dependency; {@link registerMetrics} puts the
 * same metrics into a prom-client `Registry` (prom-client is an optional peer
 * dependency, loaded only by `registerMetrics`).
 *
 * @example
 * ```ts
 * import { prometheusText, PROMETHEUS_CONTENT_TYPE } from 'polku/prometheus';
 *
 * res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(prometheusText(hub));
 * ```
 *
 * @module polku/prometheus
 * @packageDocumentation
 */
export { attachMetrics, type MetricsAttachment } from './attach.js';
export {
	collectMetricFamilies,
	type HistogramFamily,
	type HistogramSample,
	type MetricFamily,
	type MetricLabels,
	type MetricSample,
	type ScalarFamily,
} from './families.js';
export { DEFAULT_SEND_DURATION_BUCKETS, type MetricsOptions } from './options.js';
export type { PromClientModule, PromMetricClass } from './prom-client-module.js';
export { registerMetrics, type PromRegistry, type RegisterMetricsOptions } from './register.js';
export { formatPrometheusText, PROMETHEUS_CONTENT_TYPE, prometheusText } from './text.js';

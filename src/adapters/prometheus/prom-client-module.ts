/**
 * A prom-client metric class (`Counter`, `Gauge`, `Histogram`) as far as the
 * published types need to know it. Structural, so polku's declarations do not
 * import prom-client: `polku/prometheus` type-checks where prom-client is not
 * installed (`prometheusText` needs none).
 *
 * @example
 * ```ts
 * import { Counter } from 'prom-client';
 * import type { PromMetricClass } from 'polku/prometheus';
 *
 * const counterClass: PromMetricClass = Counter;
 * ```
 */
export type PromMetricClass = abstract new (...args: never[]) => object;

/**
 * The `prom-client` module (`import * as client from 'prom-client'`), as
 * {@link registerMetrics} uses it to create its metrics: the three metric
 * classes. Structural (see {@link PromMetricClass}); the real module fits.
 *
 * @example
 * ```ts
 * import * as client from 'prom-client';
 * import type { PromClientModule } from 'polku/prometheus';
 *
 * const module: PromClientModule = client;
 * ```
 */
export interface PromClientModule {
	readonly Counter: PromMetricClass;
	readonly Gauge: PromMetricClass;
	readonly Histogram: PromMetricClass;
}

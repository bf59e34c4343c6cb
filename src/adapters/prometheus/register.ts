import { ConfigError, type Hub } from '../../index.js';
import { resolveBuckets, resolveMetricsOptions, sameBuckets, type MetricsOptions } from './options.js';
import { loadPromClient, type PromClientTypes } from './load-prom-client.js';
import type { PromClientModule } from './prom-client-module.js';
import { RegistryGroup, type AnyRegistry } from './registry-group.js';

/**
 * A prom-client `Registry` (of either content type) as far as the published
 * types need to know it: the methods {@link registerMetrics} calls.
 * Structural, so polku's declarations do not import prom-client; a real
 * `Registry` (or `client.register`) fits.
 *
 * @example
 * ```ts
 * import { Registry } from 'prom-client';
 * import type { PromRegistry } from 'polku/prometheus';
 *
 * const registry: PromRegistry = new Registry();
 * ```
 */
export interface PromRegistry {
	getSingleMetric(name: string): unknown;
	registerMetric(metric: never): void;
	removeSingleMetric(name: string): void;
}

/**
 * Options of {@link registerMetrics}.
 *
 * @example
 * ```ts
 * import * as client from 'prom-client';
 *
 * registerMetrics(hub, client.register, { labels: { pipeline: 'orders' }, buckets: [0.01, 0.1, 1], client });
 * ```
 */
export interface RegisterMetricsOptions extends MetricsOptions {
	/**
	 * The prom-client module to create the metrics with. Pass it when polku
	 * cannot `require('prom-client')` itself (a bundle, or an app whose
	 * prom-client is not the copy polku resolves).
	 * @default require('prom-client'), resolved from polku's own location
	 */
	readonly client?: PromClientModule;
}

const groups = new WeakMap<PromRegistry, Map<string, RegistryGroup>>();

/**
 * Registers polku's metrics for `hub` in a prom-client `registry`. Counters
 * and gauges are read from `hub.stats()` when the registry is scraped (one
 * snapshot per hub per scrape, nothing per message); the send-duration
 * histogram is observed from the hub's `flush` events from now on. Several
 * hubs can share a registry when their constant `labels` have the same names
 * and different values; they share the metric objects. Returns the function
 * that removes this hub's series (and the metrics, with the last hub).
 *
 * prom-client is an optional peer dependency, loaded synchronously on the
 * first call (never by `prometheusText`); or pass your module as `client`.
 *
 * @param hub - The hub to export.
 * @param registry - Your prom-client `Registry` (e.g. `client.register`).
 * @param options - Prefix, constant labels, histogram buckets, prom-client module.
 * @returns A function that unregisters this hub; calling it again does nothing.
 * @throws ConfigError - for an invalid option, a name already taken in the registry, or labels that clash with another hub's.
 * @throws PolkuError - `ERR_POLKU_PEER_MISSING` when prom-client cannot be loaded.
 * @example
 * ```ts
 * import { Registry, collectDefaultMetrics } from 'prom-client';
 * import { registerMetrics } from 'polku/prometheus';
 *
 * const registry = new Registry();
 * collectDefaultMetrics({ register: registry });
 * const unregister = registerMetrics(hub, registry, { labels: { pipeline: 'orders' } });
 * // GET /metrics: res.setHeader('content-type', registry.contentType).end(await registry.metrics());
 * await hub.stop();
 * unregister();
 * ```
 */
export function registerMetrics(hub: Hub, registry: PromRegistry, options: RegisterMetricsOptions = {}): () => void {
	const resolved = resolveMetricsOptions(options);
	const buckets = options.buckets === undefined ? undefined : resolveBuckets(options.buckets);
	if (registry === null || typeof registry !== 'object' || typeof registry.registerMetric !== 'function') {
		throw new ConfigError('registry', 'must be a prom-client Registry');
	}
	let byPrefix = groups.get(registry);
	if (byPrefix === undefined) groups.set(registry, (byPrefix = new Map()));
	let group = byPrefix.get(resolved.prefix);
	if (group === undefined) {
		group = new RegistryGroup((options.client as PromClientTypes | undefined) ?? loadPromClient(), registry as unknown as AnyRegistry, resolved, buckets ?? resolveBuckets(undefined));
		byPrefix.set(resolved.prefix, group);
	} else if (buckets !== undefined && !sameBuckets(buckets, group.buckets)) {
		throw new ConfigError('buckets', `hubs registered in one registry with one prefix need the same buckets: [${group.buckets.join(', ')}]`);
	}
	const theGroup = group;
	let remove: (() => void) | undefined;
	try {
		remove = theGroup.add(hub, resolved);
	} finally {
		if (theGroup.empty) {
			theGroup.dispose();
			byPrefix.delete(resolved.prefix);
		}
	}
	return () => {
		remove?.();
		remove = undefined;
		if (theGroup.empty && byPrefix.get(resolved.prefix) === theGroup) byPrefix.delete(resolved.prefix);
	};
}

import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import { PolkuError } from '../../index.js';

/**
 * The `prom-client` module (`import * as client from 'prom-client'`), as
 * {@link registerMetrics} uses it to create its metrics.
 *
 * @example
 * ```ts
 * import * as client from 'prom-client';
 * import type { PromClientModule } from 'polku/prometheus';
 *
 * const module: PromClientModule = client;
 * ```
 */
export type PromClientModule = typeof PromClient;

let loaded: PromClientModule | undefined;

/**
 * Loads the optional peer dependency `prom-client`, synchronously and only
 * when first asked (it is a CommonJS package, so `require` can load it from
 * this ES module). Nothing else in `polku/prometheus` loads it, so
 * `prometheusText` works where prom-client is not installed.
 *
 * @throws PolkuError - `ERR_POLKU_PEER_MISSING` when prom-client cannot be loaded.
 * @internal
 */
export function loadPromClient(): PromClientModule {
	if (loaded !== undefined) return loaded;
	try {
		loaded = createRequire(import.meta.url)('prom-client') as PromClientModule;
	} catch (error) {
		throw new PolkuError(
			'ERR_POLKU_PEER_MISSING',
			'registerMetrics() needs the optional peer dependency prom-client (npm install prom-client), or pass its module as options.client',
			{ cause: error },
		);
	}
	return loaded;
}

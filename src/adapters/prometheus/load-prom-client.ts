import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import { PolkuError } from '../../index.js';

/** The real module's type, used inside polku only. @internal */
export type PromClientTypes = typeof PromClient;

let loaded: PromClientTypes | undefined;

/**
 * Loads the optional peer dependency `prom-client`, synchronously and only
 * when first asked (it is a CommonJS package, so `require` can load it from
 * this ES module). Nothing else in `polku/prometheus` loads it, so
 * `prometheusText` works where prom-client is not installed.
 *
 * @throws PolkuError - `ERR_POLKU_PEER_MISSING` when prom-client cannot be loaded.
 * @internal
 */
export function loadPromClient(): PromClientTypes {
	if (loaded !== undefined) return loaded;
	try {
		loaded = createRequire(import.meta.url)('prom-client') as PromClientTypes;
	} catch (error) {
		throw new PolkuError(
			'ERR_POLKU_PEER_MISSING',
			'registerMetrics() needs the optional peer dependency prom-client (npm install prom-client), or pass its module as options.client',
			{ cause: error },
		);
	}
	return loaded;
}

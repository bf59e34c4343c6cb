import type { Hub } from '../../index.js';
import type { GrpcComponentHealth, GrpcHealthReport } from './codec/health.js';

/**
 * A `Health` answer built from a hub, for `GrpcInputOptions.health`: healthy
 * when the hub runs and every output reports healthy; one component per
 * output (its error as the message) plus `buffer` (its fill); the hub's
 * uptime; and `events_processed` = messages accepted or filtered.
 *
 * @param hub - The hub the input feeds, or a function returning it (the hub is built after the input).
 * @param timeoutMs - How long each output's `health()` may take. @default 2000
 * @returns A health callback.
 * @example
 * ```ts
 * import { Hub } from 'polku';
 * import { GrpcInput, hubHealth } from 'polku/grpc';
 *
 * const input = new GrpcInput({ health: hubHealth(() => hub) });
 * const hub = Hub.builder().input(input).output(myOutput).build();
 * ```
 */
export function hubHealth(hub: Hub | (() => Hub), timeoutMs = 2000): () => Promise<GrpcHealthReport> {
	return async () => {
		const h = typeof hub === 'function' ? hub() : hub;
		const health = await h.health({ timeoutMs });
		const stats = h.stats();
		const components: Record<string, GrpcComponentHealth> = {};
		for (const [name, o] of Object.entries(health.outputs)) components[name] = { healthy: o.healthy, message: o.error ?? '' };
		components['buffer'] = { healthy: stats.pressure < 1, message: `${stats.buffer.size}/${stats.buffer.capacity}` };
		return {
			healthy: health.healthy,
			components,
			uptimeSeconds: Math.floor(stats.uptimeMs / 1000),
			eventsProcessed: stats.accepted + stats.filtered,
		};
	};
}

import { ConfigError, type Hub } from '../../index.js';
import { resolveBuckets, sameBuckets } from './options.js';
import { SendDurations } from './send-durations.js';

/**
 * A hub's send-duration recording for the text path, made by
 * {@link attachMetrics}.
 *
 * @example
 * ```ts
 * const attachment = attachMetrics(hub, { buckets: [0.01, 0.1, 1] });
 * attachment.buckets; // [0.01, 0.1, 1]
 * attachment.detach(); // stop listening; the next prometheusText(hub) starts afresh
 * ```
 */
export interface MetricsAttachment {
	/** The histogram's upper bounds in seconds (`+Inf` implicit). */
	readonly buckets: readonly number[];
	/** Removes the `flush` listener and forgets the recorded durations. Idempotent. */
	detach(): void;
}

interface Attached extends MetricsAttachment {
	readonly durations: SendDurations;
}

const attachments = new WeakMap<Hub, Attached>();

/**
 * Starts recording `polku_output_send_duration_seconds` for `hub` by listening
 * to its `flush` events (one small event object and a binary search per
 * confirmed batch; nothing per message). {@link prometheusText} attaches
 * lazily on its first call, so durations are observed from that moment on:
 * call `attachMetrics` right after building the hub to have the histogram
 * cover everything. Idempotent: calling it again returns the same attachment;
 * asking for different buckets while attached throws a `ConfigError`.
 *
 * @param hub - The hub to observe.
 * @param options - `buckets`: upper bounds in seconds. @default DEFAULT_SEND_DURATION_BUCKETS
 * @example
 * ```ts
 * import { attachMetrics, prometheusText } from 'polku/prometheus';
 *
 * const hub = Hub.builder().input(input).output(out).build();
 * attachMetrics(hub, { buckets: [0.005, 0.05, 0.5, 5] });
 * await hub.start();
 * // later, in the /metrics handler:
 * res.end(prometheusText(hub));
 * ```
 */
export function attachMetrics(hub: Hub, options: { readonly buckets?: readonly number[] } = {}): MetricsAttachment {
	const existing = attachments.get(hub);
	if (existing !== undefined) {
		if (options.buckets !== undefined && !sameBuckets(existing.buckets, resolveBuckets(options.buckets))) {
			throw new ConfigError('buckets', `this hub is already attached with buckets [${existing.buckets.join(', ')}]; detach() it first`);
		}
		return existing;
	}
	const buckets = resolveBuckets(options.buckets);
	const durations = new SendDurations(buckets, Object.keys(hub.stats().outputs));
	hub.on('flush', durations.onFlush);
	const attached: Attached = {
		buckets,
		durations,
		detach: () => {
			if (attachments.get(hub) !== attached) return;
			hub.off('flush', durations.onFlush);
			attachments.delete(hub);
		},
	};
	attachments.set(hub, attached);
	return attached;
}

/** The send durations recorded for `hub`, attaching with `buckets` if needed. @internal */
export function sendDurationsOf(hub: Hub, buckets: readonly number[] | undefined): SendDurations {
	return (attachMetrics(hub, buckets === undefined ? {} : { buckets }) as Attached).durations;
}

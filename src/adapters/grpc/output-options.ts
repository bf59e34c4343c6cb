import type { ChannelCredentials, ChannelOptions } from '@grpc/grpc-js';
import { checkInteger, ConfigError } from '../../index.js';

/**
 * Options of {@link GrpcOutput}.
 *
 * @example
 * ```ts
 * new GrpcOutput({ name: 'upstream', endpoints: ['polku-a:50051', 'polku-b:50051'], timeoutMs: 5_000, source: 'edge-7' });
 * ```
 */
export interface GrpcOutputOptions {
	/** The output's name in the hub. @default 'grpc' */
	readonly name?: string;
	/** Downstream `polku.v1.Gateway` servers as `host:port`; batches are spread round-robin over the healthy ones. */
	readonly endpoints: readonly string[];
	/** Transport security. @default credentials.createInsecure() */
	readonly credentials?: ChannelCredentials;
	/** Options of each endpoint's channel (keepalive, message size, …). */
	readonly channelOptions?: ChannelOptions;
	/** Call metadata sent on every call, e.g. `{ authorization: 'Bearer …' }`. @default {} */
	readonly metadata?: Readonly<Record<string, string>>;
	/** How long a batch may wait for its Ack before the endpoint counts as failed. @default 10000 */
	readonly timeoutMs?: number;
	/** How often endpoints marked down are probed with `Health`. @default 5000 */
	readonly healthCheckIntervalMs?: number;
	/** `IngestBatch.source` of every batch (events keep their own source). @default '' */
	readonly source?: string;
	/** `IngestBatch.cluster` of every batch. @default '' */
	readonly cluster?: string;
}

/** Options after defaults and validation. */
export interface ResolvedGrpcOutputOptions {
	readonly name: string;
	readonly endpoints: readonly string[];
	readonly credentials: ChannelCredentials | undefined;
	readonly channelOptions: ChannelOptions;
	readonly metadata: Readonly<Record<string, string>>;
	readonly timeoutMs: number;
	readonly healthCheckIntervalMs: number;
	readonly source: string;
	readonly cluster: string;
}

/** Validates options, throwing `ConfigError` naming the field. */
export function resolveOutputOptions(options: GrpcOutputOptions): ResolvedGrpcOutputOptions {
	const field = (name: string): string => `GrpcOutput.${name}`;
	if (options === null || typeof options !== 'object') throw new ConfigError('GrpcOutput', 'options must be an object');
	const name = options.name ?? 'grpc';
	if (typeof name !== 'string' || name.length === 0) throw new ConfigError(field('name'), 'must be a non-empty string');
	const { endpoints } = options;
	if (!Array.isArray(endpoints) || endpoints.length === 0) throw new ConfigError(field('endpoints'), 'must be a non-empty array of host:port strings');
	endpoints.forEach((e: unknown, i) => {
		if (typeof e !== 'string' || e.length === 0) throw new ConfigError(`${field('endpoints')}[${i}]`, 'must be a host:port string');
	});
	if (new Set(endpoints).size !== endpoints.length) throw new ConfigError(field('endpoints'), 'must not repeat an endpoint');
	for (const key of ['source', 'cluster'] as const) {
		if (options[key] !== undefined && typeof options[key] !== 'string') throw new ConfigError(field(key), 'must be a string');
	}
	const metadata = options.metadata ?? {};
	for (const [k, v] of Object.entries(metadata)) {
		if (typeof v !== 'string') throw new ConfigError(`${field('metadata')}.${k}`, 'must be a string');
	}
	return {
		name,
		endpoints: [...endpoints],
		credentials: options.credentials,
		channelOptions: options.channelOptions ?? {},
		metadata,
		timeoutMs: checkInteger(field('timeoutMs'), options.timeoutMs ?? 10_000, 1, 2 ** 31 - 1),
		healthCheckIntervalMs: checkInteger(field('healthCheckIntervalMs'), options.healthCheckIntervalMs ?? 5000, 1, 2 ** 31 - 1),
		source: options.source ?? '',
		cluster: options.cluster ?? '',
	};
}

import type { Metadata, Server, ServerCredentials, ServerOptions } from '@grpc/grpc-js';
import { ConfigError } from '../../errors.js';
import { checkInteger } from '../../hub/options.js';
import { silentLogger, type Logger } from '../../logger.js';
import type { GrpcHealthReport } from './codec/health.js';

/**
 * What an {@link GrpcAuth} function learns about the call besides its metadata.
 *
 * @example
 * ```ts
 * const auth: GrpcAuth = (metadata, call) => call.method !== 'SendEvent' || metadata.get('x-key')[0] === 'k';
 * ```
 */
export interface GrpcCallInfo {
	/** `StreamEvents` or `SendEvent` (`Health` is never authenticated). */
	readonly method: 'StreamEvents' | 'SendEvent';
	/** The client's address, e.g. `127.0.0.1:53422`. */
	readonly peer: string;
}

/**
 * Authenticates a call from its metadata. Return (or resolve) `true` to let it
 * in; `false` or a string (the reason, sent to the client) rejects it with
 * `UNAUTHENTICATED`. A throw or rejection also rejects it.
 *
 * @example
 * ```ts
 * const auth: GrpcAuth = async (metadata) => (await keys.has(String(metadata.get('x-api-key')[0]))) || 'unknown api key';
 * ```
 */
export type GrpcAuth = (metadata: Metadata, call: GrpcCallInfo) => boolean | string | Promise<boolean | string>;

/**
 * Options of {@link GrpcInput}.
 *
 * @example
 * ```ts
 * new GrpcInput({ address: '0.0.0.0:50051', maxMessageBytes: 8 << 20, auth: bearerToken(process.env.TOKEN!) });
 * ```
 */
export interface GrpcInputOptions {
	/** The input's name in the hub. @default 'grpc' */
	readonly name?: string;
	/** Where to listen (`host:port`; port 0 picks a free port, see {@link GrpcInput.ready}). @default '0.0.0.0:50051' */
	readonly address?: string;
	/**
	 * Your own `grpc.Server`: the input only adds the `polku.v1.Gateway` service
	 * (and removes it when the hub stops); you bind and shut down the server.
	 * `address`, `credentials`, `serverOptions`, `maxMessageBytes` and
	 * `flowControlWindow` do not apply then.
	 */
	readonly server?: Server;
	/** Transport security. @default ServerCredentials.createInsecure() */
	readonly credentials?: ServerCredentials;
	/** Options of the `grpc.Server` the input creates (keepalive, `grpc.max_concurrent_streams`, …). */
	readonly serverOptions?: ServerOptions;
	/**
	 * Largest request accepted; larger ones fail with `RESOURCE_EXHAUSTED`.
	 * @default serverOptions['grpc.max_receive_message_length'], else 4194304 (4 MiB)
	 */
	readonly maxMessageBytes?: number;
	/**
	 * The HTTP/2 receive window per stream, in bytes: how much a client may send
	 * ahead of what the input has read. The 64 KiB HTTP/2 default caps one
	 * stream's throughput; a larger window lets a client keep several batches in
	 * flight. Reading still stops under backpressure, so memory per stream is
	 * bounded by this window plus the batches being admitted.
	 * @default 4194304 (4 MiB)
	 */
	readonly flowControlWindow?: number;
	/** Authenticates `StreamEvents` (once per stream) and `SendEvent` calls. @default none */
	readonly auth?: GrpcAuth;
	/**
	 * `false`: ack once the hub accepted (or filtered, or dropped) each event.
	 * `true`: ack once every output confirmed it (`Sink.deliverBatch`); output
	 * failures and dead-lettering are reported in `Ack.errors`.
	 * @default false
	 */
	readonly ackAfterDelivery?: boolean;
	/** Copy the call's `authorization` header into each message's `authorization` metadata (for polku's `auth()` middleware). @default false */
	readonly forwardAuthorization?: boolean;
	/** Batches of one stream being admitted at once before the input stops reading that stream. @default 8 */
	readonly maxPendingBatches?: number;
	/** On stop, how long in-flight batches may take to be acked before their streams are closed with `UNAVAILABLE`. @default 5000 */
	readonly shutdownGraceMs?: number;
	/**
	 * Answers `Health`. By default: healthy while serving, one component (the
	 * input's name) with the buffer fill, uptime since `run()`, and the events
	 * this input has handed to the hub. Pass {@link hubHealth}`(hub)` to report the hub's outputs.
	 */
	readonly health?: () => GrpcHealthReport | Promise<GrpcHealthReport>;
	/** Fill `Ack.middleware_stats` with the acked request's counts. @default true */
	readonly ackStats?: boolean;
	/** Where the input logs its listening address (info). @default silent */
	readonly logger?: Logger;
}

/** Options after defaults and validation. */
export interface ResolvedGrpcInputOptions {
	readonly name: string;
	readonly address: string;
	readonly server: Server | undefined;
	readonly credentials: ServerCredentials | undefined;
	readonly serverOptions: ServerOptions;
	readonly maxMessageBytes: number;
	readonly flowControlWindow: number;
	readonly auth: GrpcAuth | undefined;
	readonly ackAfterDelivery: boolean;
	readonly forwardAuthorization: boolean;
	readonly maxPendingBatches: number;
	readonly shutdownGraceMs: number;
	readonly health: (() => GrpcHealthReport | Promise<GrpcHealthReport>) | undefined;
	readonly ackStats: boolean;
	readonly logger: Logger;
}

/** Validates options, throwing `ConfigError` naming the field. */
export function resolveInputOptions(options: GrpcInputOptions): ResolvedGrpcInputOptions {
	const field = (name: string): string => `GrpcInput.${name}`;
	const name = options.name ?? 'grpc';
	if (typeof name !== 'string' || name.length === 0) throw new ConfigError(field('name'), 'must be a non-empty string');
	const address = options.address ?? '0.0.0.0:50051';
	if (typeof address !== 'string' || address.length === 0) throw new ConfigError(field('address'), 'must be a host:port string');
	for (const fn of ['auth', 'health'] as const) {
		if (options[fn] !== undefined && typeof options[fn] !== 'function') throw new ConfigError(field(fn), 'must be a function');
	}
	const serverOptions = options.serverOptions ?? {};
	const maxMessageBytes =
		options.maxMessageBytes === undefined && typeof serverOptions['grpc.max_receive_message_length'] === 'number'
			? (serverOptions['grpc.max_receive_message_length'] as number)
			: checkInteger(field('maxMessageBytes'), options.maxMessageBytes ?? 4 << 20, 1, 2 ** 31 - 1);
	const flowControlWindow = checkInteger(
		field('flowControlWindow'),
		options.flowControlWindow ?? serverOptions['grpc-node.flow_control_window'] ?? 4 << 20,
		65_535,
		2 ** 31 - 1,
	);
	return {
		name,
		address,
		server: options.server,
		credentials: options.credentials,
		serverOptions: {
			...serverOptions,
			'grpc.max_receive_message_length': maxMessageBytes,
			'grpc-node.flow_control_window': flowControlWindow,
		},
		maxMessageBytes,
		flowControlWindow,
		auth: options.auth,
		ackAfterDelivery: options.ackAfterDelivery === true,
		forwardAuthorization: options.forwardAuthorization === true,
		maxPendingBatches: checkInteger(field('maxPendingBatches'), options.maxPendingBatches ?? 8, 1, 1024),
		shutdownGraceMs: checkInteger(field('shutdownGraceMs'), options.shutdownGraceMs ?? 5000, 0),
		health: options.health,
		ackStats: options.ackStats !== false,
		logger: checkLogger(field('logger'), options.logger),
	};
}

function checkLogger(field: string, logger: Logger | undefined): Logger {
	if (logger === undefined) return silentLogger;
	if (typeof logger?.info !== 'function') throw new ConfigError(field, 'must be a Logger');
	return logger;
}

import { ServerCredentials, type Metadata, type Server, type ServerOptions } from '@grpc/grpc-js';
import { checkInteger, ConfigError, silentLogger, type Logger } from '../../index.js';
import { checkTlsMaterial } from '../http/tls-material.js';
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
 * TLS for a {@link GrpcInput}: the server's key and certificate (PEM), and
 * optionally the CA that client certificates must be signed by (mutual TLS).
 * A shorthand for `credentials: ServerCredentials.createSsl(…)`, checked at
 * construction.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { GrpcInput } from 'polku/grpc';
 *
 * new GrpcInput({
 *   address: '0.0.0.0:50051',
 *   tls: { key: readFileSync('server.key'), cert: readFileSync('server.crt'), ca: readFileSync('clients-ca.crt') },
 * });
 * ```
 */
export interface GrpcInputTlsOptions {
	/** The server's private key (PEM, unencrypted). */
	readonly key: string | Uint8Array;
	/** The server's certificate chain (PEM). */
	readonly cert: string | Uint8Array;
	/** CA certificate(s) (PEM) that client certificates must be signed by; clients without one are refused. */
	readonly ca?: string | Uint8Array;
	/** Refuse clients without a certificate signed by `ca` (only with `ca`). @default true */
	readonly checkClientCertificate?: boolean;
}

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
	/** TLS from a key, certificate and optional client CA (instead of `credentials`): see {@link GrpcInputTlsOptions}. */
	readonly tls?: GrpcInputTlsOptions;
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
	/**
	 * Under the `block` overflow policy, how long a `SendEvent` waits for
	 * buffer space: then its events not admitted yet are withdrawn (dropped as
	 * `overflow`) and the call fails with `RESOURCE_EXHAUSTED` (or, when some
	 * got in, is acked with `OVERFLOW` errors for the rest). A call the client
	 * cancels, or whose deadline passes, is withdrawn at once. `StreamEvents`
	 * batches are not bounded by this: a stream's backpressure is HTTP/2 flow
	 * control, bounded by the client's deadline or cancellation (which
	 * withdraws its waiting batches) and on stop by `shutdownGraceMs`.
	 * @default 5000
	 */
	readonly backpressureTimeoutMs?: number;
	/**
	 * Most events one request (an `IngestBatch`, or a `SendEvent` raw body) may
	 * hold; decoding stops past it and the request is refused as invalid
	 * (`INVALID_ARGUMENT`, or an Ack with one `INVALID` error). Bounds the
	 * messages one request can put in front of the buffer (a 4 MiB request of
	 * empty events would otherwise decode into two million). @default 10000
	 */
	readonly maxEventsPerRequest?: number;
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
	readonly maxEventsPerRequest: number;
	readonly backpressureTimeoutMs: number;
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
		credentials: options.tls === undefined ? options.credentials : tlsCredentials(options, field('tls')),
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
		maxEventsPerRequest: checkInteger(field('maxEventsPerRequest'), options.maxEventsPerRequest ?? 10_000, 1),
		backpressureTimeoutMs: checkInteger(field('backpressureTimeoutMs'), options.backpressureTimeoutMs ?? 5000, 0, 2 ** 31 - 1),
		shutdownGraceMs: checkInteger(field('shutdownGraceMs'), options.shutdownGraceMs ?? 5000, 0),
		health: options.health,
		ackStats: options.ackStats !== false,
		logger: checkLogger(field('logger'), options.logger),
	};
}

/** `ServerCredentials` for `options.tls`, after checking the key, certificate and CA with Node's TLS. */
function tlsCredentials(options: GrpcInputOptions, field: string): ServerCredentials {
	const tls = options.tls!;
	if (options.credentials !== undefined) throw new ConfigError(field, 'give either tls or credentials, not both');
	if (tls === null || typeof tls !== 'object') throw new ConfigError(field, 'must be an object with key and cert');
	for (const key of ['key', 'cert', 'ca'] as const) {
		const value: unknown = tls[key];
		if (value !== undefined && typeof value !== 'string' && !(value instanceof Uint8Array)) throw new ConfigError(`${field}.${key}`, 'must be PEM text or bytes');
	}
	checkTlsMaterial(tls, field);
	const bytes = (pem: string | Uint8Array): Buffer => (typeof pem === 'string' ? Buffer.from(pem) : Buffer.from(pem.buffer, pem.byteOffset, pem.byteLength));
	const check = tls.checkClientCertificate ?? true;
	if (typeof check !== 'boolean') throw new ConfigError(`${field}.checkClientCertificate`, 'must be a boolean');
	return ServerCredentials.createSsl(tls.ca === undefined ? null : bytes(tls.ca), [{ private_key: bytes(tls.key), cert_chain: bytes(tls.cert) }], tls.ca !== undefined && check);
}

function checkLogger(field: string, logger: Logger | undefined): Logger {
	if (logger === undefined) return silentLogger;
	if (typeof logger?.info !== 'function') throw new ConfigError(field, 'must be a Logger');
	return logger;
}

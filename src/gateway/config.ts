import type { OverflowPolicy } from '../hub/options.js';
import { PAYLOAD_ENCODINGS, type PayloadEncoding } from '../json-event/fields.js';
import { address, endpoints, envError, integer, list, oneOf, url, value } from './env.js';
import { LOG_LEVELS, type LogLevel } from './logger.js';
import { PLUGINS } from './plugins/index.js';

/**
 * The gateway's configuration, as read from the environment by
 * {@link loadConfig}. Addresses are `host:port`; `undefined` means off.
 *
 * @example
 * ```ts
 * import { loadConfig } from 'polku/gateway';
 *
 * const config = loadConfig({ POLKU_HTTP_ADDR: '0.0.0.0:8080', POLKU_BUFFER_CAPACITY: '50000' });
 * config.httpAddr;       // '0.0.0.0:8080'
 * config.bufferCapacity; // 50000
 * ```
 */
export interface GatewayConfig {
	/** `POLKU_GRPC_ADDR`: the gRPC input. `off` disables it. @default '0.0.0.0:50051' */
	readonly grpcAddr: string | undefined;
	/** `POLKU_HTTP_ADDR`: the HTTP input. Off unless set. */
	readonly httpAddr: string | undefined;
	/** `POLKU_AUTH_TOKENS`: comma-separated bearer tokens the HTTP and gRPC inputs require. @default none (open) */
	readonly authTokens: readonly string[];
	/** `POLKU_HTTP_WEBHOOK_SECRET`: HMAC-SHA256 secret for `X-Hub-Signature-256`. @default none */
	readonly httpWebhookSecret: string | undefined;
	/** `POLKU_HTTP_MAX_BODY_BYTES`. @default 1048576 */
	readonly httpMaxBodyBytes: number;
	/** `POLKU_METRICS_ADDR`: `/metrics`, `/health`, `/pipeline`. Empty or `off` disables it. @default '127.0.0.1:9090' */
	readonly metricsAddr: string | undefined;
	/** `POLKU_BUFFER_CAPACITY`. @default 100000 */
	readonly bufferCapacity: number;
	/** `POLKU_BATCH_SIZE`: largest batch per output send. @default 100 */
	readonly batchSize: number;
	/** `POLKU_FLUSH_INTERVAL_MS`: longest wait before a partial batch is sent. @default 10 */
	readonly flushIntervalMs: number;
	/** `POLKU_OVERFLOW`: `block`, `drop-newest` or `drop-oldest`. @default 'block' */
	readonly overflow: OverflowPolicy;
	/** `POLKU_SHUTDOWN_TIMEOUT_MS`: how long SIGTERM drains before dropping. @default 10000 */
	readonly shutdownTimeoutMs: number;
	/** `POLKU_LOG_LEVEL`. @default 'info' */
	readonly logLevel: LogLevel;
	/** `POLKU_LOG_FORMAT`: `json` or `pretty`, to stderr. @default 'json' */
	readonly logFormat: 'json' | 'pretty';
	/** `POLKU_EMIT_GRPC_ENDPOINTS`: comma-separated downstream gateways. @default none */
	readonly emitGrpcEndpoints: readonly string[];
	/** `POLKU_EMIT_WEBHOOK_URL`: POST batches there. @default none */
	readonly emitWebhookUrl: string | undefined;
	/** `POLKU_EMIT_WEBHOOK_FORMAT`: `json` or `ndjson`. @default 'json' */
	readonly emitWebhookFormat: 'json' | 'ndjson';
	/** `POLKU_PAYLOAD_ENCODING`: payloads in the stdout and webhook JSON (`base64`, `utf8`, `json`). @default 'base64' */
	readonly payloadEncoding: PayloadEncoding;
	/** `POLKU_TLS_CERT`: PEM certificate (chain) file; with `POLKU_TLS_KEY`, the gRPC and HTTP inputs serve TLS. @default none (plaintext) */
	readonly tlsCert: string | undefined;
	/** `POLKU_TLS_KEY`: PEM private key file of `POLKU_TLS_CERT`. @default none */
	readonly tlsKey: string | undefined;
	/** `POLKU_TLS_CA`: PEM CA file; when set, clients of both inputs must present a certificate it signed. @default none */
	readonly tlsCa: string | undefined;
}

/** The variables {@link loadConfig} reads (described for `--help` in `help.ts`). @internal */
export const VARIABLES: readonly string[] = Object.freeze([
	'POLKU_GRPC_ADDR',
	'POLKU_HTTP_ADDR',
	'POLKU_AUTH_TOKENS',
	'POLKU_HTTP_WEBHOOK_SECRET',
	'POLKU_HTTP_MAX_BODY_BYTES',
	'POLKU_METRICS_ADDR',
	'POLKU_BUFFER_CAPACITY',
	'POLKU_BATCH_SIZE',
	'POLKU_FLUSH_INTERVAL_MS',
	'POLKU_OVERFLOW',
	'POLKU_SHUTDOWN_TIMEOUT_MS',
	'POLKU_LOG_LEVEL',
	'POLKU_LOG_FORMAT',
	'POLKU_EMIT_GRPC_ENDPOINTS',
	'POLKU_EMIT_WEBHOOK_URL',
	'POLKU_EMIT_WEBHOOK_FORMAT',
	'POLKU_PAYLOAD_ENCODING',
	'POLKU_TLS_CERT',
	'POLKU_TLS_KEY',
	'POLKU_TLS_CA',
]);

/**
 * `POLKU_*` variables in `env` that the gateway does not know (typos, most
 * likely); the gateway logs a warning for each.
 *
 * @example
 * ```ts
 * import { unknownVariables } from 'polku/gateway';
 *
 * unknownVariables({ POLKU_BUFER_CAPACITY: '10' }); // ['POLKU_BUFER_CAPACITY']
 * ```
 */
export function unknownVariables(env: Readonly<Record<string, string | undefined>>): string[] {
	const known = new Set([...VARIABLES, ...PLUGINS.flatMap((p) => p.variables.map((v) => v.name))]);
	return Object.keys(env).filter((key) => key.startsWith('POLKU_') && !known.has(key));
}

/**
 * Reads the gateway's configuration from environment variables (pure: no I/O).
 * Empty values count as unset, except `POLKU_METRICS_ADDR` where empty
 * disables the metrics server. Throws a `ConfigError` whose `field` is the
 * variable, e.g. `POLKU_BUFFER_CAPACITY must be a positive integer, got "abc"`.
 *
 * @param env - The environment, usually `process.env`.
 * @returns The typed configuration.
 * @example
 * ```ts
 * import { loadConfig } from 'polku/gateway';
 * import { ConfigError } from 'polku';
 *
 * try {
 *   loadConfig(process.env);
 * } catch (error) {
 *   if (error instanceof ConfigError) console.error(error.field); // 'POLKU_BUFFER_CAPACITY'
 * }
 * ```
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): GatewayConfig {
	const bufferCapacity = integer(env, 'POLKU_BUFFER_CAPACITY', 100_000, 1, 2 ** 30);
	const batchSize = integer(env, 'POLKU_BATCH_SIZE', Math.min(100, bufferCapacity), 1, 2 ** 30);
	if (batchSize > bufferCapacity) throw envError('POLKU_BATCH_SIZE', `must be at most POLKU_BUFFER_CAPACITY (${bufferCapacity})`, env['POLKU_BATCH_SIZE']);
	const tlsCert = value(env, 'POLKU_TLS_CERT');
	const tlsKey = value(env, 'POLKU_TLS_KEY');
	const tlsCa = value(env, 'POLKU_TLS_CA');
	if (tlsCert !== undefined && tlsKey === undefined) throw envError('POLKU_TLS_KEY', 'must be set with POLKU_TLS_CERT (the PEM private key file)', env['POLKU_TLS_KEY']);
	if (tlsKey !== undefined && tlsCert === undefined) throw envError('POLKU_TLS_CERT', 'must be set with POLKU_TLS_KEY (the PEM certificate file)', env['POLKU_TLS_CERT']);
	if (tlsCa !== undefined && tlsCert === undefined) throw envError('POLKU_TLS_CA', 'needs POLKU_TLS_CERT and POLKU_TLS_KEY (the server certificate and key)', env['POLKU_TLS_CA']);
	return {
		grpcAddr: address(env, 'POLKU_GRPC_ADDR', '0.0.0.0:50051', false),
		httpAddr: address(env, 'POLKU_HTTP_ADDR', undefined, false),
		authTokens: list(env, 'POLKU_AUTH_TOKENS'),
		httpWebhookSecret: value(env, 'POLKU_HTTP_WEBHOOK_SECRET'),
		httpMaxBodyBytes: integer(env, 'POLKU_HTTP_MAX_BODY_BYTES', 1024 * 1024, 1, 2 ** 31 - 1),
		metricsAddr: address(env, 'POLKU_METRICS_ADDR', '127.0.0.1:9090', true),
		bufferCapacity,
		batchSize,
		flushIntervalMs: integer(env, 'POLKU_FLUSH_INTERVAL_MS', 10, 0, 2 ** 31 - 1),
		overflow: oneOf(env, 'POLKU_OVERFLOW', ['block', 'drop-newest', 'drop-oldest'], 'block'),
		shutdownTimeoutMs: integer(env, 'POLKU_SHUTDOWN_TIMEOUT_MS', 10_000, 0, 2 ** 31 - 1),
		logLevel: oneOf(env, 'POLKU_LOG_LEVEL', LOG_LEVELS, 'info', true),
		logFormat: oneOf(env, 'POLKU_LOG_FORMAT', ['json', 'pretty'], 'json', true),
		emitGrpcEndpoints: endpoints(env, 'POLKU_EMIT_GRPC_ENDPOINTS'),
		emitWebhookUrl: url(env, 'POLKU_EMIT_WEBHOOK_URL'),
		emitWebhookFormat: oneOf(env, 'POLKU_EMIT_WEBHOOK_FORMAT', ['json', 'ndjson'], 'json', true),
		payloadEncoding: oneOf(env, 'POLKU_PAYLOAD_ENCODING', PAYLOAD_ENCODINGS, 'base64', true),
		tlsCert,
		tlsKey,
		tlsCa,
	};
}


import { ConfigError } from '../../errors.js';
import { checkInteger, checkNumber } from '../../hub/options.js';
import { silentLogger, type Logger } from '../../logger.js';
import type { AttributeValue } from './codec/wire.js';
import { SIGNAL_PATHS, type OtlpSignal } from './signals.js';

/**
 * TLS settings for an `https:` collector (a subset of Node's TLS options).
 *
 * @example
 * ```ts
 * const tls: OtlpTlsOptions = { ca: readFileSync('ca.pem'), cert: readFileSync('client.pem'), key: readFileSync('client-key.pem') };
 * ```
 */
export interface OtlpTlsOptions {
	/** Trusted CA certificates (PEM). @default the system's */
	readonly ca?: string | Uint8Array | readonly (string | Uint8Array)[];
	/** Client certificate chain (PEM), for mutual TLS. */
	readonly cert?: string | Uint8Array;
	/** Client private key (PEM), for mutual TLS. */
	readonly key?: string | Uint8Array;
	/** @default true */
	readonly rejectUnauthorized?: boolean;
}

/**
 * Options of {@link OtlpLogsOutput}.
 *
 * @example
 * ```ts
 * import { OtlpLogsOutput } from 'polku/otlp';
 *
 * new OtlpLogsOutput({
 *   endpoint: 'https://otel-collector.internal:4318',
 *   headers: { authorization: `Bearer ${process.env.OTLP_TOKEN}` },
 *   compression: 'gzip',
 *   serviceName: 'edge-gateway',
 *   resourceAttributes: { 'deployment.environment': 'prod', 'host.name': hostname() },
 * });
 * ```
 */
export interface OtlpLogsOutputOptions {
	/** The collector's base URL; requests go to `{endpoint}/v1/logs` (and `/v1/traces`, `/v1/metrics` for pass-through). */
	readonly endpoint: string | URL;
	/** @default 'otlp' */
	readonly name?: string;
	/** Full URLs for some signals, used as they are (like `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`). @default endpoint + /v1/{signal} */
	readonly signalUrls?: Readonly<Partial<Record<OtlpSignal, string | URL>>>;
	/** How the log records made from messages are encoded. Pass-through requests keep their own encoding. @default 'http/protobuf' */
	readonly protocol?: 'http/protobuf' | 'http/json';
	/** Extra request headers (e.g. authorization). */
	readonly headers?: Readonly<Record<string, string>>;
	/** gzip request bodies (`Content-Encoding: gzip`). @default 'none' */
	readonly compression?: 'none' | 'gzip';
	/** The resource's `service.name`. @default 'polku' */
	readonly serviceName?: string;
	/** More resource attributes (`service.name` here wins over `serviceName`). @default {} */
	readonly resourceAttributes?: Readonly<Record<string, string | number | boolean>>;
	/** The instrumentation scope's name. @default 'polku' */
	readonly scopeName?: string;
	/** The instrumentation scope's version. @default '' */
	readonly scopeVersion?: string;
	/** How long one request may take, response included. @default 10000 */
	readonly timeoutMs?: number;
	/** Keep-alive connections per collector. @default 8 */
	readonly maxSockets?: number;
	/** The longest `Retry-After` honoured (longer ones are cut to this), in ms. @default 60000 */
	readonly maxRetryAfterMs?: number;
	/** TLS settings for `https:` URLs. */
	readonly tls?: OtlpTlsOptions;
	/** Where partial successes (warn) are logged. @default silent */
	readonly logger?: Logger;
}

/** Options after validation and defaults. */
export interface ResolvedOtlpOutputOptions {
	readonly name: string;
	readonly urls: Readonly<Record<OtlpSignal, URL>>;
	readonly json: boolean;
	readonly headers: Readonly<Record<string, string>>;
	readonly gzip: boolean;
	readonly resourceAttributes: Readonly<Record<string, AttributeValue>>;
	readonly scopeName: string;
	readonly scopeVersion: string;
	readonly timeoutMs: number;
	readonly maxSockets: number;
	readonly maxRetryAfterMs: number;
	readonly tls: OtlpTlsOptions | undefined;
	readonly logger: Logger;
}

function httpUrl(value: unknown, field: string): URL {
	let url: URL;
	try {
		url = new URL(value as string);
	} catch {
		throw new ConfigError(field, `must be an absolute http(s) URL, got ${JSON.stringify(String(value))}`);
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(field, `must be http: or https:, got ${url.protocol}`);
	return url;
}

/** `{base}/v1/{signal}`, keeping a path the base has (`http://host/otlp` → `http://host/otlp/v1/logs`). */
export function signalUrl(base: URL, signal: OtlpSignal): URL {
	const url = new URL(base.href);
	url.pathname = url.pathname.replace(/\/+$/, '') + SIGNAL_PATHS[signal];
	return url;
}

/** Validates {@link OtlpLogsOutputOptions}; throws `ConfigError` naming the first bad option. */
export function resolveOtlpOutputOptions(options: OtlpLogsOutputOptions): ResolvedOtlpOutputOptions {
	if (options === null || typeof options !== 'object') throw new ConfigError('OtlpLogsOutput options', 'must be an object with an endpoint');
	const name = options.name ?? 'otlp';
	if (typeof name !== 'string' || name.length === 0) throw new ConfigError('OtlpLogsOutput.name', 'must be a non-empty string');
	const field = (key: string): string => `OtlpLogsOutput "${name}".${key}`;
	const base = httpUrl(options.endpoint, field('endpoint'));
	const overrides = options.signalUrls ?? {};
	if (overrides === null || typeof overrides !== 'object') throw new ConfigError(field('signalUrls'), 'must be an object of URLs by signal');
	for (const key of Object.keys(overrides)) {
		if (!(key in SIGNAL_PATHS)) throw new ConfigError(field(`signalUrls.${key}`), 'is not a signal (logs, traces, metrics)');
	}
	const url = (signal: OtlpSignal): URL => {
		const given = overrides[signal];
		return given === undefined ? signalUrl(base, signal) : httpUrl(given, field(`signalUrls.${signal}`));
	};
	const protocol = options.protocol ?? 'http/protobuf';
	if (protocol !== 'http/protobuf' && protocol !== 'http/json') throw new ConfigError(field('protocol'), `must be http/protobuf or http/json, got ${String(protocol)}`);
	const compression = options.compression ?? 'none';
	if (compression !== 'none' && compression !== 'gzip') throw new ConfigError(field('compression'), `must be none or gzip, got ${String(compression)}`);
	const headers = options.headers ?? {};
	if (headers === null || typeof headers !== 'object' || Object.values(headers).some((v) => typeof v !== 'string')) {
		throw new ConfigError(field('headers'), 'must be an object of strings');
	}
	const serviceName = options.serviceName ?? 'polku';
	if (typeof serviceName !== 'string' || serviceName === '') throw new ConfigError(field('serviceName'), 'must be a non-empty string');
	const attributes = options.resourceAttributes ?? {};
	if (attributes === null || typeof attributes !== 'object') throw new ConfigError(field('resourceAttributes'), 'must be an object');
	for (const [key, value] of Object.entries(attributes)) {
		const ok = typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
		if (!ok) throw new ConfigError(field(`resourceAttributes.${key}`), `must be a string, finite number or boolean, got ${typeof value}`);
	}
	const scopeName = options.scopeName ?? 'polku';
	const scopeVersion = options.scopeVersion ?? '';
	if (typeof scopeName !== 'string') throw new ConfigError(field('scopeName'), 'must be a string');
	if (typeof scopeVersion !== 'string') throw new ConfigError(field('scopeVersion'), 'must be a string');
	const logger = options.logger ?? silentLogger;
	if (typeof logger?.warn !== 'function') throw new ConfigError(field('logger'), 'must be a Logger');
	const reserved = ['content-type', 'content-encoding', 'content-length'];
	const userHeaders: Record<string, string> = {};
	for (const [key, value] of Object.entries(headers)) {
		if (reserved.includes(key.toLowerCase())) throw new ConfigError(field(`headers.${key}`), 'is set by the output');
		userHeaders[key.toLowerCase()] = value;
	}
	return {
		name,
		urls: { logs: url('logs'), traces: url('traces'), metrics: url('metrics') },
		json: protocol === 'http/json',
		headers: { 'user-agent': 'polku', ...userHeaders },
		gzip: compression === 'gzip',
		resourceAttributes: { 'service.name': serviceName, ...attributes },
		scopeName,
		scopeVersion,
		timeoutMs: checkNumber(field('timeoutMs'), options.timeoutMs ?? 10_000, 1, 2 ** 31 - 1),
		maxSockets: checkInteger(field('maxSockets'), options.maxSockets ?? 8, 1),
		maxRetryAfterMs: checkNumber(field('maxRetryAfterMs'), options.maxRetryAfterMs ?? 60_000, 0, 2 ** 31 - 1),
		tls: options.tls,
		logger,
	};
}

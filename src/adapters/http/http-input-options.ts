import type { Server, ServerOptions } from 'node:http';
import { checkInteger, checkNumber, ConfigError, silentLogger, type Logger } from '../../index.js';
import { parseAddress, type HostPort } from './address.js';
import { BearerAuth, WebhookSignature, type BearerVerifier } from './auth.js';
import { MediaTypeMatcher } from './content-type.js';
import { checkTlsMaterial, type Pem } from './tls-material.js';

/**
 * HTTPS for {@link HttpInput}: the server's key and certificate, and
 * optionally the CA that client certificates must be signed by (mutual TLS).
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { HttpInput } from 'polku/http';
 *
 * new HttpInput({
 *   address: '0.0.0.0:8443',
 *   tls: {
 *     key: readFileSync('/etc/polku/tls/server.key'),
 *     cert: readFileSync('/etc/polku/tls/server.crt'),
 *     ca: readFileSync('/etc/polku/tls/clients-ca.crt'), // clients must present a certificate it signed
 *   },
 * });
 * ```
 */
export interface HttpInputTlsOptions {
	/** The server's private key (PEM). */
	readonly key: Pem;
	/** The server's certificate chain (PEM). */
	readonly cert: Pem;
	/** The key's passphrase, if it is encrypted. */
	readonly passphrase?: string;
	/**
	 * CA certificate(s) (PEM) that client certificates must be signed by.
	 * Setting it asks every client for a certificate (`requestCert`), and a
	 * client without a valid one is refused during the handshake
	 * (`rejectUnauthorized`).
	 */
	readonly ca?: Pem;
	/** Ask clients for a certificate. @default true when `ca` is set, else false */
	readonly requestCert?: boolean;
	/** Refuse clients whose certificate is missing or not signed by `ca` (only when `requestCert`). @default true */
	readonly rejectUnauthorized?: boolean;
	/** The oldest TLS version accepted. @default 'TLSv1.2' */
	readonly minVersion?: 'TLSv1.2' | 'TLSv1.3';
}

/**
 * Options of {@link HttpInput}.
 *
 * @example
 * ```ts
 * import { HttpInput } from 'polku/http';
 *
 * new HttpInput({
 *   address: '0.0.0.0:8080',
 *   path: '/ingest/',
 *   maxBodyBytes: 4 * 1024 * 1024,
 *   auth: process.env.INGEST_TOKEN!,
 *   backpressureTimeoutMs: 2_000,
 * });
 * ```
 */
export interface HttpInputOptions {
	/** The input's name, unique among the hub's inputs. @default 'http' */
	readonly name?: string;
	/** Where to listen, `host:port` (`[v6]:port`); port 0 picks a free one. Not with `server`. @default '0.0.0.0:8080' */
	readonly address?: string;
	/**
	 * Your own server, `http.Server` or `https.Server` (then TLS is yours to
	 * set up): the input adds a `request` listener that answers every request
	 * (404 outside `path`); you call `listen()`. To mount the input in a
	 * router instead, call {@link HttpInput.handler} yourself.
	 */
	readonly server?: Server;
	/** Options for the server the input creates (ignored with `server`). */
	readonly serverOptions?: ServerOptions;
	/** Serve HTTPS (and optionally require client certificates): see {@link HttpInputTlsOptions}. Not with `server`. @default plain HTTP */
	readonly tls?: HttpInputTlsOptions;
	/** The route prefix; routes are `{path}events`, `{path}events/:source[/:type]`, `{path}health`. @default '/' */
	readonly path?: string;
	/**
	 * Largest body accepted; larger ones get 413 without being read (the rest
	 * of the body, up to 8 MiB, is read and discarded after the answer, so the
	 * client sees the 413 rather than a reset). @default 1048576 (1 MiB)
	 */
	readonly maxBodyBytes?: number;
	/**
	 * Most events one JSON / NDJSON body may hold; more gets 413
	 * (`too-many-events`) before any event is decoded. Bounds the messages one
	 * request can put in front of the buffer. @default 10000
	 */
	readonly maxEventsPerRequest?: number;
	/** Bearer token(s), or a verifier; requests without a valid `Authorization: Bearer` get 401. `health` is open. */
	readonly auth?: string | readonly string[] | BearerVerifier;
	/** HMAC-SHA256 secret(s) for signed webhooks; a missing or wrong signature gets 401. */
	readonly webhookSecret?: string | Uint8Array | readonly (string | Uint8Array)[];
	/** The header carrying `sha256=<hex>` (the prefix is optional). @default 'X-Hub-Signature-256' */
	readonly signatureHeader?: string;
	/** Answer only after every output confirmed the events (`sink.deliverBatch`), with 200. @default false */
	readonly ackAfterDelivery?: boolean;
	/**
	 * Under the `block` overflow policy, how long a request waits for buffer
	 * space before 503 (with `ackAfterDelivery` too: events not admitted by
	 * then are withdrawn; admitted ones are still awaited). @default 5000
	 */
	readonly backpressureTimeoutMs?: number;
	/** The `Retry-After` (seconds) of 429 and 503 responses. @default 1 */
	readonly retryAfterSeconds?: number;
	/** Media types read as one raw payload on `POST {path}events` (`type/*` and `*\/*` allowed). @default ['application/octet-stream', 'text/plain'] */
	readonly rawContentTypes?: readonly string[];
	/** Where the input logs refused requests (debug) and server trouble (warn / error). @default silent */
	readonly logger?: Logger;
}

/** Options after validation and defaults. */
export interface ResolvedHttpInputOptions {
	readonly name: string;
	readonly listen: HostPort | undefined;
	readonly server: Server | undefined;
	readonly serverOptions: ServerOptions;
	/** Options for `https.createServer`, when the input serves TLS. */
	readonly tls: Readonly<Record<string, unknown>> | undefined;
	readonly prefix: string;
	readonly maxBodyBytes: number;
	readonly maxEventsPerRequest: number;
	readonly auth: BearerAuth | undefined;
	readonly signature: WebhookSignature | undefined;
	readonly ackAfterDelivery: boolean;
	readonly backpressureTimeoutMs: number;
	readonly retryAfter: string;
	readonly raw: MediaTypeMatcher;
	readonly rawTypes: readonly string[];
	readonly logger: Logger;
}

/** Validates {@link HttpInputOptions}; throws `ConfigError` naming the first bad option. */
export function resolveHttpInputOptions(options: HttpInputOptions): ResolvedHttpInputOptions {
	if (options === null || typeof options !== 'object') throw new ConfigError('HttpInput options', 'must be an object');
	const name = options.name ?? 'http';
	if (typeof name !== 'string' || name.length === 0) throw new ConfigError('HttpInput.name', 'must be a non-empty string');
	const field = (key: string): string => `HttpInput "${name}".${key}`;
	if (options.server !== undefined && options.address !== undefined) throw new ConfigError(field('address'), 'give either address or server, not both');
	if (options.server !== undefined && (typeof options.server !== 'object' || typeof options.server.on !== 'function')) {
		throw new ConfigError(field('server'), 'must be an http.Server');
	}
	if (options.server !== undefined && options.tls !== undefined) {
		throw new ConfigError(field('tls'), 'give tls to the server you pass (https.createServer), or drop server and let the input create it');
	}
	const listen = options.server === undefined ? parseAddress(options.address ?? '0.0.0.0:8080', field('address')) : undefined;
	const path = options.path ?? '/';
	if (typeof path !== 'string' || !path.startsWith('/') || /[?#\s]/.test(path)) {
		throw new ConfigError(field('path'), `must start with "/" and hold no "?", "#" or spaces, got ${JSON.stringify(path)}`);
	}
	const rawTypes = options.rawContentTypes ?? ['application/octet-stream', 'text/plain'];
	if (!Array.isArray(rawTypes) || rawTypes.some((t) => typeof t !== 'string' || !t.includes('/'))) {
		throw new ConfigError(field('rawContentTypes'), 'must be a list of media types such as "text/plain" or "text/*"');
	}
	const logger = options.logger ?? silentLogger;
	if (typeof logger?.warn !== 'function') throw new ConfigError(field('logger'), 'must be a Logger');
	return {
		name,
		listen,
		server: options.server,
		serverOptions: options.serverOptions ?? {},
		tls: options.tls === undefined ? undefined : resolveTls(options.tls, field('tls')),
		prefix: path.endsWith('/') ? path : `${path}/`,
		maxBodyBytes: checkInteger(field('maxBodyBytes'), options.maxBodyBytes ?? 1024 * 1024, 1),
		maxEventsPerRequest: checkInteger(field('maxEventsPerRequest'), options.maxEventsPerRequest ?? 10_000, 1),
		auth: options.auth === undefined ? undefined : new BearerAuth(options.auth, field('auth')),
		signature:
			options.webhookSecret === undefined
				? undefined
				: new WebhookSignature(options.webhookSecret, checkHeader(field('signatureHeader'), options.signatureHeader), field('webhookSecret')),
		ackAfterDelivery: checkBoolean(field('ackAfterDelivery'), options.ackAfterDelivery ?? false),
		backpressureTimeoutMs: checkNumber(field('backpressureTimeoutMs'), options.backpressureTimeoutMs ?? 5000, 0, 2 ** 31 - 1),
		retryAfter: String(checkInteger(field('retryAfterSeconds'), options.retryAfterSeconds ?? 1, 0)),
		raw: new MediaTypeMatcher(rawTypes),
		rawTypes: Object.freeze([...rawTypes]),
		logger,
	};
}

/** Checks the TLS options (a bad key or certificate fails here, naming `tls`), as options for `https.createServer`. */
function resolveTls(tls: HttpInputTlsOptions, field: string): Readonly<Record<string, unknown>> {
	if (tls === null || typeof tls !== 'object') throw new ConfigError(field, 'must be an object with key and cert');
	const material = checkTlsMaterial(tls, field);
	const requestCert = checkBoolean(`${field}.requestCert`, tls.requestCert ?? tls.ca !== undefined);
	const rejectUnauthorized = checkBoolean(`${field}.rejectUnauthorized`, tls.rejectUnauthorized ?? true);
	const minVersion = tls.minVersion ?? 'TLSv1.2';
	if (minVersion !== 'TLSv1.2' && minVersion !== 'TLSv1.3') throw new ConfigError(`${field}.minVersion`, `must be TLSv1.2 or TLSv1.3, got ${String(minVersion)}`);
	return Object.freeze({ ...material, minVersion, requestCert, rejectUnauthorized });
}

function checkBoolean(field: string, value: unknown): boolean {
	if (typeof value !== 'boolean') throw new ConfigError(field, `must be a boolean, got ${String(value)}`);
	return value;
}

function checkHeader(field: string, value: string | undefined): string {
	const header = value ?? 'X-Hub-Signature-256';
	if (typeof header !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header)) throw new ConfigError(field, 'must be an HTTP header name');
	return header;
}

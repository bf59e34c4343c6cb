import type { Server, ServerOptions } from 'node:http';
import { ConfigError } from '../../errors.js';
import { checkInteger, checkNumber } from '../../hub/options.js';
import { silentLogger, type Logger } from '../../logger.js';
import { parseAddress, type HostPort } from '../http/address.js';
import { BearerAuth, type BearerVerifier } from '../http/auth.js';

/**
 * Options of {@link OtlpInput}.
 *
 * @example
 * ```ts
 * import { OtlpInput } from 'polku/otlp';
 *
 * new OtlpInput({ address: '0.0.0.0:4318', maxBodyBytes: 8 * 1024 * 1024, auth: process.env.OTLP_TOKEN!, ackAfterDelivery: true });
 * ```
 */
export interface OtlpInputOptions {
	/** The input's name, unique among the hub's inputs. @default 'otlp' */
	readonly name?: string;
	/** Where to listen, `host:port`; port 0 picks a free one. Not with `server`. @default '0.0.0.0:4318' */
	readonly address?: string;
	/**
	 * Your own server (e.g. an `https.createServer(...)` for TLS): the input
	 * adds a `request` listener answering every request (404 outside its
	 * routes); you call `listen()`.
	 */
	readonly server?: Server;
	/** Options for the server the input creates (ignored with `server`). */
	readonly serverOptions?: ServerOptions;
	/** A prefix before `v1/logs`, `v1/traces`, `v1/metrics`. @default '/' */
	readonly path?: string;
	/** Largest request body, both as received and after gzip decompression; larger ones get 413. @default 4194304 (4 MiB) */
	readonly maxBodyBytes?: number;
	/** Bearer token(s), or a verifier; requests without a valid `Authorization: Bearer` get 401. */
	readonly auth?: string | readonly string[] | BearerVerifier;
	/** Answer 200 only after every output confirmed the request's message (`sink.deliverBatch`): at-least-once to the outputs. @default false */
	readonly ackAfterDelivery?: boolean;
	/** Under the `block` overflow policy, how long a request waits for buffer space before 503. @default 5000 */
	readonly backpressureTimeoutMs?: number;
	/** The `Retry-After` (seconds) of 429 and 503 responses. @default 1 */
	readonly retryAfterSeconds?: number;
	/**
	 * Check the framing of every export request (well-formed protobuf whose
	 * resource entries are field 1; a JSON object) and answer 400 when it is
	 * not one. `false` carries any body of the two media types unchanged (and
	 * skips the walk over the bytes).
	 * @default true
	 */
	readonly validate?: boolean;
	/** The messages' `source`. @default the input's name */
	readonly source?: string;
	/** Where the input logs refused requests (debug) and server trouble (warn / error). @default silent */
	readonly logger?: Logger;
}

/** Options after validation and defaults. */
export interface ResolvedOtlpInputOptions {
	readonly name: string;
	readonly listen: HostPort | undefined;
	readonly server: Server | undefined;
	readonly serverOptions: ServerOptions;
	readonly prefix: string;
	readonly maxBodyBytes: number;
	readonly auth: BearerAuth | undefined;
	readonly ackAfterDelivery: boolean;
	readonly backpressureTimeoutMs: number;
	readonly retryAfter: string;
	readonly validate: boolean;
	readonly source: string;
	readonly logger: Logger;
}

/** Validates {@link OtlpInputOptions}; throws `ConfigError` naming the first bad option. */
export function resolveOtlpInputOptions(options: OtlpInputOptions): ResolvedOtlpInputOptions {
	if (options === null || typeof options !== 'object') throw new ConfigError('OtlpInput options', 'must be an object');
	const name = options.name ?? 'otlp';
	if (typeof name !== 'string' || name.length === 0) throw new ConfigError('OtlpInput.name', 'must be a non-empty string');
	const field = (key: string): string => `OtlpInput "${name}".${key}`;
	if (options.server !== undefined && options.address !== undefined) throw new ConfigError(field('address'), 'give either address or server, not both');
	if (options.server !== undefined && (typeof options.server !== 'object' || typeof options.server.on !== 'function')) {
		throw new ConfigError(field('server'), 'must be an http.Server or https.Server');
	}
	const listen = options.server === undefined ? parseAddress(options.address ?? '0.0.0.0:4318', field('address')) : undefined;
	const path = options.path ?? '/';
	if (typeof path !== 'string' || !path.startsWith('/') || /[?#\s]/.test(path)) {
		throw new ConfigError(field('path'), `must start with "/" and hold no "?", "#" or spaces, got ${JSON.stringify(path)}`);
	}
	const ack = options.ackAfterDelivery ?? false;
	if (typeof ack !== 'boolean') throw new ConfigError(field('ackAfterDelivery'), `must be a boolean, got ${String(ack)}`);
	const validate = options.validate ?? true;
	if (typeof validate !== 'boolean') throw new ConfigError(field('validate'), `must be a boolean, got ${String(validate)}`);
	const source = options.source ?? name;
	if (typeof source !== 'string' || source === '') throw new ConfigError(field('source'), 'must be a non-empty string');
	const logger = options.logger ?? silentLogger;
	if (typeof logger?.warn !== 'function') throw new ConfigError(field('logger'), 'must be a Logger');
	return {
		name,
		listen,
		server: options.server,
		serverOptions: options.serverOptions ?? {},
		prefix: path.endsWith('/') ? path : `${path}/`,
		maxBodyBytes: checkInteger(field('maxBodyBytes'), options.maxBodyBytes ?? 4 * 1024 * 1024, 1),
		auth: options.auth === undefined ? undefined : new BearerAuth(options.auth, field('auth')),
		ackAfterDelivery: ack,
		backpressureTimeoutMs: checkNumber(field('backpressureTimeoutMs'), options.backpressureTimeoutMs ?? 5000, 0, 2 ** 31 - 1),
		retryAfter: String(checkInteger(field('retryAfterSeconds'), options.retryAfterSeconds ?? 1, 0)),
		validate,
		source,
		logger,
	};
}

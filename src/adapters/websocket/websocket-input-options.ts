import type { Server } from 'node:http';
import { checkInteger, ConfigError, silentLogger, type Logger } from '../../index.js';
import { parseAddress, type HostPort } from '../http/address.js';
import { BearerAuth, type BearerVerifier } from '../http/auth.js';

/**
 * Options of {@link WebSocketInput}.
 *
 * @example
 * ```ts
 * import { WebSocketInput } from 'polku/websocket';
 *
 * new WebSocketInput({
 *   address: '0.0.0.0:8081',
 *   auth: process.env.AGENT_TOKEN!,
 *   maxPayload: 4 * 1024 * 1024,
 *   pingIntervalMs: 30_000,
 *   idleTimeoutMs: 10 * 60_000,
 * });
 * ```
 */
export interface WebSocketInputOptions {
	/** The input's name, unique among the hub's inputs. @default 'websocket' */
	readonly name?: string;
	/** Where to listen, `host:port` (`[v6]:port`); port 0 picks a free one. Not with `server`. @default '0.0.0.0:8081' */
	readonly address?: string;
	/**
	 * Your own `http.Server` (or `https.Server`), e.g. the one an `HttpInput`
	 * serves: the input handles its `upgrade` requests on `path` and leaves
	 * every other request alone. You call `listen()`.
	 */
	readonly server?: Server;
	/** The path WebSocket clients connect to (the query string is ignored). @default '/' */
	readonly path?: string;
	/** Bearer token(s), or a verifier: an upgrade request without a valid `Authorization: Bearer` gets 401 before the handshake. */
	readonly auth?: string | readonly string[] | BearerVerifier;
	/** Ack a frame once every output confirmed its events (`sink.deliverBatch`), for at-least-once. @default false */
	readonly ackAfterDelivery?: boolean;
	/** Largest frame (message) accepted; a larger one closes the connection with 1009. @default 1048576 (1 MiB) */
	readonly maxPayload?: number;
	/** Frames of one connection being admitted at once before the input stops reading that connection. @default 8 */
	readonly maxPendingFrames?: number;
	/** Connections at once; more get 503 at the upgrade. @default 10000 */
	readonly maxConnections?: number;
	/** How often each connection is pinged; one without a pong by the next ping is terminated. 0 disables pings. @default 30000 */
	readonly pingIntervalMs?: number;
	/** Closes (1000) a connection that sent no frame for this long. 0 disables it. @default 0 */
	readonly idleTimeoutMs?: number;
	/** On stop, how long frames being admitted may take to be acked before the connections close. @default 5000 */
	readonly shutdownGraceMs?: number;
	/** Where the input logs refused upgrades (debug), invalid frames (debug) and server trouble (warn / error). @default silent */
	readonly logger?: Logger;
}

/** Options after validation and defaults. */
export interface ResolvedWebSocketInputOptions {
	readonly name: string;
	readonly listen: HostPort | undefined;
	readonly server: Server | undefined;
	readonly path: string;
	readonly auth: BearerAuth | undefined;
	readonly ackAfterDelivery: boolean;
	readonly maxPayload: number;
	readonly maxPendingFrames: number;
	readonly maxConnections: number;
	readonly pingIntervalMs: number;
	readonly idleTimeoutMs: number;
	readonly shutdownGraceMs: number;
	readonly logger: Logger;
}

/** Validates {@link WebSocketInputOptions}; throws `ConfigError` naming the first bad option. */
export function resolveWebSocketInputOptions(options: WebSocketInputOptions): ResolvedWebSocketInputOptions {
	if (options === null || typeof options !== 'object') throw new ConfigError('WebSocketInput options', 'must be an object');
	const name = options.name ?? 'websocket';
	if (typeof name !== 'string' || name.length === 0) throw new ConfigError('WebSocketInput.name', 'must be a non-empty string');
	const field = (key: string): string => `WebSocketInput "${name}".${key}`;
	if (options.server !== undefined && options.address !== undefined) throw new ConfigError(field('address'), 'cannot be set together with server');
	if (options.server !== undefined && (options.server === null || typeof options.server.on !== 'function')) throw new ConfigError(field('server'), 'must be an http.Server');
	const path = options.path ?? '/';
	if (typeof path !== 'string' || !path.startsWith('/') || path.includes('?')) throw new ConfigError(field('path'), `must start with / and have no query, got ${JSON.stringify(path)}`);
	for (const key of ['ackAfterDelivery'] as const) {
		if (options[key] !== undefined && typeof options[key] !== 'boolean') throw new ConfigError(field(key), 'must be a boolean');
	}
	return {
		name,
		listen: options.server === undefined ? parseAddress(options.address ?? '0.0.0.0:8081', field('address')) : undefined,
		server: options.server,
		path,
		auth: options.auth === undefined ? undefined : new BearerAuth(options.auth, field('auth')),
		ackAfterDelivery: options.ackAfterDelivery === true,
		maxPayload: checkInteger(field('maxPayload'), options.maxPayload ?? 1024 * 1024, 1, 2 ** 31 - 1),
		maxPendingFrames: checkInteger(field('maxPendingFrames'), options.maxPendingFrames ?? 8, 1, 1024),
		maxConnections: checkInteger(field('maxConnections'), options.maxConnections ?? 10_000, 1),
		pingIntervalMs: checkInteger(field('pingIntervalMs'), options.pingIntervalMs ?? 30_000, 0, 2 ** 31 - 1),
		idleTimeoutMs: checkInteger(field('idleTimeoutMs'), options.idleTimeoutMs ?? 0, 0, 2 ** 31 - 1),
		shutdownGraceMs: checkInteger(field('shutdownGraceMs'), options.shutdownGraceMs ?? 5000, 0, 2 ** 31 - 1),
		logger: options.logger ?? silentLogger,
	};
}

import { checkInteger, ConfigError, PAYLOAD_ENCODINGS, silentLogger, type Logger, type PayloadEncoding } from '../../index.js';

/**
 * Options of {@link WebSocketOutput}.
 *
 * @example
 * ```ts
 * import { WebSocketOutput } from 'polku/websocket';
 *
 * new WebSocketOutput({
 *   url: 'ws://polku-central:8081/',
 *   headers: { authorization: `Bearer ${process.env.TOKEN}` },
 *   format: 'protobuf',
 *   acks: 'polku',
 *   reconnect: { baseDelayMs: 200, maxDelayMs: 30_000 },
 * });
 * ```
 */
export interface WebSocketOutputOptions {
	/** The server, `ws://` or `wss://`. */
	readonly url: string | URL;
	/** The output's name in the hub. @default 'websocket' */
	readonly name?: string;
	/**
	 * When a send resolves:
	 * - `polku`: when the server answered the frame with an ack frame (the
	 *   {@link WebSocketInput} protocol: one JSON `Ack` per frame, in order); an
	 *   ack with errors fails the send with `DownstreamRejectedError`.
	 * - `flush`: once the frame was written to the socket (any WebSocket
	 *   server; nothing says it was processed, and what the server sends is ignored).
	 * @default 'polku'
	 */
	readonly acks?: 'polku' | 'flush';
	/**
	 * How a batch travels: one text frame holding a JSON array of POLKU JSON
	 * events (`json`) or NDJSON lines (`ndjson`), or one binary frame holding
	 * a protobuf `polku.v1.IngestBatch` (`protobuf`, the compact form).
	 * @default 'json'
	 */
	readonly format?: 'json' | 'ndjson' | 'protobuf';
	/** How payloads are written in the JSON forms (see `PayloadEncoding`). @default 'base64' */
	readonly payloadEncoding?: PayloadEncoding;
	/** Headers of the upgrade request, e.g. `authorization`. */
	readonly headers?: Readonly<Record<string, string>>;
	/** How long a send may wait for the connection and then for its ack (or its flush). @default 10000 */
	readonly timeoutMs?: number;
	/** Reconnect backoff: the first delay, doubled after each failed attempt up to the maximum (±20 % jitter). @default { baseDelayMs: 100, maxDelayMs: 10000 } */
	readonly reconnect?: { readonly baseDelayMs?: number; readonly maxDelayMs?: number };
	/** Largest frame accepted from the server. @default 16777216 (16 MiB) */
	readonly maxPayload?: number;
	/** `IngestBatch.source` of each protobuf frame (events keep their own source). @default '' */
	readonly source?: string;
	/** `IngestBatch.cluster` of each protobuf frame. @default '' */
	readonly cluster?: string;
	/** Where the output logs connection losses (warn) and reconnects (info). @default silent */
	readonly logger?: Logger;
}

/** Options after validation and defaults. */
export interface ResolvedWebSocketOutputOptions {
	readonly name: string;
	readonly url: string;
	readonly acks: 'polku' | 'flush';
	readonly format: 'json' | 'ndjson' | 'protobuf';
	readonly payloadEncoding: PayloadEncoding;
	readonly headers: Readonly<Record<string, string>>;
	readonly timeoutMs: number;
	readonly baseDelayMs: number;
	readonly maxDelayMs: number;
	readonly maxPayload: number;
	readonly source: string;
	readonly cluster: string;
	readonly logger: Logger;
}

/** Validates {@link WebSocketOutputOptions}; throws `ConfigError` naming the first bad option. */
export function resolveWebSocketOutputOptions(options: WebSocketOutputOptions): ResolvedWebSocketOutputOptions {
	if (options === null || typeof options !== 'object') throw new ConfigError('WebSocketOutput options', 'must be an object with a url');
	const name = options.name ?? 'websocket';
	if (typeof name !== 'string' || name.length === 0) throw new ConfigError('WebSocketOutput.name', 'must be a non-empty string');
	const field = (key: string): string => `WebSocketOutput "${name}".${key}`;
	let url: URL;
	try {
		url = new URL(options.url);
	} catch {
		throw new ConfigError(field('url'), `must be an absolute ws:// or wss:// URL, got ${JSON.stringify(String(options.url))}`);
	}
	if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new ConfigError(field('url'), `must be ws: or wss:, got ${url.protocol}`);
	const acks = options.acks ?? 'polku';
	if (acks !== 'polku' && acks !== 'flush') throw new ConfigError(field('acks'), `must be polku or flush, got ${String(acks)}`);
	const format = options.format ?? 'json';
	if (format !== 'json' && format !== 'ndjson' && format !== 'protobuf') throw new ConfigError(field('format'), `must be json, ndjson or protobuf, got ${String(format)}`);
	const payloadEncoding = options.payloadEncoding ?? 'base64';
	if (!PAYLOAD_ENCODINGS.includes(payloadEncoding)) throw new ConfigError(field('payloadEncoding'), `must be one of ${PAYLOAD_ENCODINGS.join(', ')}, got ${String(payloadEncoding)}`);
	const headers = options.headers ?? {};
	if (headers === null || typeof headers !== 'object' || Object.values(headers).some((v) => typeof v !== 'string')) throw new ConfigError(field('headers'), 'must be an object of strings');
	for (const key of ['source', 'cluster'] as const) {
		if (options[key] !== undefined && typeof options[key] !== 'string') throw new ConfigError(field(key), 'must be a string');
	}
	const reconnect = options.reconnect ?? {};
	const baseDelayMs = checkInteger(field('reconnect.baseDelayMs'), reconnect.baseDelayMs ?? 100, 1, 2 ** 31 - 1);
	const maxDelayMs = checkInteger(field('reconnect.maxDelayMs'), reconnect.maxDelayMs ?? 10_000, baseDelayMs, 2 ** 31 - 1);
	return {
		name,
		url: url.href,
		acks,
		format,
		payloadEncoding,
		headers: { ...headers },
		timeoutMs: checkInteger(field('timeoutMs'), options.timeoutMs ?? 10_000, 1, 2 ** 31 - 1),
		baseDelayMs,
		maxDelayMs,
		maxPayload: checkInteger(field('maxPayload'), options.maxPayload ?? 16 * 1024 * 1024, 1, 2 ** 31 - 1),
		source: options.source ?? '',
		cluster: options.cluster ?? '',
		logger: options.logger ?? silentLogger,
	};
}

import { ConfigError, toError } from '../../index.js';

/**
 * One argument of a Redis command: text, or bytes (sent verbatim, so
 * payloads stay binary-safe).
 *
 * @example
 * ```ts
 * const args: RedisArgument[] = ['XADD', 'orders', '*', 'payload', new Uint8Array([0xff, 0x00])];
 * ```
 */
export type RedisArgument = string | Uint8Array;

/**
 * What polku needs of an `ioredis` client (`new Redis(url)`): raw commands
 * with text or binary replies, pipelines, and a second connection for
 * blocking reads.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 *
 * const client: IoredisClient = new Redis('redis://127.0.0.1:6379');
 * ```
 */
export interface IoredisClient {
	call(command: string, args: (RedisArgument | number)[]): Promise<unknown>;
	callBuffer(command: string, args: (RedisArgument | number)[]): Promise<unknown>;
	pipeline(): { call(command: string, args: (RedisArgument | number)[]): unknown; exec(): Promise<unknown> };
	duplicate(): IoredisClient;
	disconnect(): void;
	on(event: 'error', listener: (...args: unknown[]) => void): unknown;
}

/**
 * What polku needs of a node-redis client (`createClient({ url })` from the
 * `redis` package, connected): raw commands (binary replies through a type
 * mapping), pipelines, and a second connection for blocking reads.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 *
 * const client: NodeRedisClient = await createClient({ url: 'redis://127.0.0.1:6379' }).connect();
 * ```
 */
export interface NodeRedisClient {
	sendCommand(args: readonly RedisArgument[], options?: object): Promise<unknown>;
	multi(): { addCommand(args: readonly RedisArgument[]): unknown; execAsPipeline(): Promise<unknown> };
	duplicate(): NodeRedisClient;
	connect(): Promise<unknown>;
	destroy(): void;
	on(event: 'error', listener: (...args: unknown[]) => void): unknown;
	readonly isOpen?: boolean;
}

/**
 * A Redis client polku accepts: `ioredis` or node-redis (`redis`), told apart
 * by their methods.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { RedisStreamOutput } from 'polku/redis';
 *
 * const client: RedisClient = new Redis();
 * const output = new RedisStreamOutput({ client, stream: 'events' });
 * ```
 */
export type RedisClient = IoredisClient | NodeRedisClient;

/** node-redis's RESP type of bulk strings, mapped to Buffers for binary-safe reads. */
const BLOB_STRING = 36;
const BINARY = Object.freeze({ typeMapping: Object.freeze({ [BLOB_STRING]: Buffer }) });

/** The commands an adapter sends, the same for both clients. */
export interface Commands {
	/** One command; `binary` makes bulk-string replies Buffers. */
	call(args: readonly RedisArgument[], binary?: boolean): Promise<unknown>;
	/** Commands in one round trip (a pipeline, not a transaction); rejects with the first error. */
	pipeline(commands: readonly (readonly RedisArgument[])[]): Promise<unknown[]>;
	/** A new connection of the same client kind (for blocking reads), connected; its error events go to `onError` (unhandled, they would crash the process). */
	duplicate(onError: (error: Error) => void): Promise<Commands>;
	/** Closes the connection at once (for a connection from `duplicate()`). */
	destroy(): void;
}

function isIoredis(client: RedisClient): client is IoredisClient {
	return typeof (client as IoredisClient).callBuffer === 'function';
}

/** The {@link Commands} of `client`; throws `ConfigError` naming `field` for something that is neither client. */
export function commandsOf(client: RedisClient, field: string): Commands {
	if (client === null || typeof client !== 'object') throw new ConfigError(field, 'must be an ioredis or node-redis client');
	if (isIoredis(client)) return ioredisCommands(client);
	if (typeof client.sendCommand === 'function' && typeof client.multi === 'function') return nodeRedisCommands(client);
	throw new ConfigError(field, 'must be an ioredis client (with callBuffer and pipeline) or a node-redis client (with sendCommand and multi)');
}

function ioredisCommands(client: IoredisClient): Commands {
	return {
		call(args, binary = false) {
			const rest = args.slice(1) as RedisArgument[];
			return binary ? client.callBuffer(args[0] as string, rest) : client.call(args[0] as string, rest);
		},
		async pipeline(commands) {
			const pipeline = client.pipeline();
			for (const args of commands) pipeline.call(args[0] as string, args.slice(1) as RedisArgument[]);
			const results = (await pipeline.exec()) as [Error | null, unknown][] | null;
			if (results === null) throw new Error('the pipeline was not executed (connection closed)');
			const replies: unknown[] = new Array(results.length);
			for (let i = 0; i < results.length; i++) {
				const [error, reply] = results[i]!;
				if (error !== null && error !== undefined) throw toError(error);
				replies[i] = reply;
			}
			return replies;
		},
		async duplicate(onError) {
			const copy = client.duplicate();
			copy.on('error', (error) => onError(toError(error)));
			return ioredisCommands(copy);
		},
		destroy() {
			client.disconnect();
		},
	};
}

function nodeRedisCommands(client: NodeRedisClient): Commands {
	return {
		call(args, binary = false) {
			return binary ? client.sendCommand(args, BINARY) : client.sendCommand(args);
		},
		async pipeline(commands) {
			const multi = client.multi();
			for (const args of commands) multi.addCommand(args);
			return (await multi.execAsPipeline()) as unknown[];
		},
		async duplicate(onError) {
			const copy = client.duplicate();
			copy.on('error', (error) => onError(toError(error)));
			if (copy.isOpen !== true) await copy.connect();
			return nodeRedisCommands(copy);
		},
		destroy() {
			client.destroy();
		},
	};
}

/** Text of a reply value (a Buffer or a string). */
export function text(value: unknown): string {
	if (typeof value === 'string') return value;
	if (Buffer.isBuffer(value)) return value.toString('utf8');
	if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
	if (typeof value === 'number' || typeof value === 'bigint') return String(value);
	return '';
}

/** A payload or field value as a Buffer without copying (clients write Buffers verbatim). */
export function asBuffer(bytes: Uint8Array): Buffer {
	return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

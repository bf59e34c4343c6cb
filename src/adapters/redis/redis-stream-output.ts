import { checkInteger, checkNumber, ConfigError, OutputError, toError, type Message, type Output } from '../../index.js';
import { SendDeadline } from '../shared/deadline.js';
import { commandsOf, type Commands, type RedisArgument } from './client.js';
import { appendEntryFields } from './entry.js';
import type { RedisStreamOutputOptions } from './output-options.js';

/**
 * An output appending every message to a Redis stream with `XADD`, one
 * pipeline (one round trip) per batch. The stream key is fixed or chosen per
 * message; the stream can be trimmed on the way (`MAXLEN ~` / `MINID ~`).
 *
 * Entry fields: `payload` (the bytes, binary-safe), then the envelope named
 * as the broker adapters' headers: `polku-id`, `polku-timestamp` (exact ns),
 * `polku-source`, `polku-type`, `polku-route-to` (when not empty), and one
 * field per metadata key (`polku-meta-…` for keys that are not plain
 * tokens). `RedisStreamInput` reads them back exactly.
 *
 * Guarantee: at-least-once into the stream. A send resolves when Redis
 * answered every `XADD`; a failed send (an error reply, a lost connection,
 * `timeoutMs`) is retried by the hub as a whole, so entries of it that were
 * written are written again (duplicates with the same `polku-id`). Redis
 * acknowledges a write once it is in memory: durability beyond that is the
 * server's persistence (AOF `appendfsync`) and replication.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { Hub } from 'polku';
 * import { RedisStreamOutput } from 'polku/redis';
 *
 * const output = new RedisStreamOutput({ client: new Redis('redis://127.0.0.1:6379'), stream: 'events', trim: { maxLen: 100_000 } });
 * const hub = Hub.builder().input(input).output(output, { batchSize: 500 }).build();
 * ```
 */
export class RedisStreamOutput implements Output {
	readonly name: string;
	readonly #commands: Commands;
	readonly #stream: string | ((message: Message) => string);
	readonly #trim: readonly RedisArgument[] | undefined;
	readonly #minAgeMs: number | undefined;
	readonly #exact: boolean;
	readonly #timeoutMs: number;
	#healthy = true;

	/** @param options - See {@link RedisStreamOutputOptions}; throws `ConfigError` naming a bad option. */
	constructor(options: RedisStreamOutputOptions) {
		if (options === null || typeof options !== 'object') throw new ConfigError('RedisStreamOutput options', 'must be an object');
		const name = options.name ?? 'redis';
		if (typeof name !== 'string' || name === '') throw new ConfigError('RedisStreamOutput.name', 'must be a non-empty string');
		const field = (key: string): string => `RedisStreamOutput "${name}".${key}`;
		this.#commands = commandsOf(options.client, field('client'));
		const stream = options.stream;
		if (!((typeof stream === 'string' && stream !== '') || typeof stream === 'function')) throw new ConfigError(field('stream'), 'must be a non-empty stream key or a function of the message');
		this.name = name;
		this.#stream = stream;
		const trim = options.trim;
		this.#exact = trim?.exact === true;
		if (trim === undefined) {
			this.#trim = undefined;
		} else if (trim !== null && typeof trim === 'object' && 'maxLen' in trim) {
			const maxLen = checkInteger(field('trim.maxLen'), trim.maxLen, 0);
			this.#trim = ['MAXLEN', this.#exact ? '=' : '~', String(maxLen)];
		} else if (trim !== null && typeof trim === 'object' && 'minAgeMs' in trim) {
			this.#minAgeMs = checkNumber(field('trim.minAgeMs'), trim.minAgeMs, 0);
			this.#trim = undefined;
		} else {
			throw new ConfigError(field('trim'), 'must be { maxLen } or { minAgeMs }');
		}
		this.#timeoutMs = checkNumber(field('timeoutMs'), options.timeoutMs ?? 10_000, 1, 2 ** 31 - 1);
	}

	/**
	 * Writes the batch in one pipeline; resolves when every `XADD` succeeded.
	 * Rejects with an `OutputError` on an error reply, a connection failure,
	 * `timeoutMs` or the hub's signal.
	 */
	async send(batch: readonly Message[], signal?: AbortSignal): Promise<void> {
		if (batch.length === 0) return;
		const deadline = new SendDeadline(this.name, this.#timeoutMs, signal);
		try {
			const trim: readonly RedisArgument[] | undefined =
				this.#minAgeMs === undefined ? this.#trim : ['MINID', this.#exact ? '=' : '~', String(Math.max(0, Date.now() - this.#minAgeMs))];
			const fixed = typeof this.#stream === 'string' ? this.#stream : undefined;
			const commands: RedisArgument[][] = new Array(batch.length);
			for (let i = 0; i < batch.length; i++) {
				const message = batch[i]!;
				const args: RedisArgument[] = ['XADD', fixed ?? (this.#stream as (message: Message) => string)(message)];
				if (trim !== undefined) args.push(...trim);
				args.push('*');
				appendEntryFields(args, message);
				commands[i] = args;
			}
			if (deadline.expired !== undefined) throw deadline.expired;
			await deadline.race(this.#commands.pipeline(commands));
			this.#healthy = true;
		} catch (error) {
			this.#healthy = false;
			if (error instanceof OutputError) throw error;
			const cause = toError(error);
			throw new OutputError(this.name, `XADD failed: ${cause.message}`, { cause });
		} finally {
			deadline.dispose();
		}
	}

	/** False after a failed send, until one succeeds. */
	health(): boolean {
		return this.#healthy;
	}

	/** Nothing to release: the client is yours to close (every send has completed when the hub calls this). */
	async close(): Promise<void> {}
}

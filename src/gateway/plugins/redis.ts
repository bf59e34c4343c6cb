import type { IoredisClient, NodeRedisClient, RedisClient } from '../../adapters/redis/client.js';
import { RedisStreamInput } from '../../adapters/redis/redis-stream-input.js';
import { RedisStreamOutput } from '../../adapters/redis/redis-stream-output.js';
import { ConfigError, toError } from '../../errors.js';
import { envError, integer, url, value, type Env } from '../env.js';
import type { GatewayLogger } from '../logger.js';
import { loadPeer, type GatewayPlugin } from './plugin.js';

interface IoredisModule {
	Redis: new (url: string, options: { connectionName: string }) => IoredisClient & { quit(): Promise<unknown> };
}
interface NodeRedisModule {
	createClient(options: { url: string; name: string }): NodeRedisClient & { close?(): Promise<void> };
}

const VARIABLES = ['POLKU_REDIS_URL', 'POLKU_REDIS_STREAM', 'POLKU_REDIS_MAXLEN', 'POLKU_REDIS_INPUT_STREAM', 'POLKU_REDIS_GROUP', 'POLKU_REDIS_CONSUMER'] as const;

/** A client to `target` from ioredis if installed, else from node-redis; with a function that closes it. */
async function createRedisClient(target: string, what: string, logger: GatewayLogger): Promise<{ client: RedisClient; close(): Promise<void> }> {
	const onError = (error: unknown): void => logger.warn({ error: toError(error).message }, 'Redis client error');
	let ioredis: IoredisModule | undefined;
	try {
		ioredis = await loadPeer<IoredisModule>('ioredis', what);
	} catch (error) {
		if (!(error instanceof ConfigError)) throw error;
	}
	if (ioredis !== undefined) {
		const client = new ioredis.Redis(target, { connectionName: 'polku-gateway' });
		client.on('error', onError);
		return { client, close: async () => void (await client.quit().catch(() => client.disconnect())) };
	}
	let nodeRedis: NodeRedisModule;
	try {
		nodeRedis = await loadPeer<NodeRedisModule>('redis', what);
	} catch (error) {
		if (!(error instanceof ConfigError)) throw error;
		const missing = new ConfigError(what, 'needs the package ioredis (or redis), which is not installed: npm i ioredis');
		missing.message = `${what} needs the package ioredis (or redis), which is not installed: npm i ioredis`;
		throw missing;
	}
	const client = nodeRedis.createClient({ url: target, name: 'polku-gateway' });
	client.on('error', onError);
	await client.connect();
	return { client, close: async () => (client.close === undefined ? client.destroy() : await client.close().catch(() => client.destroy())) };
}

/**
 * `polku-gateway` Redis Streams output (`POLKU_REDIS_STREAM`) and input
 * (`POLKU_REDIS_INPUT_STREAM` in consumer group `POLKU_REDIS_GROUP`, created
 * at `0` when missing), with ioredis or, when ioredis is not installed,
 * node-redis.
 */
export const redisPlugin: GatewayPlugin = {
	name: 'redis',
	variables: [
		{ name: 'POLKU_REDIS_URL', description: 'the Redis server (required with the variables below), e.g. redis://127.0.0.1:6379' },
		{ name: 'POLKU_REDIS_STREAM', description: 'a Redis Streams output appending (XADD) to this stream' },
		{ name: 'POLKU_REDIS_MAXLEN', description: "trim the output's stream to about this many entries (MAXLEN ~)", default: 'no trimming' },
		{ name: 'POLKU_REDIS_INPUT_STREAM', description: 'a Redis Streams input reading this stream in a consumer group (XACK after delivery)' },
		{ name: 'POLKU_REDIS_GROUP', description: "the Redis input's consumer group (created at 0, the stream's start, if missing)", default: 'polku' },
		{ name: 'POLKU_REDIS_CONSUMER', description: "the Redis input's consumer name (distinct per gateway)", default: '<hostname>-<pid>-1' },
	],
	plan(env: Env) {
		if (!VARIABLES.some((name) => value(env, name) !== undefined)) return undefined;
		const target = url(env, 'POLKU_REDIS_URL', ['redis:', 'rediss:']);
		if (target === undefined) throw envError('POLKU_REDIS_URL', 'must be set (e.g. redis://127.0.0.1:6379) when a POLKU_REDIS_ variable is', env['POLKU_REDIS_URL']);
		const stream = value(env, 'POLKU_REDIS_STREAM');
		const inputStream = value(env, 'POLKU_REDIS_INPUT_STREAM');
		if (stream === undefined && inputStream === undefined) {
			throw envError('POLKU_REDIS_STREAM', 'or POLKU_REDIS_INPUT_STREAM must be set when POLKU_REDIS_URL is', env['POLKU_REDIS_STREAM']);
		}
		const maxLen = value(env, 'POLKU_REDIS_MAXLEN') === undefined ? undefined : integer(env, 'POLKU_REDIS_MAXLEN', 0, 1, Number.MAX_SAFE_INTEGER);
		const group = value(env, 'POLKU_REDIS_GROUP') ?? 'polku';
		const consumer = value(env, 'POLKU_REDIS_CONSUMER');
		return {
			inputs: inputStream === undefined ? [] : ['redis'],
			outputs: stream === undefined ? [] : ['redis'],
			async apply({ builder, logger, onStop }) {
				const { client, close } = await createRedisClient(target, inputStream !== undefined ? 'POLKU_REDIS_INPUT_STREAM' : 'POLKU_REDIS_STREAM', logger);
				onStop(close);
				if (stream !== undefined) builder.output(new RedisStreamOutput({ name: 'redis', client, stream, ...(maxLen === undefined ? {} : { trim: { maxLen } }) }));
				if (inputStream !== undefined) {
					builder.input(new RedisStreamInput({ name: 'redis', client, stream: inputStream, group, logger, ...(consumer === undefined ? {} : { consumer }) }));
				}
			},
		};
	},
};

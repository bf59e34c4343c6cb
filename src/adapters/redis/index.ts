/// <reference types="node" preserve="true" />
/**
 * Redis Streams input (consumer groups) and output with at-least-once
 * delivery. Takes your `ioredis` or node-redis (`redis`) client, typed
 * structurally, so neither optional peer dependency is loaded by polku
 * itself.
 *
 * @module polku/redis
 * @packageDocumentation
 */
export type { IoredisClient, NodeRedisClient, RedisArgument, RedisClient } from './client.js';
export type { RedisStreamInputOptions } from './input-options.js';
export type { RedisStreamInputStats } from './input-stats.js';
export type { RedisStreamOutputOptions, RedisStreamTrim } from './output-options.js';
export { RedisStreamInput, type RedisStreamInputEvents } from './redis-stream-input.js';
export { RedisStreamOutput } from './redis-stream-output.js';

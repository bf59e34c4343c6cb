// Helpers of the Redis tests: clients of both libraries for the real Redis on 127.0.0.1:6379, unique
// keys, an independent reader (XRANGE + the shared header mapping), and raw commands.
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { fromEnvelopeHeaders, type Message } from '../../src/index.js';
import type { RedisClient } from '../../src/adapters/redis/index.js';

export const REDIS_URL = 'redis://127.0.0.1:6379';
export type ClientKind = 'ioredis' | 'node-redis';
export const CLIENT_KINDS: readonly ClientKind[] = ['ioredis', 'node-redis'];

/** A test's client, with raw commands and a close that does not wait. */
export interface TestClient {
	readonly kind: ClientKind;
	readonly client: RedisClient;
	/** A command with Buffer replies for bulk strings. */
	raw(args: readonly (string | Buffer)[]): Promise<unknown>;
	/** A command with text replies. */
	text(args: readonly (string | Buffer)[]): Promise<unknown>;
	close(): Promise<void>;
}

export async function redisClient(kind: ClientKind, name = 'polku-test'): Promise<TestClient> {
	if (kind === 'ioredis') {
		const client = new Redis(REDIS_URL, { connectionName: name });
		client.on('error', () => {});
		return {
			kind,
			client,
			raw: (args) => client.callBuffer(args[0] as string, args.slice(1)),
			text: (args) => client.call(args[0] as string, args.slice(1)),
			close: async () => client.disconnect(),
		};
	}
	const client = createClient({ url: REDIS_URL, name });
	client.on('error', () => {});
	await client.connect();
	return {
		kind,
		client,
		raw: (args) => client.sendCommand(args, { typeMapping: { 36: Buffer } }),
		text: (args) => client.sendCommand(args),
		close: async () => client.destroy(),
	};
}

export function uniqueKey(prefix: string): string {
	return `polku-test:${prefix}:${randomUUID().slice(0, 8)}`;
}

/** The entries of a stream, RESP2 or RESP3, as [id, fields]. */
export function streamEntries(reply: unknown): [string, Buffer[]][] {
	if (!Array.isArray(reply)) return [];
	return (reply as unknown[][]).map((e) => [String(e[0]), (e[1] as Buffer[]) ?? []]);
}

/** Decodes an entry through the documented mapping (independently of RedisStreamInput). */
export function decodeFields(stream: string, fields: readonly Buffer[]): Message {
	let payload: Buffer | undefined;
	const headers: [string, string][] = [];
	for (let i = 0; i + 1 < fields.length; i += 2) {
		const name = fields[i]!.toString('utf8');
		if (name === 'payload') payload = fields[i + 1]!;
		else headers.push([name, fields[i + 1]!.toString('utf8')]);
	}
	return fromEnvelopeHeaders(headers, payload, { source: stream, messageType: stream });
}

/** Reads the whole stream with XRANGE until at least `count` entries are there. */
export async function readStream(tc: TestClient, stream: string, count: number, timeoutMs: number): Promise<Message[]> {
	const until = performance.now() + timeoutMs;
	for (;;) {
		const entries = streamEntries(await tc.raw(['XRANGE', stream, '-', '+']));
		if (entries.length >= count) return entries.map(([, fields]) => decodeFields(stream, fields));
		if (performance.now() > until) throw new Error(`only ${entries.length} of ${count} entries in ${stream} within ${timeoutMs} ms`);
		await new Promise((r) => setTimeout(r, 20));
	}
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
	const deadline = performance.now() + timeoutMs;
	while (!(await check())) {
		if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
		await new Promise((r) => setTimeout(r, 20));
	}
}

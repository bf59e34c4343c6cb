// gRPC fuzzing through a real hub: seeded random request bytes for SendEvent (unary) and StreamEvents
// (bidirectional): random bytes, mutations of valid encodings (flipped, truncated, spliced bytes), valid
// envelopes with random raw JSON / NDJSON / protobuf payloads, and odd credentials, with a good SendEvent every
// `goodEvery` cases that must be acked and delivered. Nothing may crash; no call may end INTERNAL / UNKNOWN;
// Object.prototype must stay clean.
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import fc from 'fast-check';
import { bearerToken, GrpcInput } from '../../src/adapters/grpc/index.js';
import { Hub, type Message, type Output } from '../../src/index.js';
import { protoMethod } from '../grpc/helpers.js';
import type { FuzzResult } from './http-fuzz.js';

const TOKEN = 'fuzz-token';
const ALLOWED = new Set([status.OK, status.INVALID_ARGUMENT, status.RESOURCE_EXHAUSTED, status.UNAUTHENTICATED]);
const SEND = '/polku.v1.Gateway/SendEvent';
const STREAM = '/polku.v1.Gateway/StreamEvents';
const identity = (b: Buffer): Buffer => b;

const sendEvent = protoMethod('SendEvent');
const streamEvents = protoMethod('StreamEvents');

const jsonish = fc.jsonValue({ maxDepth: 4 });
const wireEvent = fc.record(
	{
		id: fc.string({ maxLength: 30 }),
		timestamp_unix_ns: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String),
		source: fc.string({ maxLength: 20 }),
		event_type: fc.string({ maxLength: 20 }),
		metadata: fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), { maxKeys: 4 }),
		payload: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
		route_to: fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
		severity: fc.integer({ min: 0, max: 7 }),
		outcome: fc.integer({ min: 0, max: 5 }),
	},
	{ requiredKeys: [] },
);
const rawJson = fc.oneof(
	jsonish.map((v) => JSON.stringify(v)),
	fc.array(fc.record({ source: fc.oneof(fc.string(), jsonish), event_type: fc.string(), payload: fc.oneof(fc.base64String(), jsonish), metadata: jsonish })).map((v) => JSON.stringify(v)),
	fc.constantFrom('{"__proto__":{"polluted":"yes"},"source":"p"}', '[{"metadata":{"constructor":{"prototype":{"polluted":"yes"}}}}]'),
	fc.string(),
);
const format = fc.constantFrom('json', 'ndjson', 'jsonl', 'json-lines', 'protobuf', '', 'xml');

/** Valid encodings, then mutated: the bytes a confused or hostile client might send. */
const mutate = (bytes: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> =>
	fc.oneof(
		bytes,
		fc.tuple(bytes, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([b, at, x]) => {
			const c = Buffer.from(b);
			if (c.length > 0) c[at % c.length] = c[at % c.length]! ^ x;
			return c;
		}),
		fc.tuple(bytes, fc.nat()).map(([b, at]) => b.subarray(0, at % (b.length + 1))),
		fc.tuple(bytes, fc.nat(), fc.uint8Array({ maxLength: 12 })).map(([b, at, junk]) => {
			const i = at % (b.length + 1);
			return Buffer.concat([b.subarray(0, i), junk, b.subarray(i)]);
		}),
		fc.constantFrom(Buffer.from([0x22, 0x80, 0x80, 0x80, 0x80, 0x10]), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), Buffer.from([0x18])),
	);
const ingestEvent = mutate(
	fc.oneof(
		fc.record({ source: fc.string({ maxLength: 10 }), event: wireEvent }).map((r) => sendEvent.requestSerialize(r)),
		fc.record({ source: fc.string({ maxLength: 10 }), raw: rawJson.map((t) => Buffer.from(t)), format }).map((r) => sendEvent.requestSerialize(r)),
		fc.record({ raw: fc.array(wireEvent, { maxLength: 3 }).map((events) => Buffer.from(JSON.stringify({ events }))), format: fc.constant('protobuf') }).map((r) => sendEvent.requestSerialize(r)),
	),
);
const ingestBatch = mutate(
	fc.oneof(
		fc.record({ source: fc.string({ maxLength: 10 }), events: fc.record({ events: fc.array(wireEvent, { maxLength: 5 }) }) }).map((r) => streamEvents.requestSerialize(r)),
		fc.record({ raw: fc.record({ data: rawJson.map((t) => Buffer.from(t)), format }) }).map((r) => streamEvents.requestSerialize(r)),
	),
);
const fuzzCase = fc.oneof(
	{ weight: 4, arbitrary: fc.record({ kind: fc.constant('unary' as const), body: fc.oneof({ weight: 5, arbitrary: ingestEvent }, fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b))) }) },
	{ weight: 1, arbitrary: fc.record({ kind: fc.constant('stream' as const), bodies: fc.array(fc.oneof({ weight: 5, arbitrary: ingestBatch }, fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b))), { minLength: 1, maxLength: 4 }) }) },
);
const authOf = fc.oneof({ weight: 8, arbitrary: fc.constant(`Bearer ${TOKEN}`) }, fc.constantFrom('Bearer wrong', '', 'Basic x'));

interface Outcome {
	readonly code: number;
	readonly details: string;
	readonly responses: Buffer[];
}

function unary(client: Client, body: Buffer, metadata: Metadata): Promise<Outcome> {
	return new Promise((resolve) => {
		client.makeUnaryRequest(SEND, identity, identity, body, metadata, { deadline: Date.now() + 10_000 }, (error: ServiceError | null, response?: Buffer) =>
			resolve(error ? { code: error.code, details: error.details, responses: [] } : { code: status.OK, details: '', responses: [response!] }),
		);
	});
}

function stream(client: Client, bodies: readonly Buffer[], metadata: Metadata): Promise<Outcome> {
	return new Promise((resolve) => {
		const call = client.makeBidiStreamRequest(STREAM, identity, identity, metadata, { deadline: Date.now() + 10_000 });
		const responses: Buffer[] = [];
		call.on('data', (b: Buffer) => responses.push(b));
		call.on('error', (e: ServiceError) => resolve({ code: e.code, details: e.details, responses }));
		call.on('status', (s: { code: number; details: string }) => {
			if (s.code === status.OK) resolve({ code: s.code, details: s.details, responses });
		});
		for (const b of bodies) call.write(b);
		call.end();
	});
}

/** Runs `cases` fuzzed calls (seeded) plus a good SendEvent every `goodEvery`; never throws for a finding (see `errors`). */
export async function grpcFuzz(options: { cases: number; seed: number; goodEvery?: number }): Promise<FuzzResult> {
	const goodEvery = options.goodEvery ?? 10;
	const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort().join();
	const delivered = new Set<string>();
	const output: Output = {
		name: 'out',
		async send(batch: readonly Message[]) {
			for (const m of batch) if (m.source === 'good') delivered.add(m.id);
		},
	};
	const input = new GrpcInput({ address: '127.0.0.1:0', auth: bearerToken(TOKEN), maxMessageBytes: 64 * 1024 });
	const hub = Hub.builder().bufferCapacity(100_000).flushInterval(1).input(input).output(output).build();
	await hub.start();
	const { port } = await input.ready;
	const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
	const errors: string[] = [];
	const statuses: Record<string, number> = {};
	const goodIds: string[] = [];
	const started = performance.now();
	const samples = fc.sample(fc.tuple(fuzzCase, authOf), { numRuns: options.cases, seed: options.seed });
	try {
		for (const [i, [c, auth]] of samples.entries()) {
			const metadata = new Metadata();
			if (auth !== '') metadata.set('authorization', auth);
			const outcome = c.kind === 'unary' ? await unary(client, c.body, metadata) : await stream(client, c.bodies, metadata);
			const name = `${c.kind}:${status[outcome.code] ?? outcome.code}`;
			statuses[name] = (statuses[name] ?? 0) + 1;
			if (!ALLOWED.has(outcome.code)) errors.push(`case ${i} (${c.kind}): ${status[outcome.code]} ${outcome.details.slice(0, 200)}`);
			for (const r of outcome.responses) {
				try {
					sendEvent.responseDeserialize(r);
				} catch (error) {
					errors.push(`case ${i}: an answer that does not decode as an Ack: ${String(error)}`);
				}
			}
			if (i % goodEvery === 0) {
				const id = `good-${i}`;
				const good = new Metadata();
				good.set('authorization', `Bearer ${TOKEN}`);
				const outcomeGood = await unary(client, sendEvent.requestSerialize({ source: 'good', event: { id, source: 'good', event_type: 'ok', payload: Buffer.from('hej') } }), good);
				const ack = outcomeGood.code === status.OK ? (sendEvent.responseDeserialize(outcomeGood.responses[0]!) as { event_ids?: string[] }) : undefined;
				if (ack?.event_ids?.[0] !== id) errors.push(`good request ${i}: ${status[outcomeGood.code]} ${outcomeGood.details} ${JSON.stringify(ack)}`);
				else goodIds.push(id);
			}
		}
	} finally {
		client.close();
		await hub.stop({ timeoutMs: 5_000 });
	}
	const lost = goodIds.filter((id) => !delivered.has(id));
	if (lost.length > 0) errors.push(`${lost.length} good events acked but not delivered: ${lost.slice(0, 5).join()}`);
	if (Object.getOwnPropertyNames(Object.prototype).sort().join() !== prototypeBefore || ({} as Record<string, unknown>)['polluted'] !== undefined) {
		errors.push('Object.prototype was polluted');
	}
	return { cases: samples.length, good: goodIds.length, statuses, durationMs: performance.now() - started, errors };
}

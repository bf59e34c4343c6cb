import { assertInheritsNothing } from '../support/metadata.js';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, credentials, Metadata, status } from '@grpc/grpc-js';
import { ConfigError, reject, type Middleware } from '../../src/index.js';
import { bearerToken, GrpcInput, hubHealth } from '../../src/adapters/grpc/index.js';
import { MemoryOutput } from '../../src/testing/index.js';
import {
	health,
	protoMethod,
	rejectionOf,
	sendEvent,
	startRig,
	streamBatches,
	wireEvent,
	type Rig,
	type WireAck,
} from './helpers.js';

const MAX_INT64 = '9223372036854775807';
const ABOVE_2_53 = '1764216000123456789';

/** The bytes after a one-field prefix (tag + 1-byte length) of a proto-loader encoding. */
const afterPrefix = (bytes: Buffer): Buffer => {
	let i = 1;
	while (bytes[i]! >= 0x80) i++;
	return bytes.subarray(i + 1);
};

describe('GrpcInput StreamEvents', () => {
	let rig: Rig;
	const other = new MemoryOutput({ name: 'other' });
	before(async () => {
		rig = await startRig({}, { configure: (b) => b.output(other, { retry: false }) });
	});
	after(() => rig.close());

	it('round-trips id, int64 timestamps, metadata, empty payloads and route_to exactly', async () => {
		const metadata = JSON.parse('{"__proto__":"proto","constructor":"ctor","k":"v"}') as Record<string, string>;
		const acks = await streamBatches(rig.client, [
			{
				source: 'batch',
				cluster: 'eu-1',
				events: {
					events: [
						wireEvent('rt-1', { timestamp_unix_ns: ABOVE_2_53, metadata }),
						wireEvent('rt-2', { timestamp_unix_ns: MAX_INT64, payload: Buffer.alloc(0), route_to: ['memory'], source: '' }),
						wireEvent('rt-3', { timestamp_unix_ns: '-1', severity: 4, outcome: 2 }),
					],
				},
			},
		]);
		assert.equal(acks.length, 1);
		assert.deepEqual(acks[0]!.event_ids, ['rt-1', 'rt-2', 'rt-3']);
		assert.equal(acks[0]!.errors, undefined);
		assert.equal(acks[0]!.buffer_capacity, '10000');
		await rig.output.waitFor(3);
		const [a, b, c] = rig.output.messages.filter((m) => m.id.startsWith('rt-'));
		assert.equal(a!.timestamp, BigInt(ABOVE_2_53));
		assertInheritsNothing(a!.metadata);
		assert.deepEqual({ ...a!.metadata }, JSON.parse('{"__proto__":"proto","constructor":"ctor","k":"v","polku.cluster":"eu-1"}'));
		assert.equal(Object.hasOwn(a!.metadata, '__proto__'), true);
		assert.equal(Buffer.from(a!.payload).toString(), 'payload-rt-1');
		assert.equal(a!.source, 'test');
		assert.equal(b!.timestamp, BigInt(MAX_INT64));
		assert.equal(b!.payload.length, 0);
		assert.deepEqual(b!.routeTo, ['memory']);
		assert.equal(b!.source, 'batch');
		assert.equal(c!.timestamp, -1n);
		assert.equal(c!.metadata['polku.severity'], '4');
		assert.equal(c!.metadata['polku.outcome'], '2');
		await other.waitFor(2);
		assert.deepEqual(other.messages.filter((m) => m.id.startsWith('rt-')).map((m) => m.id), ['rt-1', 'rt-3']);
	});

	it('generates a missing id and timestamp and acks the generated id', async () => {
		const [ack] = await streamBatches(rig.client, [{ events: { events: [{ event_type: 'anon' }] } }]);
		const id = ack!.event_ids![0]!;
		assert.match(id, /^[0-9A-Z]{26}$/);
		await rig.output.waitFor(rig.output.messages.length);
		const m = rig.output.messages.find((x) => x.id === id);
		assert.ok(m !== undefined && m.timestamp > 1_700_000_000_000_000_000n);
	});

	it('answers exactly one Ack per batch, in order', async () => {
		const batches = Array.from({ length: 60 }, (_, i) => ({ events: { events: Array.from({ length: 1 + (i % 7) }, (_, j) => wireEvent(`ord-${i}-${j}`)) } }));
		const acks = await streamBatches(rig.client, batches);
		assert.deepEqual(
			acks.map((a) => a.event_ids),
			batches.map((b) => b.events.events.map((e) => e.id)),
		);
	});

	it('decodes raw json, ndjson and json-lines bodies, and protobuf EventPayload bodies', async () => {
		const eventPayload = afterPrefix(protoMethod('StreamEvents').requestSerialize({ events: { events: [wireEvent('pb-1')] } }));
		const acks = await streamBatches(rig.client, [
			{ source: 'raw', raw: { format: 'json', data: Buffer.from(`{"id":"j-1","timestamp_unix_ns":${MAX_INT64},"payload":"aGk=","route_to":["memory"],"metadata":{"a":"b"}}`) } },
			{ raw: { format: 'json', data: Buffer.from('[{"id":"j-2","timestamp_unix_ns":"12"},{"id":"j-3"}]') } },
			{ raw: { format: 'ndjson', data: Buffer.from('{"id":"n-1"}\n\n{"id":"n-2"}\n') } },
			{ raw: { format: 'json-lines', data: Buffer.from('{"id":"l-1"}') } },
			{ raw: { format: 'protobuf', data: eventPayload } },
		]);
		assert.deepEqual(acks.map((a) => a.event_ids), [['j-1'], ['j-2', 'j-3'], ['n-1', 'n-2'], ['l-1'], ['pb-1']]);
		await rig.output.waitFor(rig.output.messages.length);
		const j1 = rig.output.messages.find((m) => m.id === 'j-1')!;
		assert.equal(j1.timestamp, BigInt(MAX_INT64));
		assert.equal(j1.source, 'raw');
		assert.equal(j1.messageType, 'unknown');
		assert.equal(Buffer.from(j1.payload).toString(), 'hi');
		assert.deepEqual(j1.routeTo, ['memory']);
		assert.equal(rig.output.messages.find((m) => m.id === 'j-2')!.timestamp, 12n);
	});

	it('answers a malformed body or an unknown format with Ack errors and keeps the stream going', async () => {
		const acks = await streamBatches(rig.client, [
			{ raw: { format: 'json', data: Buffer.from('{"id":"x",') } },
			{ raw: { format: 'xml', data: Buffer.from('<e/>') } },
			{ raw: { format: 'json', data: Buffer.from('[{"id":"ok-1"},{"id":"bad-1","metadata":{"n":1}}]') } },
			{ source: 'nothing' },
			{ events: { events: [wireEvent('after-errors')] } },
		]);
		assert.equal(acks.length, 5);
		for (const ack of acks.slice(0, 4)) {
			assert.equal(ack.event_ids, undefined);
			assert.ok(ack.errors!.length > 0 && ack.errors!.every((e) => e.code === 'INVALID'));
		}
		assert.match(acks[0]!.errors![0]!.message!, /not valid JSON/);
		assert.match(acks[1]!.errors![0]!.message!, /unknown raw payload format "xml"/);
		assert.deepEqual(acks[2]!.errors, [{ event_id: 'bad-1', code: 'INVALID', message: '[1].metadata.n: must be a string, got number' }]);
		assert.match(acks[3]!.errors![0]!.message!, /neither raw nor events/);
		assert.deepEqual(acks[4]!.event_ids, ['after-errors']);
		assert.equal(rig.output.messages.some((m) => m.id === 'ok-1'), false);
		const stats = rig.input.stats;
		assert.ok(stats.invalid >= 4, `invalid ${stats.invalid}`);
	});

	it('answers bytes that are not protobuf with an INVALID Ack', async () => {
		const client = new Client(`127.0.0.1:${rig.port}`, credentials.createInsecure());
		const call = client.makeBidiStreamRequest('/polku.v1.Gateway/StreamEvents', (b: Buffer) => b, (b: Buffer) => protoMethod('StreamEvents').responseDeserialize(b) as WireAck);
		const acks: WireAck[] = [];
		call.on('data', (a: WireAck) => acks.push(a));
		const ended = new Promise((resolve, rejectEnd) => call.on('end', resolve).on('error', rejectEnd));
		call.write(Buffer.from([0x22, 0x7f, 0x01]));
		call.write(Buffer.from([0xff, 0xff, 0xff]));
		call.end();
		await ended;
		client.close();
		assert.equal(acks.length, 2);
		for (const ack of acks) assert.match(ack.errors![0]!.message!, /^malformed protobuf: /);
	});
});

describe('GrpcInput SendEvent', () => {
	let rig: Rig;
	before(async () => {
		rig = await startRig();
	});
	after(() => rig.close());

	it('acks one event with its id', async () => {
		const ack = await sendEvent(rig.client, { source: 'unary', event: wireEvent('u-1', { timestamp_unix_ns: MAX_INT64, source: '' }) });
		assert.deepEqual(ack.event_ids, ['u-1']);
		await rig.output.waitFor(1);
		assert.equal(rig.output.messages.at(-1)!.source, 'unary');
		assert.equal(rig.output.messages.at(-1)!.timestamp, BigInt(MAX_INT64));
	});

	it('takes a raw body with a format (protobuf = one Event)', async () => {
		const json = await sendEvent(rig.client, { source: 's', format: 'json', raw: Buffer.from('{"id":"u-json"}') });
		assert.deepEqual(json.event_ids, ['u-json']);
		const event = afterPrefix(protoMethod('SendEvent').requestSerialize({ event: wireEvent('u-pb') }));
		const pb = await sendEvent(rig.client, { format: 'protobuf', raw: event });
		assert.deepEqual(pb.event_ids, ['u-pb']);
	});

	it('fails with INVALID_ARGUMENT saying what is wrong', async () => {
		const neither = await rejectionOf(sendEvent(rig.client, { source: 's' }));
		assert.equal(neither.code, status.INVALID_ARGUMENT);
		assert.match(neither.details, /neither raw nor event/);
		const badJson = await rejectionOf(sendEvent(rig.client, { format: 'json', raw: Buffer.from('{"timestamp_unix_ns":"later"}') }));
		assert.equal(badJson.code, status.INVALID_ARGUMENT);
		assert.match(badJson.details, /timestamp_unix_ns: must be an integer of Unix nanoseconds/);
		const format = await rejectionOf(sendEvent(rig.client, { format: 'yaml', raw: Buffer.from('a: b') }));
		assert.match(format.details, /unknown raw payload format "yaml"/);
	});

	it('fails a JSON payload nested 5000 deep with INVALID_ARGUMENT naming the payload and the limit', async () => {
		const deep = `{"id":"deep","payload":${'['.repeat(5000)}${']'.repeat(5000)}}`;
		const error = await rejectionOf(sendEvent(rig.client, { format: 'json', raw: Buffer.from(deep) }));
		assert.equal(error.code, status.INVALID_ARGUMENT);
		assert.equal(error.details, 'payload: is nested deeper than 256 levels');
		const stream = await streamBatches(rig.client, [{ raw: { format: 'ndjson', data: Buffer.from(`{"id":"ok"}\n${deep}`) } }]);
		assert.deepEqual(stream[0]!.event_ids ?? [], []);
		assert.deepEqual(stream[0]!.errors, [{ event_id: 'deep', code: 'INVALID', message: 'line 2: payload: is nested deeper than 256 levels' }]);
	});

	it('accepts an event whose payload bytes are empty', async () => {
		const ack = await sendEvent(rig.client, { event: { id: 'u-empty', event_type: 't' } });
		assert.deepEqual(ack.event_ids, ['u-empty']);
	});
});

describe('GrpcInput limits and auth', () => {
	it('fails oversized requests with RESOURCE_EXHAUSTED', async () => {
		const rig = await startRig({ maxMessageBytes: 1024 });
		try {
			const error = await rejectionOf(sendEvent(rig.client, { event: wireEvent('big', { payload: Buffer.alloc(4096) }) }));
			assert.equal(error.code, status.RESOURCE_EXHAUSTED);
			const call = rig.client.StreamEvents();
			call.on('data', () => {});
			const failed = new Promise<{ code: number }>((resolve) => call.on('error', resolve));
			call.write({ events: { events: [wireEvent('big', { payload: Buffer.alloc(4096) })] } });
			assert.equal((await failed).code, status.RESOURCE_EXHAUSTED);
			assert.deepEqual(await sendEvent(rig.client, { event: wireEvent('small') }).then((a) => a.event_ids), ['small']);
		} finally {
			await rig.close();
		}
	});

	it('rejects calls without the bearer token with UNAUTHENTICATED; Health stays open', async () => {
		const rig = await startRig({ auth: bearerToken(['s3cret', 'other']) });
		try {
			const none = await rejectionOf(sendEvent(rig.client, { event: wireEvent('a') }));
			assert.equal(none.code, status.UNAUTHENTICATED);
			assert.match(none.details, /missing bearer token/);
			const wrong = new Metadata();
			wrong.set('authorization', 'Bearer nope');
			assert.equal((await rejectionOf(sendEvent(rig.client, { event: wireEvent('a') }, wrong))).code, status.UNAUTHENTICATED);
			const streamError = await rejectionOf(streamBatches(rig.client, [{ events: { events: [wireEvent('s')] } }], wrong));
			assert.equal(streamError.code, status.UNAUTHENTICATED);
			assert.match(streamError.details, /invalid bearer token/);
			const good = new Metadata();
			good.set('authorization', 'Bearer s3cret');
			assert.deepEqual((await sendEvent(rig.client, { event: wireEvent('ok') }, good)).event_ids, ['ok']);
			assert.deepEqual((await streamBatches(rig.client, [{ events: { events: [wireEvent('ok-s')] } }], good))[0]!.event_ids, ['ok-s']);
			assert.equal((await health(rig.client))['healthy'], true);
			assert.deepEqual(rig.output.messages.map((m) => m.id).sort(), ['ok', 'ok-s']);
			assert.deepEqual(rig.input.stats, { openStreams: 0, requests: 2, events: 2, processed: 2, invalid: 0, unauthenticated: 3 });
		} finally {
			await rig.close();
		}
	});

	it('runs an async auth function and treats a rejection as UNAUTHENTICATED', async () => {
		const rig = await startRig({
			auth: async (metadata, call) => {
				if (call.method === 'SendEvent' && metadata.get('x-key')[0] === 'boom') throw new Error('directory down');
				return metadata.get('x-key')[0] === 'k' || `bad key for ${call.method}`;
			},
		});
		try {
			const md = (key: string): Metadata => {
				const m = new Metadata();
				m.set('x-key', key);
				return m;
			};
			assert.match((await rejectionOf(sendEvent(rig.client, { event: wireEvent('a') }, md('boom')))).details, /authentication failed: directory down/);
			assert.match((await rejectionOf(streamBatches(rig.client, [{ events: { events: [wireEvent('a')] } }], md('x')))).details, /bad key for StreamEvents/);
			assert.deepEqual((await streamBatches(rig.client, [{ events: { events: [wireEvent('b')] } }], md('k')))[0]!.event_ids, ['b']);
		} finally {
			await rig.close();
		}
	});

	it('copies the authorization header into message metadata only with forwardAuthorization', async () => {
		const checked: string[] = [];
		const requireToken: Middleware = {
			name: 'auth',
			process: (m) => {
				checked.push(m.metadata['authorization'] ?? '');
				return m.metadata['authorization'] === 'Bearer t' ? m : reject('unauthorized');
			},
		};
		const md = new Metadata();
		md.set('authorization', 'Bearer t');
		const on = await startRig({ forwardAuthorization: true }, { configure: (b) => b.middleware(requireToken) });
		try {
			assert.deepEqual((await streamBatches(on.client, [{ events: { events: [wireEvent('f-1')] } }], md))[0]!.event_ids, ['f-1']);
			assert.deepEqual((await sendEvent(on.client, { event: wireEvent('f-2') }, md)).event_ids, ['f-2']);
		} finally {
			await on.close();
		}
		const off = await startRig({}, { configure: (b) => b.middleware(requireToken) });
		try {
			const [ack] = await streamBatches(off.client, [{ events: { events: [wireEvent('f-3')] } }], md);
			assert.equal(ack!.event_ids, undefined);
			assert.equal(ack!.errors![0]!.code, 'REJECTED');
			assert.match(ack!.errors![0]!.message!, /unauthorized/);
		} finally {
			await off.close();
		}
		assert.deepEqual(checked, ['Bearer t', 'Bearer t', '']);
	});
});

describe('GrpcInput acks', () => {
	it('lists filtered events as accepted and middleware rejections as errors with codes', async () => {
		const sorter: Middleware = {
			name: 'sorter',
			process: (m) => {
				if (m.messageType === 'drop-me') return null;
				if (m.messageType === 'refuse') return reject('rate-limited');
				if (m.messageType === 'explode') throw new Error('kaboom');
				return m;
			},
		};
		const rig = await startRig({}, { configure: (b) => b.middleware(sorter) });
		try {
			const [ack] = await streamBatches(rig.client, [
				{
					events: {
						events: [
							wireEvent('keep'),
							wireEvent('filtered', { event_type: 'drop-me' }),
							wireEvent('refused', { event_type: 'refuse' }),
							wireEvent('exploded', { event_type: 'explode' }),
							wireEvent('nowhere', { route_to: ['missing-output'] }),
						],
					},
				},
			]);
			assert.deepEqual(ack!.event_ids, ['keep', 'filtered']);
			assert.deepEqual(ack!.errors!.map((e) => [e.event_id, e.code]), [
				['refused', 'REJECTED'],
				['exploded', 'MIDDLEWARE_ERROR'],
				['nowhere', 'UNROUTABLE'],
			]);
			assert.match(ack!.errors![1]!.message!, /kaboom/);
			assert.deepEqual(ack!.middleware_stats, { rate_limited_count: '1', filtered_count: '1', total_received: '5', total_forwarded: '1' });
		} finally {
			await rig.close();
		}
	});
});

describe('GrpcInput Health', () => {
	it('reports serving, uptime and events processed by default', async () => {
		const rig = await startRig({ name: 'ingest' });
		try {
			await sendEvent(rig.client, { event: wireEvent('h-1') });
			const report = await health(rig.client);
			assert.equal(report['healthy'], true);
			assert.equal(report['events_processed'], '1');
			assert.deepEqual(Object.keys(report['components'] as object), ['ingest']);
		} finally {
			await rig.close();
		}
	});

	it('answers with a health callback such as hubHealth, and unhealthy when it throws', async () => {
		const down = new MemoryOutput({ name: 'down' });
		down.healthy = false;
		let rigHub: Rig['hub'] | undefined;
		const rig = await startRig({ health: hubHealth(() => rigHub!) }, { configure: (b) => b.output(down, { retry: false }) });
		rigHub = rig.hub;
		try {
			const report = await health(rig.client);
			assert.equal(report['healthy'], undefined); // false is the proto3 default: not on the wire
			const components = report['components'] as Record<string, { healthy?: boolean }>;
			assert.equal(components['memory']!.healthy, true);
			assert.equal(components['down']!.healthy, undefined);
			assert.equal(components['buffer']!.healthy, true);
		} finally {
			await rig.close();
		}
		const throwing = await startRig({ health: () => Promise.reject(new Error('probe failed')) });
		try {
			const report = await health(throwing.client);
			assert.deepEqual(report['components'], { health: { message: 'probe failed' } });
		} finally {
			await throwing.close();
		}
	});
});

describe('GrpcInput options', () => {
	it('throws ConfigError naming the field', () => {
		assert.throws(() => new GrpcInput({ maxMessageBytes: 0 }), (e: unknown) => e instanceof ConfigError && e.field === 'GrpcInput.maxMessageBytes');
		assert.throws(() => new GrpcInput({ name: '' }), (e: unknown) => e instanceof ConfigError && e.field === 'GrpcInput.name');
		assert.throws(() => new GrpcInput({ flowControlWindow: 100 }), (e: unknown) => e instanceof ConfigError && e.field === 'GrpcInput.flowControlWindow');
		assert.throws(() => new GrpcInput({ auth: 'token' as never }), (e: unknown) => e instanceof ConfigError && e.field === 'GrpcInput.auth');
		assert.throws(() => bearerToken([]), ConfigError);
	});

	it('rejects run() and ready when the address cannot be bound', async () => {
		const first = await startRig();
		try {
			const input = new GrpcInput({ address: `127.0.0.1:${first.port}` });
			const controller = new AbortController();
			const run = input.run({} as never, controller.signal);
			await assert.rejects(input.ready, /could not bind/);
			await assert.rejects(run, /could not bind/);
		} finally {
			await first.close();
		}
	});
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createMessage, type Message } from '../../src/index.js';
import { decodeAck, encodeAck, type GrpcAck } from '../../src/adapters/grpc/codec/ack.js';
import { decodeHealth, encodeHealth } from '../../src/adapters/grpc/codec/health.js';
import { decodeIngestBatch, decodeIngestEvent, encodeIngestBatch, encodeIngestEvent } from '../../src/adapters/grpc/codec/ingest.js';
import { WireError, WireReader } from '../../src/adapters/grpc/codec/reader.js';
import { WireWriter, varint64Size } from '../../src/adapters/grpc/codec/writer.js';
import { protoMethod, type WireAck, type WireEvent } from './helpers.js';
import { assertInheritsNothing } from '../support/metadata.js';

const stream = protoMethod('StreamEvents');
const unary = protoMethod('SendEvent');
const healthMethod = protoMethod('Health');

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

// Strings with the characters that break naive codecs: multi-byte, surrogate pairs, prototype keys.
const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'ä€😀'));
const nonEmpty = text.filter((s) => s.length > 0);
const metadataArb = fc.dictionary(text, text, { maxKeys: 5 }).map((d) => {
	const out = Object.create(null) as Record<string, string>;
	for (const k of Object.keys(d)) out[k] = d[k]!;
	return out;
});
const messageArb: fc.Arbitrary<Message> = fc.record({
	id: nonEmpty,
	timestamp: fc.bigInt({ min: INT64_MIN, max: INT64_MAX }).filter((t) => t !== 0n),
	source: nonEmpty,
	messageType: text,
	metadata: metadataArb,
	payload: fc.uint8Array({ maxLength: 64 }),
	routeTo: fc.array(text, { maxLength: 3 }),
});

/** What proto-loader (protobufjs) decodes, mapped back to a polku message shape. */
function fromWire(e: WireEvent): Record<string, unknown> {
	const metadata = Object.create(null) as Record<string, string>;
	for (const [k, v] of Object.entries(e.metadata ?? {})) metadata[k] = v;
	if (e.severity) metadata['polku.severity'] = String(e.severity);
	if (e.outcome) metadata['polku.outcome'] = String(e.outcome);
	return {
		id: e.id ?? '',
		timestamp: BigInt(e.timestamp_unix_ns ?? '0'),
		source: e.source ?? '',
		messageType: e.event_type ?? '',
		metadata,
		payload: new Uint8Array(e.payload ?? []),
		routeTo: e.route_to ?? [],
	};
}

/** An IngestBatch whose raw body (format protobuf) is the EventPayload of `messages`. */
function encodeIngestEventPayloadBody(messages: readonly Message[]): Buffer {
	const batch = encodeIngestBatch(messages);
	const r = new WireReader(batch);
	r.tag();
	const payload = r.bytes(); // the EventPayload of field 4
	return stream.requestSerialize({ raw: { data: payload, format: 'protobuf' } });
}

const plain = (m: Message): Record<string, unknown> => {
	const metadata = Object.create(null) as Record<string, string>;
	for (const k of Object.keys(m.metadata)) metadata[k] = m.metadata[k]!;
	return { ...m, metadata, payload: new Uint8Array(m.payload), routeTo: [...m.routeTo] };
};

describe('encodeIngestBatch', () => {
	it('produces bytes protobufjs decodes to the same events (property)', () => {
		fc.assert(
			fc.property(fc.array(messageArb, { maxLength: 6 }), text, text, (messages, source, cluster) => {
				const decoded = stream.requestDeserialize(encodeIngestBatch(messages, { source, cluster })) as { source?: string; cluster?: string; events?: { events?: WireEvent[] } };
				assert.equal(decoded.source ?? '', source);
				assert.equal(decoded.cluster ?? '', cluster);
				assert.deepEqual((decoded.events?.events ?? []).map(fromWire), messages.map(plain));
			}),
			{ numRuns: 300 },
		);
	});

	it('maps polku.severity / polku.outcome metadata to the enum fields', () => {
		const m = createMessage({ source: 's', messageType: 't', metadata: { 'polku.severity': '4', 'polku.outcome': '2', k: 'v' } });
		const decoded = stream.requestDeserialize(encodeIngestBatch([m])) as { events: { events: WireEvent[] } };
		const e = decoded.events.events[0]!;
		assert.equal(e.severity, 4);
		assert.equal(e.outcome, 2);
		assert.deepEqual({ ...e.metadata }, { k: 'v' });
	});

	it('keeps metadata that is not a decimal enum as metadata', () => {
		const m = createMessage({ source: 's', messageType: 't', metadata: { 'polku.severity': 'high', 'polku.outcome': '007' } });
		const e = (stream.requestDeserialize(encodeIngestBatch([m])) as { events: { events: WireEvent[] } }).events.events[0]!;
		assert.equal(e.severity, undefined);
		assert.deepEqual({ ...e.metadata }, { 'polku.severity': 'high', 'polku.outcome': '007' });
	});
});

describe('decodeIngestBatch', () => {
	it('decodes what protobufjs encodes, exactly (property)', () => {
		fc.assert(
			fc.property(fc.array(messageArb, { maxLength: 6 }), (messages) => {
				const wire = messages.map((m) => ({
					id: m.id,
					timestamp_unix_ns: m.timestamp.toString(),
					source: m.source,
					event_type: m.messageType,
					metadata: { ...m.metadata },
					payload: Buffer.from(m.payload),
					route_to: [...m.routeTo],
				}));
				const decoded = decodeIngestBatch(stream.requestSerialize({ events: { events: wire } }));
				assert.equal(decoded.failures, undefined);
				assert.deepEqual(decoded.messages!.map(plain), messages.map(plain));
			}),
			{ numRuns: 300 },
		);
	});

	it('a payload that is most of the received buffer is a view into it, not a copy', () => {
		const bytes = encodeIngestBatch([createMessage({ source: 's', messageType: 't', payload: Buffer.alloc(64 * 1024, 7) })]);
		const m = decodeIngestBatch(bytes).messages![0]!;
		assert.equal(m.payload.buffer, bytes.buffer);
		assert.equal(m.payload.length, 64 * 1024);
	});

	it('small payloads of a large request are copied out: one buffered message never pins the whole request', () => {
		const messages = Array.from({ length: 4096 }, (_, i) => createMessage({ id: `m${i}`, source: 's', messageType: 't', payload: Buffer.alloc(1000, i) }));
		const bytes = encodeIngestBatch(messages); // ~4 MiB, as a client's batch at maxMessageBytes
		assert.ok(bytes.length > 4_000_000);
		const decoded = decodeIngestBatch(bytes).messages!;
		for (const m of decoded) {
			assert.notEqual(m.payload.buffer, bytes.buffer, m.id);
			assert.ok(m.payload.buffer.byteLength <= 16 * 1024, `${m.id} pins ${m.payload.buffer.byteLength} bytes`);
		}
		assert.deepEqual(Buffer.from(decoded[4095]!.payload), Buffer.alloc(1000, 4095));
		// The same for an EventPayload sent as a raw protobuf body.
		const raw = decodeIngestBatch(encodeIngestEventPayloadBody(messages)).messages!;
		assert.ok(raw.every((m) => m.payload.buffer.byteLength <= 16 * 1024));
	});

	it('keeps __proto__ and constructor metadata keys as data', () => {
		const metadata = JSON.parse('{"__proto__":"p","constructor":"c"}') as Record<string, string>;
		const bytes = stream.requestSerialize({ events: { events: [{ id: 'x', metadata }] } });
		const m = decodeIngestBatch(bytes).messages![0]!;
		assertInheritsNothing(m.metadata);
		assert.deepEqual(Object.keys(m.metadata).sort(), ['__proto__', 'constructor']);
		assert.equal(m.metadata['__proto__'], 'p');
	});

	it('generates a missing id and a zero timestamp, fills source and cluster from the batch', () => {
		const before = BigInt(Date.now()) * 1_000_000n;
		const bytes = stream.requestSerialize({ source: 'batch-src', cluster: 'eu-1', events: { events: [{ event_type: 't' }, { source: 'own', metadata: { 'polku.cluster': 'mine' } }] } });
		const [a, b] = decodeIngestBatch(bytes).messages!;
		assert.match(a!.id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
		// nowNanos() follows the monotonic clock and may trail Date.now() by a couple of ms.
		assert.ok(a!.timestamp >= before - 1_000_000_000n && a!.timestamp <= BigInt(Date.now() + 1000) * 1_000_000n);
		assert.equal(a!.source, 'batch-src');
		assert.equal(a!.metadata['polku.cluster'], 'eu-1');
		assert.equal(b!.source, 'own');
		assert.equal(b!.metadata['polku.cluster'], 'mine');
	});

	it('skips unknown fields of every wire type', () => {
		const w = new WireWriter(64);
		w.tag(99, 0); w.uint(300); // varint
		w.tag(98, 1); w.buf.writeBigUInt64LE(1n, w.pos); w.pos += 8; // fixed64
		w.tag(97, 5); w.buf.writeUInt32LE(1, w.pos); w.pos += 4; // fixed32
		w.tag(96, 3); w.tag(1, 0); w.uint(1); w.tag(96, 4); // group
		w.tag(95, 2); w.stringValue('skip me');
		const unknown = w.finish();
		const event = Buffer.concat([Buffer.from(unary.requestSerialize({ event: { id: 'e1', event_type: 't' } })).subarray(2), unknown]);
		const batch = Buffer.concat([unknown, Buffer.from([0x22, event.length + 2, 0x0a, event.length]), event]);
		const decoded = decodeIngestBatch(batch);
		assert.equal(decoded.failures, undefined);
		assert.equal(decoded.messages![0]!.id, 'e1');
	});

	it('reports a batch with neither raw nor events', () => {
		assert.match(decodeIngestBatch(stream.requestSerialize({ source: 's' })).failures![0]!.message, /neither raw nor events/);
	});

	it('never throws on random bytes (fuzz)', () => {
		fc.assert(
			fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
				const a = decodeIngestBatch(bytes);
				const b = decodeIngestEvent(bytes);
				assert.ok((a.messages === undefined) !== (a.failures === undefined));
				assert.ok((b.messages === undefined) !== (b.failures === undefined));
			}),
			{ numRuns: 5000 },
		);
	});

	it('never throws on mutated valid batches (fuzz)', () => {
		const valid = encodeIngestBatch([createMessage({ source: 's', messageType: 't', metadata: { a: 'b' }, payload: 'xyz', routeTo: ['o'] })]);
		fc.assert(
			fc.property(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(valid.length), (edits, cut) => {
				const bytes = Buffer.from(valid.subarray(0, Math.max(cut, 1)));
				for (const [i, v] of edits) if (i < bytes.length) bytes[i] = v;
				const result = decodeIngestBatch(bytes);
				assert.ok(result.messages !== undefined || result.failures.length > 0);
			}),
			{ numRuns: 5000 },
		);
	});
});

describe('decodeIngestEvent', () => {
	it('decodes an event and reports one with neither raw nor event', () => {
		const ok = decodeIngestEvent(unary.requestSerialize({ source: 's', event: { id: 'e', event_type: 't' } }));
		assert.equal(ok.messages![0]!.id, 'e');
		assert.equal(ok.messages![0]!.source, 's');
		assert.match(decodeIngestEvent(unary.requestSerialize({ source: 's', format: 'json' })).failures![0]!.message, /neither raw nor event/);
	});

	it('round-trips encodeIngestEvent for an event and for a raw body', () => {
		const m = createMessage({ id: 'id1', timestamp: 5n, source: 's', messageType: 't', payload: 'p' });
		assert.deepEqual(decodeIngestEvent(encodeIngestEvent({ event: m })).messages!.map(plain), [plain(m)]);
		const raw = decodeIngestEvent(encodeIngestEvent({ source: 'src', raw: Buffer.from('{"id":"j","event_type":"x"}'), format: 'json' }));
		assert.equal(raw.messages![0]!.id, 'j');
		assert.equal(raw.messages![0]!.source, 'src');
		const wire = unary.requestDeserialize(encodeIngestEvent({ source: 'src', cluster: 'c', raw: Buffer.from('{}'), format: 'json' }));
		assert.deepEqual({ source: wire['source'], cluster: wire['cluster'], format: wire['format'], raw: String(wire['raw']) }, { source: 'src', cluster: 'c', format: 'json', raw: '{}' });
	});
});

describe('encodeAck / decodeAck', () => {
	const ackArb: fc.Arbitrary<GrpcAck> = fc.record({
		eventIds: fc.array(text, { maxLength: 5 }),
		errors: fc.array(fc.record({ eventId: text, code: text, message: text }), { maxLength: 3 }),
		bufferSize: fc.nat(),
		bufferCapacity: fc.nat(),
		stats: fc.option(
			fc.record({ rateLimited: fc.nat(), sampledOut: fc.nat(), dedup: fc.nat(), filtered: fc.nat(), bufferOverflow: fc.nat(), received: fc.nat(), forwarded: fc.nat() }),
			{ nil: undefined },
		),
	});

	it('agree with protobufjs in both directions (property)', () => {
		fc.assert(
			fc.property(ackArb, (ack) => {
				const wire = stream.responseDeserialize(encodeAck(ack)) as WireAck;
				assert.deepEqual(wire.event_ids ?? [], ack.eventIds);
				const errors = ack.errors.map((e) => ({ ...e }));
				assert.deepEqual((wire.errors ?? []).map((e) => ({ eventId: e.event_id ?? '', code: e.code ?? '', message: e.message ?? '' })), errors);
				assert.equal(Number(wire.buffer_size ?? 0), ack.bufferSize);
				assert.equal(Number(wire.buffer_capacity ?? 0), ack.bufferCapacity);
				assert.equal(Number(wire.middleware_stats?.['total_received'] ?? 0), ack.stats?.received ?? 0);
				const back = decodeAck(stream.responseSerialize(wire));
				assert.deepEqual({ ...back, stats: undefined }, { ...ack, errors, stats: undefined });
				if (ack.stats !== undefined) assert.deepEqual(back.stats, { ...ack.stats });
			}),
			{ numRuns: 300 },
		);
	});

	it('throws only WireError on random bytes (fuzz)', () => {
		fc.assert(
			fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
				try {
					decodeAck(bytes);
					decodeHealth(bytes);
				} catch (error) {
					assert.ok(error instanceof WireError, String(error));
				}
			}),
			{ numRuns: 3000 },
		);
	});
});

describe('encodeHealth / decodeHealth', () => {
	it('agree with protobufjs, uint64 exact', () => {
		const report = { healthy: true, components: { a: { healthy: true, message: 'ok' }, b: { healthy: false, message: 'down' } }, uptimeSeconds: 12n, eventsProcessed: 2n ** 63n + 5n };
		const wire = healthMethod.responseDeserialize(encodeHealth(report));
		assert.deepEqual(JSON.parse(JSON.stringify(wire)), {
			healthy: true,
			components: { a: { healthy: true, message: 'ok' }, b: { message: 'down' } },
			uptime_seconds: '12',
			events_processed: (2n ** 63n + 5n).toString(),
		});
		const back = decodeHealth(healthMethod.responseSerialize(wire));
		assert.equal(back.eventsProcessed, 2n ** 63n + 5n);
		assert.deepEqual({ ...back.components }, { a: { healthy: true, message: 'ok' }, b: { healthy: false, message: 'down' } });
	});
});

describe('WireReader / WireWriter varints', () => {
	it('round-trip every int64 exactly (property)', () => {
		fc.assert(
			fc.property(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), (n) => {
				const w = new WireWriter(varint64Size(n));
				w.uint64(n);
				assert.equal(w.pos, w.buf.length);
				assert.equal(new WireReader(w.finish()).int64(), n);
			}),
			{ numRuns: 2000 },
		);
	});

	it('rejects truncated input and lengths past the end', () => {
		assert.throws(() => new WireReader(Buffer.from([0x80])).uint64(), WireError);
		assert.throws(() => new WireReader(Buffer.from([0x0a, 0x05, 0x61])).skip(new WireReader(Buffer.from([0x0a])).tag()), WireError);
		assert.throws(() => new WireReader(Buffer.from([0x05, 0x61])).string(), /runs past the end/);
		assert.throws(() => new WireReader(Buffer.from([0x00])).tag(), /field number 0/);
	});
});

describe('WireReader: varints past 32 bits are errors, never truncated', () => {
	it('decodeIngestEvent refuses a length prefix of 2^32 (22 80 80 80 80 10) instead of reading an empty event', () => {
		const decoded = decodeIngestEvent(Buffer.from([0x22, 0x80, 0x80, 0x80, 0x80, 0x10]));
		assert.equal(decoded.messages, undefined);
		assert.match(decoded.failures![0]!.message, /^malformed protobuf: length 4294967296 at byte 1 does not fit in 32 bits$/);
	});

	it('decodeIngestBatch refuses a 2^32 + n length prefix on every length-delimited field', () => {
		// events (0x22), raw (0x1a), source (0x0a): each with length 2^32 + 1 followed by one byte
		for (const tag of [0x22, 0x1a, 0x0a]) {
			const decoded = decodeIngestBatch(Buffer.from([tag, 0x81, 0x80, 0x80, 0x80, 0x10, 0x0a]));
			assert.equal(decoded.messages, undefined, `tag ${tag}`);
			assert.match(decoded.failures![0]!.message, /^malformed protobuf: length/);
		}
	});

	it('WireReader.length(), tag() and skip() throw on values above 32 bits', () => {
		assert.throws(() => new WireReader(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x10])).length(), /length 4294967296 at byte 0 does not fit in 32 bits/);
		// tag 2^32 + 0x0a would truncate to field 1 (id)
		assert.throws(() => new WireReader(Buffer.from([0x8a, 0x80, 0x80, 0x80, 0x10])).tag(), /tag .* at byte 0 does not fit in 32 bits/);
		// a length-delimited field being skipped
		assert.throws(() => new WireReader(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x10])).skip(0x7a), /does not fit in 32 bits/);
	});

	it('WireReader.bool() is true for any non-zero varint, 2^32 included', () => {
		assert.equal(new WireReader(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x10])).bool(), true);
		assert.equal(new WireReader(Buffer.from([0x00])).bool(), false);
	});
});

import { fromEnvelopeHeaders, toEnvelopeHeaders, type EnvelopeHeader, type Message } from '../../index.js';
import type { KafkaHeaderValue, KafkaRecordIn, KafkaRecordOut } from './client.js';

const NS_PER_MS = 1_000_000n;

/** The message's payload as a Buffer view (no copy): kafkajs writes Buffers and strings only. */
export function payloadBuffer(payload: Uint8Array): Buffer {
	return Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

/** The headers of `message` as a Kafka header object (`__proto__` as an own property, like any other name). */
export function recordHeaders(message: Message): Record<string, string> {
	const headers: Record<string, string> = {};
	for (const [name, value] of toEnvelopeHeaders(message)) {
		if (name === '__proto__') Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
		else headers[name] = value;
	}
	return headers;
}

/** A record carrying `message`: payload = value, envelope in headers, Kafka timestamp = the message's (ms). */
export function toRecord(message: Message, key: Uint8Array | string | undefined): KafkaRecordOut {
	const record: KafkaRecordOut = {
		value: payloadBuffer(message.payload),
		headers: recordHeaders(message),
		timestamp: (message.timestamp / NS_PER_MS).toString(),
	};
	if (key !== undefined) record.key = typeof key === 'string' ? key : payloadBuffer(key);
	return record;
}

function text(value: Uint8Array | string): string {
	return typeof value === 'string' ? value : payloadBuffer(value).toString('utf8');
}

function isHeaderValue(value: unknown): value is Uint8Array | string {
	return typeof value === 'string' || value instanceof Uint8Array;
}

/**
 * A consumed record's headers as name/value pairs (a repeated name gives
 * several pairs; the last wins). kafkajs collects a header named like an
 * `Object.prototype` member (`constructor`, `toString`, `__proto__`) into an
 * array that starts with the inherited value: only bytes and strings count.
 */
export function headerPairs(headers: { readonly [name: string]: KafkaHeaderValue } | undefined): EnvelopeHeader[] {
	const pairs: EnvelopeHeader[] = [];
	if (headers === undefined || headers === null) return pairs;
	for (const name of Object.keys(headers)) {
		const value: unknown = headers[name];
		if (isHeaderValue(value)) pairs.push([name, text(value)]);
		else if (Array.isArray(value)) for (const v of value as unknown[]) if (isHeaderValue(v)) pairs.push([name, text(v)]);
	}
	return pairs;
}

/**
 * The message a consumed record carries. A record written by polku gets its
 * envelope back exactly; any other record gets id `<topic>/<partition>/<offset>`
 * (stable across redeliveries), the record's timestamp, source `kafka`, type
 * = the topic, and its headers as metadata. Throws `MessageValidationError`
 * for a malformed polku envelope (a poison record).
 */
export function fromRecord(topic: string, partition: number, record: KafkaRecordIn): Message {
	const ms = /^\d{1,15}$/.test(record.timestamp) ? BigInt(record.timestamp) : undefined;
	return fromEnvelopeHeaders(headerPairs(record.headers), record.value ?? undefined, {
		id: `${topic}/${partition}/${record.offset}`,
		source: 'kafka',
		messageType: topic,
		...(ms === undefined ? {} : { timestamp: ms * NS_PER_MS }),
	});
}

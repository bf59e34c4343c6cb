// ExportLogsServiceRequest from a batch of messages, in protobuf (polku's wire writer) and OTLP/JSON.
// Field numbers from opentelemetry-proto:
//   collector/logs/v1/logs_service.proto  ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
//   logs/v1/logs.proto  ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; string schema_url = 3; }
//                       ScopeLogs { InstrumentationScope scope = 1; repeated LogRecord log_records = 2; string schema_url = 3; }
//                       LogRecord { fixed64 time_unix_nano = 1; SeverityNumber severity_number = 2; string severity_text = 3;
//                                   AnyValue body = 5; repeated KeyValue attributes = 6; uint32 dropped_attributes_count = 7;
//                                   fixed32 flags = 8; bytes trace_id = 9; bytes span_id = 10; fixed64 observed_time_unix_nano = 11;
//                                   string event_name = 12; }
//   resource/v1/resource.proto  Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
//   common/v1/common.proto  InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3; }
import { isUtf8 } from 'node:buffer';
import type { Message } from '../../../message/message.js';
import { stringValueSize, varintSize, WireWriter } from '../../grpc/codec/writer.js';
import { severityOf } from '../severity.js';
import { keyValueSize, stringKeyValueSize, writeFixed32, writeFixed64, writeKeyValue, writeStringKeyValue, type AttributeValue } from './wire.js';

/**
 * The attribute keys every log record of `OtlpLogsOutput` gets after its
 * metadata: the message's id, source and type.
 *
 * @example
 * ```ts
 * import { LOG_ATTRIBUTES } from 'polku/otlp';
 *
 * // In a collector pipeline, or when reading records back:
 * const id = record.attributes.find((a) => a.key === LOG_ATTRIBUTES.id)?.value.stringValue;
 * ```
 */
export const LOG_ATTRIBUTES = Object.freeze({ id: 'polku.id', source: 'polku.source', type: 'polku.type' } as const);

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** The fixed parts of every request: the encoded Resource and InstrumentationScope, in both encodings. */
export interface LogsPreamble {
	readonly resource: Buffer;
	readonly scope: Buffer;
	readonly resourceJson: string;
	readonly scopeJson: string;
}

/** Encodes the resource (its attributes) and scope once, for every request. */
export function logsPreamble(resourceAttributes: Readonly<Record<string, AttributeValue>>, scopeName: string, scopeVersion: string): LogsPreamble {
	const keys = Object.keys(resourceAttributes);
	let size = 0;
	for (const key of keys) size += delimited(keyValueSize(key, resourceAttributes[key]!));
	const resource = new WireWriter(size);
	for (const key of keys) {
		resource.buf[resource.pos++] = 0x0a;
		resource.uint(keyValueSize(key, resourceAttributes[key]!));
		writeKeyValue(resource, key, resourceAttributes[key]!);
	}
	const scope = new WireWriter((scopeName === '' ? 0 : 1 + stringValueSize(scopeName)) + (scopeVersion === '' ? 0 : 1 + stringValueSize(scopeVersion)));
	scope.stringField(1, scopeName);
	scope.stringField(2, scopeVersion);
	const attributes = keys.map((key) => `{"key":${JSON.stringify(key)},"value":${jsonAnyValue(resourceAttributes[key]!)}}`).join(',');
	const scopeFields = [scopeName === '' ? '' : `"name":${JSON.stringify(scopeName)}`, scopeVersion === '' ? '' : `"version":${JSON.stringify(scopeVersion)}`];
	return {
		resource: resource.finish(),
		scope: scope.finish(),
		resourceJson: `{"attributes":[${attributes}]}`,
		scopeJson: `{${scopeFields.filter((f) => f !== '').join(',')}}`,
	};
}

function jsonAnyValue(value: AttributeValue): string {
	if (typeof value === 'string') return `{"stringValue":${JSON.stringify(value)}}`;
	if (typeof value === 'boolean') return `{"boolValue":${value}}`;
	return Number.isSafeInteger(value) ? `{"intValue":"${value}"}` : `{"doubleValue":${JSON.stringify(value)}}`;
}

/** Bytes of a length-delimited field (one-byte tag) whose contents take `n` bytes. */
function delimited(n: number): number {
	return 1 + varintSize(n) + n;
}

/** Trace context from the W3C `traceparent` metadata value, when valid. */
interface TraceContext {
	readonly traceId: string;
	readonly spanId: string;
	readonly flags: number;
}

function traceContext(value: string | undefined): TraceContext | undefined {
	if (value === undefined) return undefined;
	const m = TRACEPARENT.exec(value);
	if (m === null || m[1] === 'ff' || m[2] === ZERO_TRACE || m[3] === ZERO_SPAN) return undefined;
	return { traceId: m[2]!, spanId: m[3]!, flags: parseInt(m[4]!, 16) };
}

/** Bytes of one LogRecord's contents. */
function recordSize(msg: Message): number {
	const severity = severityOf(msg.metadata);
	const payload = msg.payload.length;
	let size = 18; // time_unix_nano and observed_time_unix_nano, fixed64 with one-byte tags
	if (severity.number !== 0) size += 1 + varintSize(severity.number);
	if (severity.text !== '') size += 1 + stringValueSize(severity.text);
	size += delimited(1 + varintSize(payload) + payload); // body: AnyValue { string_value | bytes_value }
	const meta = msg.metadata;
	for (const key of Object.keys(meta)) size += delimited(stringKeyValueSize(key, meta[key]!));
	size += delimited(stringKeyValueSize(LOG_ATTRIBUTES.id, msg.id));
	size += delimited(stringKeyValueSize(LOG_ATTRIBUTES.source, msg.source));
	size += delimited(stringKeyValueSize(LOG_ATTRIBUTES.type, msg.messageType));
	if (traceContext(meta['traceparent']) !== undefined) size += 18 + 10 + 5;
	return size;
}

function writeAttribute(w: WireWriter, key: string, value: string): void {
	w.buf[w.pos++] = 0x32;
	w.uint(stringKeyValueSize(key, value));
	writeStringKeyValue(w, key, value);
}

function writeRecord(w: WireWriter, msg: Message, utf8: boolean, observedNs: bigint): void {
	const buf = w.buf;
	buf[w.pos++] = 0x09;
	writeFixed64(w, msg.timestamp);
	buf[w.pos++] = 0x59;
	writeFixed64(w, observedNs);
	const severity = severityOf(msg.metadata);
	if (severity.number !== 0) {
		buf[w.pos++] = 0x10;
		w.uint(severity.number);
	}
	if (severity.text !== '') w.stringField(3, severity.text);
	const payload = msg.payload;
	buf[w.pos++] = 0x2a;
	w.uint(1 + varintSize(payload.length) + payload.length);
	buf[w.pos++] = utf8 ? 0x0a : 0x3a; // string_value: the payload's UTF-8 bytes as they are; else bytes_value
	w.uint(payload.length);
	buf.set(payload, w.pos);
	w.pos += payload.length;
	const meta = msg.metadata;
	for (const key of Object.keys(meta)) writeAttribute(w, key, meta[key]!);
	writeAttribute(w, LOG_ATTRIBUTES.id, msg.id);
	writeAttribute(w, LOG_ATTRIBUTES.source, msg.source);
	writeAttribute(w, LOG_ATTRIBUTES.type, msg.messageType);
	const trace = traceContext(meta['traceparent']);
	if (trace !== undefined) {
		buf[w.pos++] = 0x45;
		writeFixed32(w, trace.flags);
		buf[w.pos++] = 0x4a;
		buf[w.pos++] = 16;
		w.pos += buf.write(trace.traceId, w.pos, 16, 'hex');
		buf[w.pos++] = 0x52;
		buf[w.pos++] = 8;
		w.pos += buf.write(trace.spanId, w.pos, 8, 'hex');
	}
}

/** True when the payload goes in `string_value` (valid UTF-8; the empty payload too). */
function isText(payload: Uint8Array): boolean {
	return payload.length === 0 || isUtf8(payload);
}

/**
 * One `ExportLogsServiceRequest` (protobuf) with one ResourceLogs and one
 * ScopeLogs holding a LogRecord per message, in batch order.
 */
export function encodeLogsRequest(batch: readonly Message[], preamble: LogsPreamble, observedNs: bigint): Buffer {
	const n = batch.length;
	const sizes = new Array<number>(n);
	const text = new Array<boolean>(n);
	let scopeLogs = delimited(preamble.scope.length);
	for (let i = 0; i < n; i++) {
		const msg = batch[i]!;
		text[i] = isText(msg.payload);
		sizes[i] = recordSize(msg);
		scopeLogs += delimited(sizes[i]!);
	}
	const resourceLogs = delimited(preamble.resource.length) + delimited(scopeLogs);
	const w = new WireWriter(delimited(resourceLogs));
	const buf = w.buf;
	buf[w.pos++] = 0x0a; // resource_logs
	w.uint(resourceLogs);
	buf[w.pos++] = 0x0a; // resource
	w.uint(preamble.resource.length);
	buf.set(preamble.resource, w.pos);
	w.pos += preamble.resource.length;
	buf[w.pos++] = 0x12; // scope_logs
	w.uint(scopeLogs);
	buf[w.pos++] = 0x0a; // scope
	w.uint(preamble.scope.length);
	buf.set(preamble.scope, w.pos);
	w.pos += preamble.scope.length;
	for (let i = 0; i < n; i++) {
		buf[w.pos++] = 0x12; // log_records
		w.uint(sizes[i]!);
		writeRecord(w, batch[i]!, text[i]!, observedNs);
	}
	return w.finish();
}

function jsonAttribute(key: string, value: string): string {
	return '{"key":' + JSON.stringify(key) + ',"value":{"stringValue":' + JSON.stringify(value) + '}}';
}

/**
 * The same request in OTLP/JSON: 64-bit integers as decimal strings, enums
 * as numbers, `bytesValue` in base64, trace and span ids in hex.
 */
export function encodeLogsRequestJson(batch: readonly Message[], preamble: LogsPreamble, observedNs: bigint): string {
	const observed = '"observedTimeUnixNano":"' + observedNs.toString() + '"';
	let records = '';
	for (let i = 0; i < batch.length; i++) {
		const msg = batch[i]!;
		const severity = severityOf(msg.metadata);
		let record = '{"timeUnixNano":"' + msg.timestamp.toString() + '",' + observed;
		if (severity.number !== 0) record += ',"severityNumber":' + severity.number;
		if (severity.text !== '') record += ',"severityText":' + JSON.stringify(severity.text);
		const payload = Buffer.from(msg.payload.buffer, msg.payload.byteOffset, msg.payload.byteLength);
		record += isText(payload) ? ',"body":{"stringValue":' + JSON.stringify(payload.toString('utf8')) + '}' : ',"body":{"bytesValue":"' + payload.toString('base64') + '"}';
		const meta = msg.metadata;
		let attributes = '';
		for (const key of Object.keys(meta)) attributes += jsonAttribute(key, meta[key]!) + ',';
		attributes += jsonAttribute(LOG_ATTRIBUTES.id, msg.id) + ',' + jsonAttribute(LOG_ATTRIBUTES.source, msg.source) + ',' + jsonAttribute(LOG_ATTRIBUTES.type, msg.messageType);
		record += ',"attributes":[' + attributes + ']';
		const trace = traceContext(meta['traceparent']);
		if (trace !== undefined) record += ',"flags":' + trace.flags + ',"traceId":"' + trace.traceId + '","spanId":"' + trace.spanId + '"';
		records += (i === 0 ? '' : ',') + record + '}';
	}
	return '{"resourceLogs":[{"resource":' + preamble.resourceJson + ',"scopeLogs":[{"scope":' + preamble.scopeJson + ',"logRecords":[' + records + ']}]}]}';
}

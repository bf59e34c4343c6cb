// Protobuf pieces of the OTLP messages, on polku's wire writer (src/adapters/grpc/codec/writer.ts).
// Field numbers from opentelemetry-proto (opentelemetry/proto/common/v1/common.proto):
//   KeyValue { string key = 1; AnyValue value = 2; }
//   AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3;
//              double double_value = 4; ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; } }
import { stringValueSize, varint64Size, varintSize, type WireWriter } from '../../grpc/codec/writer.js';

/** A resource or scope attribute value. */
export type AttributeValue = string | number | boolean;

/** Writes a fixed64 (little-endian) value without a tag. */
export function writeFixed64(w: WireWriter, value: bigint): void {
	w.buf.writeBigUInt64LE(BigInt.asUintN(64, value), w.pos);
	w.pos += 8;
}

/** Writes a fixed32 (little-endian) value without a tag. */
export function writeFixed32(w: WireWriter, value: number): void {
	w.buf.writeUInt32LE(value >>> 0, w.pos);
	w.pos += 4;
}

/** Bytes of `AnyValue { string_value }`, present even when empty (a oneof member). */
export function stringAnySize(value: string): number {
	return 1 + stringValueSize(value);
}

/** Bytes of a `KeyValue` with a string value, without its own tag and length. */
export function stringKeyValueSize(key: string, value: string): number {
	const any = stringAnySize(value);
	return 1 + stringValueSize(key) + 1 + varintSize(any) + any;
}

/** Writes a `KeyValue` with a string value (contents only). */
export function writeStringKeyValue(w: WireWriter, key: string, value: string): void {
	w.buf[w.pos++] = 0x0a;
	w.stringValue(key);
	w.buf[w.pos++] = 0x12;
	w.uint(stringAnySize(value));
	w.buf[w.pos++] = 0x0a;
	w.stringValue(value);
}

/** Bytes of an `AnyValue` holding a string, number (int64 when an integer, else double) or bool. */
export function anyValueSize(value: AttributeValue): number {
	if (typeof value === 'string') return stringAnySize(value);
	if (typeof value === 'boolean') return 2;
	return Number.isSafeInteger(value) ? 1 + varint64Size(BigInt(value)) : 9;
}

/** Writes an `AnyValue` (contents only). */
export function writeAnyValue(w: WireWriter, value: AttributeValue): void {
	if (typeof value === 'string') {
		w.buf[w.pos++] = 0x0a;
		w.stringValue(value);
	} else if (typeof value === 'boolean') {
		w.buf[w.pos++] = 0x10;
		w.buf[w.pos++] = value ? 1 : 0;
	} else if (Number.isSafeInteger(value)) {
		w.buf[w.pos++] = 0x18;
		w.uint64(BigInt(value));
	} else {
		w.buf[w.pos++] = 0x21;
		w.buf.writeDoubleLE(value, w.pos);
		w.pos += 8;
	}
}

/** Bytes of a `KeyValue` with any attribute value (contents only). */
export function keyValueSize(key: string, value: AttributeValue): number {
	const any = anyValueSize(value);
	return 1 + stringValueSize(key) + 1 + varintSize(any) + any;
}

/** Writes a `KeyValue` with any attribute value (contents only). */
export function writeKeyValue(w: WireWriter, key: string, value: AttributeValue): void {
	w.buf[w.pos++] = 0x0a;
	w.stringValue(key);
	w.buf[w.pos++] = 0x12;
	w.uint(anyValueSize(value));
	writeAnyValue(w, value);
}

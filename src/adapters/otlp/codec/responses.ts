// OTLP responses: Export*ServiceResponse (partial success) and google.rpc.Status, both encodings.
//   Export{Logs,Trace,Metrics}ServiceResponse { Export*PartialSuccess partial_success = 1; }
//   Export*PartialSuccess { int64 rejected_<items> = 1; string error_message = 2; }
//   google/rpc/status.proto  Status { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3; }
import { WireReader } from '../../grpc/codec/reader.js';
import { stringValueSize, varintSize, WireWriter } from '../../grpc/codec/writer.js';
import { REJECTED_JSON_FIELD, type OtlpSignal } from '../signals.js';

/** What a collector reported in `partial_success`. */
export interface PartialSuccess {
	readonly rejected: number;
	readonly message: string;
}

const NONE: PartialSuccess = Object.freeze({ rejected: 0, message: '' });

/**
 * The partial success of an `Export*ServiceResponse` body (protobuf, or JSON
 * when `json`); an empty or unreadable body counts as full success, as the
 * OTLP specification says a client must accept any 200.
 */
export function readPartialSuccess(body: Buffer, json: boolean, signal: OtlpSignal): PartialSuccess {
	if (body.length === 0) return NONE;
	try {
		return json ? partialFromJson(body, signal) : partialFromProtobuf(body);
	} catch {
		return NONE;
	}
}

function partialFromProtobuf(body: Buffer): PartialSuccess {
	const r = new WireReader(body);
	let rejected = 0;
	let message = '';
	while (!r.done) {
		const tag = r.tag();
		if (tag !== 0x0a) {
			r.skip(tag);
			continue;
		}
		const end = r.length() + r.pos;
		const inner = new WireReader(body, r.pos, end);
		while (!inner.done) {
			const t = inner.tag();
			if (t === 0x08) rejected = Number(inner.int64());
			else if (t === 0x12) message = inner.string();
			else inner.skip(t);
		}
		r.pos = end;
	}
	return { rejected, message };
}

function partialFromJson(body: Buffer, signal: OtlpSignal): PartialSuccess {
	const value = JSON.parse(body.toString('utf8')) as { partialSuccess?: Record<string, unknown> } | null;
	const partial = value?.partialSuccess;
	if (partial === undefined || partial === null || typeof partial !== 'object') return NONE;
	const rejected = Number(partial[REJECTED_JSON_FIELD[signal]] ?? 0);
	const message = partial['errorMessage'];
	return { rejected: Number.isFinite(rejected) ? rejected : 0, message: typeof message === 'string' ? message : '' };
}

/** A `google.rpc.Status` read from an error response: its message, or undefined when the body is not one. */
export function readStatusMessage(body: Buffer, json: boolean): string | undefined {
	if (body.length === 0) return undefined;
	try {
		if (json) {
			const value = JSON.parse(body.toString('utf8')) as { message?: unknown } | null;
			return typeof value?.message === 'string' && value.message !== '' ? value.message : undefined;
		}
		const r = new WireReader(body);
		let message: string | undefined;
		while (!r.done) {
			const tag = r.tag();
			if (tag === 0x12) message = r.string();
			else r.skip(tag);
		}
		return message === '' ? undefined : message;
	} catch {
		return undefined;
	}
}

/** A `google.rpc.Status` in protobuf. */
export function encodeStatus(code: number, message: string): Buffer {
	const w = new WireWriter((code === 0 ? 0 : 1 + varintSize(code)) + (message === '' ? 0 : 1 + stringValueSize(message)));
	if (code !== 0) {
		w.buf[w.pos++] = 0x08;
		w.uint(code);
	}
	w.stringField(2, message);
	return w.finish();
}

/** A `google.rpc.Status` in OTLP/JSON. */
export function encodeStatusJson(code: number, message: string): string {
	return JSON.stringify({ code, message });
}

/**
 * An `Export*ServiceResponse`: empty (full success), or with a partial
 * success carrying `message` and no rejected items.
 */
export function encodeExportResponse(message: string): Buffer {
	if (message === '') return Buffer.alloc(0);
	const inner = 1 + stringValueSize(message);
	const w = new WireWriter(1 + varintSize(inner) + inner);
	w.buf[w.pos++] = 0x0a;
	w.uint(inner);
	w.stringField(2, message);
	return w.finish();
}

/** The same in OTLP/JSON. */
export function encodeExportResponseJson(message: string): string {
	return message === '' ? '{}' : JSON.stringify({ partialSuccess: { errorMessage: message } });
}

import { WireError, WireReader } from '../../grpc/codec/reader.js';
import { RESOURCE_JSON_FIELD, type OtlpSignal } from '../signals.js';

/**
 * Why an export request body cannot be read (`undefined` when it can): a
 * protobuf body must be well-formed wire format whose top-level fields are
 * length-delimited resource entries (field 1); a JSON body must be an object
 * whose `resource{Logs,Spans,Metrics}`, if present, is an array. Only the
 * framing is checked: the request is carried on unchanged, not decoded.
 */
export function exportRequestProblem(body: Buffer, json: boolean, signal: OtlpSignal): string | undefined {
	if (json) {
		let value: unknown;
		try {
			value = JSON.parse(body.toString('utf8'));
		} catch (error) {
			return `the body is not JSON (${(error as Error).message})`;
		}
		if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'the body must be a JSON object';
		const field = RESOURCE_JSON_FIELD[signal];
		const entries = (value as Record<string, unknown>)[field];
		if (entries !== undefined && entries !== null && !Array.isArray(entries)) return `${field} must be an array`;
		return undefined;
	}
	const r = new WireReader(body);
	try {
		while (!r.done) {
			const tag = r.tag();
			if (tag >>> 3 === 1 && (tag & 7) !== 2) return 'field 1 (the resource entries) must be length-delimited';
			r.skip(tag);
		}
	} catch (error) {
		if (error instanceof WireError) return `the body is not a protobuf export request (${error.message})`;
		throw error;
	}
	return undefined;
}

import { nowNanos } from '../../../message/clock.js';
import { nextId } from '../../../message/id.js';
import { NO_METADATA, OUTCOME_KEY, SEVERITY_KEY, type DecodedMessage } from './event.js';

/** One event of a request that could not be decoded. */
export interface DecodeFailure {
	/** The event's id when it had one, else ''. */
	readonly eventId: string;
	/** What is wrong, naming the event and field. */
	readonly message: string;
}

/** Decoded events, or why the body is invalid (then nothing of it is sent). */
export type DecodedEvents =
	| { readonly messages: DecodedMessage[]; readonly failures?: undefined }
	| { readonly messages?: undefined; readonly failures: readonly DecodeFailure[] };

const MAX_FAILURES = 100;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const INTEGER = /^-?\d+$/;
/** Timestamps too large for a JS number, quoted before parsing so they stay exact. */
const BIG_TIMESTAMP = /("(?:timestamp_unix_ns|timestampUnixNs)"\s*:\s*)(-?\d{16,})(?=\s*[,}\]])/g;
const SEVERITIES: Readonly<Record<string, number>> = {
	SEVERITY_UNSPECIFIED: 0, SEVERITY_DEBUG: 1, SEVERITY_INFO: 2, SEVERITY_WARNING: 3, SEVERITY_ERROR: 4, SEVERITY_CRITICAL: 5,
};
const OUTCOMES: Readonly<Record<string, number>> = {
	OUTCOME_UNSPECIFIED: 0, OUTCOME_SUCCESS: 1, OUTCOME_FAILURE: 2, OUTCOME_TIMEOUT: 3, OUTCOME_UNKNOWN: 4,
};

const fail = (message: string): DecodedEvents => ({ failures: [{ eventId: '', message }] });

/**
 * Decodes a JSON body: one event object or an array of them. A body that is
 * not valid JSON but has several lines is read as newline-delimited JSON.
 */
export function decodeJsonBody(text: string, source: string): DecodedEvents {
	if (text.trim().length === 0) return fail('body is empty');
	let parsed: unknown;
	try {
		parsed = JSON.parse(quoteBigTimestamps(text));
	} catch (error) {
		if (text.trim().includes('\n')) {
			const lines = decodeJsonLines(text, source);
			if (lines.failures === undefined) return lines;
		}
		return fail(`body is not valid JSON: ${(error as Error).message}`);
	}
	if (Array.isArray(parsed)) return decodeObjects(parsed, source, (i) => `event #${i}`);
	if (parsed !== null && typeof parsed === 'object') return decodeObjects([parsed], source, () => 'event');
	return fail(`body must be a JSON object or an array of objects, got ${parsed === null ? 'null' : typeof parsed}`);
}

/** Decodes newline-delimited JSON: one event object per non-blank line. */
export function decodeJsonLines(text: string, source: string): DecodedEvents {
	const values: unknown[] = [];
	const lineNumbers: number[] = [];
	const failures: DecodeFailure[] = [];
	const lines = text.split('\n');
	for (let i = 0; i < lines.length; i++) {
		const line = lines[i]!.trim();
		if (line.length === 0) continue;
		try {
			values.push(JSON.parse(quoteBigTimestamps(line)));
			lineNumbers.push(i + 1);
		} catch (error) {
			if (failures.length < MAX_FAILURES) failures.push({ eventId: '', message: `line ${i + 1}: not valid JSON: ${(error as Error).message}` });
		}
	}
	const decoded = decodeObjects(values, source, (i) => `line ${lineNumbers[i]!}`);
	if (failures.length === 0) return decoded;
	return { failures: decoded.failures === undefined ? failures : [...failures, ...decoded.failures].slice(0, MAX_FAILURES) };
}

function quoteBigTimestamps(text: string): string {
	return text.includes('imestamp') ? text.replace(BIG_TIMESTAMP, '$1"$2"') : text;
}

function decodeObjects(values: readonly unknown[], source: string, where: (i: number) => string): DecodedEvents {
	const messages: DecodedMessage[] = [];
	const failures: DecodeFailure[] = [];
	for (let i = 0; i < values.length; i++) {
		const value = values[i];
		if (value === null || typeof value !== 'object' || Array.isArray(value)) {
			if (failures.length < MAX_FAILURES) failures.push({ eventId: '', message: `${where(i)}: must be a JSON object` });
			continue;
		}
		const result = decodeObject(value as Record<string, unknown>, source);
		if (typeof result === 'string') {
			const id = (value as { id?: unknown }).id;
			if (failures.length < MAX_FAILURES) failures.push({ eventId: typeof id === 'string' ? id : '', message: `${where(i)}: ${result}` });
		} else {
			messages.push(result);
		}
	}
	return failures.length > 0 ? { failures } : { messages };
}

/** One event object, or what is wrong with it. */
function decodeObject(o: Record<string, unknown>, defaultSource: string): DecodedMessage | string {
	const id = o['id'] ?? undefined;
	if (id !== undefined && typeof id !== 'string') return `id must be a string, got ${kind(id)}`;
	const rawTimestamp = o['timestamp_unix_ns'] ?? o['timestampUnixNs'];
	const timestamp = toTimestamp(rawTimestamp);
	if (typeof timestamp === 'string') return timestamp;
	const source = o['source'] ?? undefined;
	if (source !== undefined && typeof source !== 'string') return `source must be a string, got ${kind(source)}`;
	const eventType = o['event_type'] ?? o['eventType'];
	if (eventType !== undefined && eventType !== null && typeof eventType !== 'string') return `event_type must be a string, got ${kind(eventType)}`;
	const metadata = toMetadata(o['metadata']);
	if (typeof metadata === 'string') return metadata;
	const payload = o['payload'] ?? undefined;
	if (payload !== undefined && (typeof payload !== 'string' || !BASE64.test(payload))) return 'payload must be a base64 string';
	const routeTo = o['route_to'] ?? o['routeTo'] ?? undefined;
	if (routeTo !== undefined && (!Array.isArray(routeTo) || !routeTo.every((r) => typeof r === 'string'))) return 'route_to must be an array of strings';
	const severity = toEnum(o['severity'], SEVERITIES, 'severity');
	if (typeof severity === 'string') return severity;
	const outcome = toEnum(o['outcome'], OUTCOMES, 'outcome');
	if (typeof outcome === 'string') return outcome;
	let md = metadata;
	if (severity !== 0 || outcome !== 0) {
		if (md === NO_METADATA) md = Object.create(null) as Record<string, string>;
		if (severity !== 0) md[SEVERITY_KEY] = String(severity);
		if (outcome !== 0) md[OUTCOME_KEY] = String(outcome);
	}
	return {
		id: id === undefined || id.length === 0 ? nextId() : id,
		timestamp: timestamp === 0n ? nowNanos() : timestamp,
		source: source === undefined || source.length === 0 ? defaultSource : source,
		messageType: typeof eventType === 'string' && eventType.length > 0 ? eventType : 'unknown',
		metadata: md,
		payload: payload === undefined || payload.length === 0 ? new Uint8Array(0) : Buffer.from(payload, 'base64'),
		routeTo: routeTo === undefined ? [] : (routeTo as string[]).slice(),
	};
}

function toTimestamp(value: unknown): bigint | string {
	if (value === undefined || value === null) return 0n;
	if (typeof value === 'number') {
		if (Number.isSafeInteger(value)) return BigInt(value);
		return `timestamp_unix_ns must be an integer (use a string above 2^53), got ${value}`;
	}
	if (typeof value === 'string' && INTEGER.test(value)) {
		const n = BigInt(value);
		if (n >= -(2n ** 63n) && n < 2n ** 63n) return n;
	}
	return `timestamp_unix_ns must be an int64 as a number or a decimal string, got ${kind(value)}`;
}

function toMetadata(value: unknown): Record<string, string> | string {
	if (value === undefined || value === null) return NO_METADATA;
	if (typeof value !== 'object' || Array.isArray(value)) return `metadata must be an object of strings, got ${kind(value)}`;
	const keys = Object.keys(value);
	if (keys.length === 0) return NO_METADATA;
	const out = Object.create(null) as Record<string, string>;
	for (const key of keys) {
		const v = (value as Record<string, unknown>)[key];
		if (typeof v !== 'string') return `metadata.${key} must be a string, got ${kind(v)}`;
		out[key] = v;
	}
	return out;
}

function toEnum(value: unknown, names: Readonly<Record<string, number>>, field: string): number | string {
	if (value === undefined || value === null) return 0;
	if (typeof value === 'number' && Number.isInteger(value) && value >= -2147483648 && value <= 2147483647) return value;
	if (typeof value === 'string' && Object.hasOwn(names, value)) return names[value]!;
	return `${field} must be an integer or an enum name, got ${kind(value)}`;
}

function kind(value: unknown): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'an array';
	if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
	return typeof value === 'number' || typeof value === 'boolean' ? String(value) : typeof value;
}

import { decodeEvent, type DecodedMessage } from './event.js';
import { decodeJsonBody, decodeJsonLines, type DecodedEvents } from './json-events.js';
import { WireError, WireReader } from './reader.js';

/**
 * What a `protobuf` raw body holds: an `EventPayload` (repeated events) for
 * `IngestBatch.raw`, a single `Event` for `IngestEvent.raw`.
 */
export type ProtobufBody = 'event-payload' | 'event';

/** The formats a raw body may have (case-insensitive). */
export const RAW_FORMATS: readonly string[] = Object.freeze(['json', 'ndjson', 'json-lines', 'jsonl', 'protobuf']);

/**
 * Decodes a raw body by format: `json` (an object or an array of objects),
 * `ndjson` / `json-lines` / `jsonl` (one object per line), or `protobuf`.
 */
export function decodeRaw(data: Buffer, format: string, source: string, protobuf: ProtobufBody, maxEvents = Infinity): DecodedEvents {
	switch (format.toLowerCase()) {
		case 'json':
			return decodeJsonBody(data.toString('utf8'), source, maxEvents);
		case 'ndjson':
		case 'json-lines':
		case 'jsonl':
			return decodeJsonLines(data.toString('utf8'), source, maxEvents);
		case 'protobuf':
			return decodeProtobufBody(data, protobuf, maxEvents);
		case '':
			return { failures: [{ eventId: '', message: `raw payload has no format; use one of ${RAW_FORMATS.join(', ')}` }] };
		default:
			return { failures: [{ eventId: '', message: `unknown raw payload format "${format.slice(0, 64)}"; use one of ${RAW_FORMATS.join(', ')}` }] };
	}
}

function decodeProtobufBody(data: Buffer, kind: ProtobufBody, maxEvents: number): DecodedEvents {
	const r = new WireReader(data);
	try {
		if (kind === 'event') return { messages: [decodeEvent(r, r.end)] };
		const messages: DecodedMessage[] = [];
		readEventPayload(r, r.end, messages, maxEvents);
		return { messages };
	} catch (error) {
		if (!(error instanceof WireError)) throw error;
		const what = kind === 'event' ? 'an Event' : 'an EventPayload';
		return { failures: [{ eventId: '', message: `protobuf body is not ${what}: ${error.message}` }] };
	}
}

/** More events in one request than the input takes: decoding stopped. */
export class TooManyEventsError extends Error {
	constructor(readonly max: number) {
		super(`more than ${max} events`);
	}
}

/** Reads the events of an `EventPayload` occupying `[r.pos, end)`; throws `TooManyEventsError` past `maxEvents` in `into`. */
export function readEventPayload(r: WireReader, end: number, into: DecodedMessage[], maxEvents = Infinity): void {
	const outer = r.end;
	r.end = end;
	while (r.pos < end) {
		const tag = r.tag();
		if (tag === 0x0a) {
			if (into.length >= maxEvents) throw new TooManyEventsError(maxEvents);
			const n = r.length();
			const eventEnd = r.pos + n;
			into.push(decodeEvent(r, eventEnd));
			r.pos = eventEnd;
		} else {
			r.skip(tag);
		}
	}
	r.end = outer;
}

import { JsonEventError, parseJsonEvents } from '../../../index.js';
import type { DecodedMessage } from './event.js';

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

/**
 * Decodes a raw `json` body (one event object or an array of them) with
 * polku's shared JSON event codec. A body that is not valid JSON but has
 * several lines is read as newline-delimited JSON, as lenient POLKU clients
 * send it.
 */
export function decodeJsonBody(text: string, source: string, maxEvents = Infinity): DecodedEvents {
	const first = decode(text, 'json', source, maxEvents);
	if (first.failures === undefined || !text.trim().includes('\n')) return first;
	const lines = decode(text, 'ndjson', source, maxEvents);
	return lines.failures === undefined ? lines : first;
}

/** Decodes a raw `ndjson` / `json-lines` body: one event object per non-blank line. */
export function decodeJsonLines(text: string, source: string, maxEvents = Infinity): DecodedEvents {
	return decode(text, 'ndjson', source, maxEvents);
}

function decode(text: string, format: 'json' | 'ndjson', source: string, maxEvents: number): DecodedEvents {
	if (text.trim().length === 0) return { failures: [{ eventId: '', message: 'body is empty' }] };
	try {
		return { messages: parseJsonEvents(text, format, maxEvents === Infinity ? { source } : { source, maxEvents }) as DecodedMessage[] };
	} catch (error) {
		if (!(error instanceof JsonEventError)) throw error;
		const message = error.reason === 'too-many-events' ? `raw ${format} body holds more than ${maxEvents} events (maxEventsPerRequest)` : error.message;
		return { failures: [{ eventId: error.id ?? '', message }] };
	}
}

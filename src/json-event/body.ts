import { isUtf8 } from 'node:buffer';
import { MessageValidationError, PolkuError } from '../errors.js';
import type { Message } from '../message/message.js';
import { decodeEventAt, InexactTimestampError, type JsonEventDefaults } from './decode.js';
import { hasNumericTimestamp, parseJsonExact } from './exact-json.js';
import { PayloadTexts } from './payload-text.js';

/**
 * Why a body could not be read as JSON events. `reason` says what kind of
 * problem; `field` names the event field (`[3].metadata.region`), `index` the
 * event in a JSON array, `line` the NDJSON line (1-based).
 *
 * @example
 * ```ts
 * import { JsonEventError, parseJsonEvents } from 'polku';
 *
 * try {
 *   parseJsonEvents('[{"event_type": 7}]', 'json');
 * } catch (error) {
 *   if (error instanceof JsonEventError) console.log(error.reason, error.field); // 'invalid-event' '[0].event_type'
 * }
 * ```
 */
export class JsonEventError extends PolkuError {
	/** What is wrong: `too-many-events` when the body holds more than `maxEvents` events. */
	readonly reason: 'invalid-json' | 'invalid-event' | 'invalid-encoding' | 'too-many-events';
	readonly field: string | undefined;
	readonly index: number | undefined;
	readonly line: number | undefined;
	/** The failing event's `id`, when it has one. */
	readonly id: string | undefined;

	constructor(reason: JsonEventError['reason'], message: string, field?: string, index?: number, line?: number, id?: string) {
		super('ERR_POLKU_INVALID_JSON_EVENT', message);
		this.reason = reason;
		this.field = field;
		this.index = index;
		this.line = line;
		this.id = id;
	}

	/** The error as a JSON response body. */
	toJSON(): Record<string, unknown> {
		return { error: this.reason, message: this.message, field: this.field, index: this.index, line: this.line };
	}
}

/**
 * Options of {@link parseJsonEvents}: defaults for fields events leave out,
 * and a limit on events per body.
 *
 * @example
 * ```ts
 * import { parseJsonEvents, type JsonBodyOptions } from 'polku';
 *
 * const options: JsonBodyOptions = { source: 'agent-7', maxEvents: 1000 };
 * parseJsonEvents('[{"event_type":"a"}]', 'json', options);
 * ```
 */
export interface JsonBodyOptions extends JsonEventDefaults {
	/**
	 * Most events the body may hold; more is a `JsonEventError` with reason
	 * `too-many-events`, raised before any event is decoded (for NDJSON, at
	 * the first line past the limit). @default unlimited
	 */
	readonly maxEvents?: number;
}

/**
 * Reads a body of events in the POLKU JSON form into messages, all or
 * nothing: for `json`, one event object or an array of them; for `ndjson`,
 * one event object per non-blank line. Bytes must be UTF-8 (a BOM is
 * skipped). Integer timestamps keep all their digits (see `parseJsonExact`),
 * and a `json` payload keeps its JSON text exactly as sent (big integers,
 * `1.0`, duplicate keys, spacing), so what `toJsonEvent` wrote reads back
 * byte for byte. Throws a {@link JsonEventError} for the first thing that is
 * wrong, e.g. a payload nested deeper than `MAX_PAYLOAD_DEPTH`.
 *
 * @param body - The raw body.
 * @param format - `json` or `ndjson`.
 * @param defaults - Defaults for fields events leave out (the request's source), and `maxEvents`. @default { source: '' }
 * @returns The messages, in body order.
 * @example
 * ```ts
 * import { parseJsonEvents } from 'polku';
 *
 * const messages = parseJsonEvents('{"event_type":"a"}\n{"event_type":"b"}\n', 'ndjson', { source: 'agent-7' });
 * messages.map((m) => m.messageType); // ['a', 'b']
 * ```
 */
export function parseJsonEvents(body: Uint8Array | string, format: 'json' | 'ndjson', defaults: JsonBodyOptions = { source: '' }): Message[] {
	const text = typeof body === 'string' ? body : utf8(body);
	return format === 'json' ? parseJsonBody(text, defaults) : parseNdjsonBody(text, defaults);
}

/** Decodes UTF-8 (dropping a BOM); a `JsonEventError` when the bytes are not UTF-8. */
function utf8(body: Uint8Array): string {
	if (!isUtf8(body)) throw new JsonEventError('invalid-encoding', 'body is not valid UTF-8');
	const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
	const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
	return bytes.toString('utf8', bom);
}

/**
 * Timestamps as JSON strings (the canonical form) need only `JSON.parse`;
 * integer timestamps above 2^53 need `parseJsonExact`. The first 2 KiB
 * decide which parse to try first (a cheap look); a rounded timestamp found
 * later by the plain parse sends the body through the exact parse.
 */
function parseJsonBody(source: string, defaults: JsonBodyOptions): Message[] {
	const head = source.length > 2048 ? source.slice(0, 2048) : source;
	if (hasNumericTimestamp(head)) return decodeJsonBody(source, defaults, true);
	try {
		return decodeJsonBody(source, defaults, false);
	} catch (error) {
		if (!(error instanceof InexactTimestampError)) throw error;
		return decodeJsonBody(source, defaults, true);
	}
}

function decodeJsonBody(source: string, defaults: JsonBodyOptions, exact: boolean): Message[] {
	let value: unknown;
	try {
		value = exact ? parseJsonExact(source) : JSON.parse(source);
	} catch (error) {
		throw new JsonEventError('invalid-json', `body is not valid JSON: ${(error as Error).message}`);
	}
	if (!Array.isArray(value)) {
		if (value === null || typeof value !== 'object') {
			throw new JsonEventError('invalid-event', 'body must be an event object or an array of event objects', 'body');
		}
		return [decodeOrThrow(value, '', defaults, undefined, undefined, exact, new PayloadTexts(source))];
	}
	if (defaults.maxEvents !== undefined && value.length > defaults.maxEvents) throw tooMany(defaults.maxEvents);
	const texts = new PayloadTexts(source);
	const messages = new Array<Message>(value.length);
	for (let i = 0; i < value.length; i++) messages[i] = decodeOrThrow(value[i], i, defaults, i, undefined, exact, texts);
	return messages;
}

function parseNdjsonBody(source: string, defaults: JsonBodyOptions): Message[] {
	const max = defaults.maxEvents ?? Infinity;
	const messages: Message[] = [];
	const texts = new PayloadTexts();
	let start = 0;
	let line = 0;
	while (start < source.length) {
		let end = source.indexOf('\n', start);
		if (end === -1) end = source.length;
		line++;
		const row = source.slice(start, end).trim();
		start = end + 1;
		if (row === '') continue;
		if (messages.length === max) throw tooMany(max);
		let value: unknown;
		try {
			value = JSON.parse(row);
		} catch (error) {
			throw new JsonEventError('invalid-json', `line ${line}: not valid JSON: ${(error as Error).message}`, undefined, undefined, line);
		}
		texts.reset(row);
		try {
			messages.push(decodeOrThrow(value, '', defaults, messages.length, line, false, texts));
		} catch (error) {
			if (!(error instanceof InexactTimestampError)) throw error;
			messages.push(decodeOrThrow(parseJsonExact(row), '', defaults, messages.length, line, true, texts));
		}
	}
	return messages;
}

function tooMany(max: number): JsonEventError {
	return new JsonEventError('too-many-events', `the body holds more than ${max} events`);
}

/**
 * Decodes one event, turning a validation error into a `JsonEventError`. In
 * the first, plain pass an `InexactTimestampError` goes up so the body is
 * parsed again exactly; in the exact pass it is a plain validation error.
 */
function decodeOrThrow(
	value: unknown,
	at: string | number,
	defaults: JsonEventDefaults,
	index: number | undefined,
	line: number | undefined,
	exact: boolean,
	texts: PayloadTexts,
): Message {
	try {
		return decodeEventAt(value, at, defaults, texts);
	} catch (error) {
		if (!(error instanceof MessageValidationError) || (!exact && error instanceof InexactTimestampError)) throw error;
		const message = line === undefined ? error.message : `line ${line}: ${error.message}`;
		const id = (value as { id?: unknown } | null)?.id;
		throw new JsonEventError('invalid-event', message, error.field, index, line, typeof id === 'string' ? id : undefined);
	}
}

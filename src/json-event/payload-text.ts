const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

/**
 * The deepest nesting of arrays and objects a JSON payload may have (`[]` is
 * 1 deep). A deeper `json` payload is an invalid event (`payload: is nested
 * deeper than 256 levels`), and `toJsonEvent` writes deeper JSON text as a
 * `utf8` string rather than embedding it: most JSON readers refuse such
 * nesting or overflow their stack on it (serde_json stops at 128, Python's
 * `json` near 1000, `JSON.stringify` in the thousands).
 *
 * @example
 * ```ts
 * import { MAX_PAYLOAD_DEPTH, parseJsonEvents } from 'polku';
 *
 * const deep = '['.repeat(MAX_PAYLOAD_DEPTH + 1) + ']'.repeat(MAX_PAYLOAD_DEPTH + 1);
 * parseJsonEvents(`{"payload":${deep}}`, 'json'); // throws JsonEventError: payload: is nested deeper than 256 levels
 * ```
 */
export const MAX_PAYLOAD_DEPTH = 256;

/** What {@link PayloadTexts.at} returns for a payload nested deeper than {@link MAX_PAYLOAD_DEPTH}. */
export const TOO_DEEP: unique symbol = Symbol('too deep');

type Span = string | typeof TOO_DEEP | undefined;

/** Depth reached by the last {@link skipValue}; a module variable, so skipping allocates nothing. */
let reached = 0;

/**
 * The exact text of each event's `payload` value in a JSON body (one event
 * object, or an array of them), so a `json` payload keeps its bytes as sent:
 * big integers, `1.0`, duplicate keys and spacing, which `JSON.parse` and
 * `JSON.stringify` would change. The body is scanned once, on the first
 * {@link at} (only bodies with a `json` payload pay for it). It must be valid
 * JSON (scan after `JSON.parse` accepted it).
 */
export class PayloadTexts {
	#text = '';
	#spans: Span[] | undefined;

	constructor(text = '') {
		this.#text = text;
	}

	/** Points at another body (NDJSON reuses one instance per line). */
	reset(text: string): this {
		this.#text = text;
		this.#spans = undefined;
		return this;
	}

	/**
	 * The text of the payload of event `index` (0 for a body that is one
	 * object): the last `payload` key of the event, as `JSON.parse` keeps the
	 * last; `TOO_DEEP` when nested deeper than {@link MAX_PAYLOAD_DEPTH}.
	 */
	at(index: number): Span {
		this.#spans ??= scanBody(this.#text);
		return this.#spans[index];
	}
}

function scanBody(text: string): Span[] {
	const spans: Span[] = [];
	let i = skipSpace(text, 0);
	const c = text.charCodeAt(i);
	if (c === OPEN_OBJECT) {
		scanEvent(text, i, spans, 0);
	} else if (c === OPEN_ARRAY) {
		i = skipSpace(text, i + 1);
		let index = 0;
		while (i < text.length && text.charCodeAt(i) !== CLOSE_ARRAY) {
			i = text.charCodeAt(i) === OPEN_OBJECT ? scanEvent(text, i, spans, index) : skipValue(text, i);
			index++;
			i = skipSpace(text, i);
			if (text.charCodeAt(i) === COMMA) i = skipSpace(text, i + 1);
		}
	}
	return spans;
}

/** Scans the event object opening at `open`, storing its payload span at `index`; returns the index after it. */
function scanEvent(text: string, open: number, spans: Span[], index: number): number {
	let i = skipSpace(text, open + 1);
	while (i < text.length && text.charCodeAt(i) === QUOTE) {
		const keyEnd = stringEnd(text, i);
		const isPayload = isPayloadKey(text, i, keyEnd);
		i = skipSpace(text, keyEnd + 1) + 1; // past the colon
		const start = skipSpace(text, i);
		const end = skipValue(text, start);
		if (isPayload) spans[index] = reached > MAX_PAYLOAD_DEPTH ? TOO_DEEP : text.slice(start, end);
		i = skipSpace(text, end);
		if (text.charCodeAt(i) === COMMA) i = skipSpace(text, i + 1);
	}
	return i + 1; // past the closing brace
}

/** Whether the key string quoted at [open, close] reads `payload` (escapes decoded, as `JSON.parse` does). */
function isPayloadKey(text: string, open: number, close: number): boolean {
	const length = close - open - 1;
	if (length === 7) return text.startsWith('payload', open + 1);
	if (length < 7 || length > 42) return false; // an escape is at most 6 characters for 1
	return JSON.parse(text.slice(open, close + 1)) === 'payload';
}

/**
 * Index after the JSON value starting at `i` (valid JSON). Iterative, so any
 * nesting is fine; sets `reached` to the value's nesting depth.
 */
export function skipValue(text: string, i: number): number {
	const c = text.charCodeAt(i);
	reached = 0;
	if (c === QUOTE) return stringEnd(text, i) + 1;
	if (c !== OPEN_OBJECT && c !== OPEN_ARRAY) {
		let j = i;
		while (j < text.length) {
			const d = text.charCodeAt(j);
			if (d === COMMA || d === CLOSE_OBJECT || d === CLOSE_ARRAY || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) break;
			j++;
		}
		return j;
	}
	let depth = 0;
	let max = 0;
	let j = i;
	while (j < text.length) {
		const d = text.charCodeAt(j);
		if (d === QUOTE) {
			j = stringEnd(text, j) + 1;
			continue;
		}
		if (d === OPEN_OBJECT || d === OPEN_ARRAY) {
			if (++depth > max) max = depth;
		} else if (d === CLOSE_OBJECT || d === CLOSE_ARRAY) {
			if (--depth === 0) {
				reached = max;
				return j + 1;
			}
		}
		j++;
	}
	reached = max;
	return j;
}

/** The nesting depth of the JSON text `text` (valid JSON, one value). */
export function jsonTextDepth(text: string): number {
	skipValue(text, skipSpace(text, 0));
	return reached;
}

/** Whether a parsed JSON value nests arrays / objects deeper than `limit` (recursion bounded by `limit`). */
export function deeperThan(value: unknown, limit: number): boolean {
	if (value === null || typeof value !== 'object') return false;
	if (limit === 0) return true;
	if (Array.isArray(value)) {
		for (const item of value) if (deeperThan(item, limit - 1)) return true;
		return false;
	}
	for (const key in value) if (deeperThan((value as Record<string, unknown>)[key], limit - 1)) return true;
	return false;
}

/** Index of the quote closing the string that opens at `open` (the text is valid JSON). */
function stringEnd(text: string, open: number): number {
	let at = text.indexOf('"', open + 1);
	while (at !== -1) {
		let slashes = 0;
		while (text.charCodeAt(at - 1 - slashes) === BACKSLASH) slashes++;
		if ((slashes & 1) === 0) return at;
		at = text.indexOf('"', at + 1);
	}
	return text.length;
}

function skipSpace(text: string, i: number): number {
	for (;;) {
		const c = text.charCodeAt(i);
		if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
		i++;
	}
}

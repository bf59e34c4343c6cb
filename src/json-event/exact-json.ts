const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;
const MINUS = 0x2d;
const OBJECT = 1;
const ARRAY = 2;

/** Keys whose integer value is an int64 timestamp and must not go through a double. */
const TIMESTAMP_KEYS: readonly string[] = ['timestamp', 'timestampUnixNs', 'timestamp_unix_ns'];

/** Whether text[start, end) is one of the timestamp keys, without slicing a string. */
function isTimestampKey(text: string, start: number, end: number): boolean {
	const length = end - start;
	if (length !== 9 && length !== 15 && length !== 17) return false;
	for (const key of TIMESTAMP_KEYS) if (key.length === length && text.startsWith(key, start)) return true;
	return false;
}

/**
 * `JSON.parse` for event bodies that keeps int64 timestamps exact: an integer
 * literal under a timestamp key of an event object (the root object, or an
 * object directly inside the root array) is read as its decimal string, so
 * `{"timestamp_unix_ns":1764216000123456789}` keeps every digit. Everything
 * else parses exactly as `JSON.parse` does, errors included.
 *
 * Bodies without such a literal (timestamps sent as strings, the canonical
 * form) cost one `indexOf` more than `JSON.parse`.
 *
 * @param text - JSON text.
 * @returns The parsed value.
 * @example
 * ```ts
 * import { parseJsonExact } from 'polku';
 *
 * parseJsonExact('{"timestamp_unix_ns":1764216000123456789}'); // { timestamp_unix_ns: '1764216000123456789' }
 * JSON.parse('{"timestamp_unix_ns":1764216000123456789}');      // { timestamp_unix_ns: 1764216000123456800 }
 * ```
 */
export function parseJsonExact(text: string): unknown {
	return JSON.parse(hasNumericTimestamp(text) ? quoteTimestamps(text) : text);
}

/** Any timestamp key followed by `:` and an integer (a cheap native scan; false positives are fine). */
const NUMERIC_TIMESTAMP = /"timestamp(?:_unix_ns|UnixNs)?"\s*:\s*-?\d/;

/** Whether `text` may hold an integer timestamp that `JSON.parse` could round. @internal */
export function hasNumericTimestamp(text: string): boolean {
	return NUMERIC_TIMESTAMP.test(text);
}

/**
 * Rewrites event-level integer timestamps as strings. Scans structure only
 * (strings are skipped with `indexOf`); on anything malformed it returns the
 * text unchanged and lets `JSON.parse` report the error.
 */
function quoteTimestamps(text: string): string {
	const n = text.length;
	let depth = 0;
	let kind0 = 0;
	let kind1 = 0;
	let out = '';
	let copied = 0;
	let i = 0;
	while (i < n) {
		const c = text.charCodeAt(i);
		if (c === QUOTE) {
			const end = stringEnd(text, i);
			if (end === -1) return text;
			const eventLevel = (depth === 1 && kind0 === OBJECT) || (depth === 2 && kind0 === ARRAY && kind1 === OBJECT);
			if (eventLevel && isTimestampKey(text, i + 1, end)) {
				const colon = skipSpace(text, end + 1);
				if (text.charCodeAt(colon) === COLON) {
					const start = skipSpace(text, colon + 1);
					const stop = integerEnd(text, start);
					if (stop > start) {
						out += text.slice(copied, start) + '"' + text.slice(start, stop) + '"';
						copied = stop;
						i = stop;
						continue;
					}
				}
			}
			i = end + 1;
		} else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
			const kind = c === OPEN_OBJECT ? OBJECT : ARRAY;
			if (depth === 0) kind0 = kind;
			else if (depth === 1) kind1 = kind;
			depth++;
			i++;
		} else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
			if (--depth < 0) return text;
			i++;
		} else {
			i++;
		}
	}
	return copied === 0 ? text : out + text.slice(copied);
}

/** Index of the quote closing the string that opens at `open`, or -1. */
function stringEnd(text: string, open: number): number {
	let at = text.indexOf('"', open + 1);
	while (at !== -1) {
		let slashes = 0;
		while (text.charCodeAt(at - 1 - slashes) === BACKSLASH) slashes++;
		if ((slashes & 1) === 0) return at;
		at = text.indexOf('"', at + 1);
	}
	return -1;
}

function skipSpace(text: string, i: number): number {
	for (;;) {
		const c = text.charCodeAt(i);
		if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
		i++;
	}
}

/**
 * End of an integer literal (optional minus, digits) starting at `i`, or `i`
 * when there is none or the number continues with a fraction or exponent
 * (those stay numbers and fail validation as non-integers if unsafe).
 */
function integerEnd(text: string, i: number): number {
	let j = text.charCodeAt(i) === MINUS ? i + 1 : i;
	const digits = j;
	while (j < text.length) {
		const c = text.charCodeAt(j);
		if (c < 0x30 || c > 0x39) break;
		j++;
	}
	if (j === digits || (j - digits > 1 && text.charCodeAt(digits) === 0x30)) return i; // none, or a leading zero (invalid JSON)
	const next = text.charCodeAt(j);
	if (next === 0x2e || next === 0x65 || next === 0x45) return i;
	return j;
}

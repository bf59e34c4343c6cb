/** How a request body is read: JSON event(s), NDJSON events, or one raw payload. */
export type BodyKind = 'json' | 'ndjson' | 'raw';

const NDJSON_TYPES: ReadonlySet<string> = new Set([
	'application/x-ndjson',
	'application/ndjson',
	'application/jsonl',
	'application/x-jsonlines',
	'application/jsonlines',
	'application/json-lines',
]);

/** The media type of a `Content-Type` header, lower-cased, without parameters. */
export function mediaType(header: string | undefined): string | undefined {
	if (header === undefined) return undefined;
	const semi = header.indexOf(';');
	const type = (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase();
	return type === '' ? undefined : type;
}

/**
 * Matches media types against a list of allowed ones: exact (`text/plain`),
 * a whole top-level type (`text/*`), or anything (`*\/*`).
 */
export class MediaTypeMatcher {
	readonly #exact: ReadonlySet<string>;
	readonly #prefixes: readonly string[];
	readonly #any: boolean;

	constructor(types: readonly string[]) {
		const lower = types.map((t) => t.trim().toLowerCase());
		this.#any = lower.includes('*/*');
		this.#prefixes = lower.filter((t) => t.endsWith('/*') && t !== '*/*').map((t) => t.slice(0, -1));
		this.#exact = new Set(lower.filter((t) => !t.endsWith('/*')));
	}

	matches(type: string): boolean {
		return this.#any || this.#exact.has(type) || this.#prefixes.some((p) => type.startsWith(p));
	}
}

/** True for `application/json` and `…+json` types. */
export function isJsonType(type: string): boolean {
	return type === 'application/json' || type.endsWith('+json');
}

/** True for the NDJSON / JSON Lines media types. */
export function isNdjsonType(type: string): boolean {
	return NDJSON_TYPES.has(type);
}

/**
 * How to read a body of media `type` on `POST …/events`: JSON and NDJSON are
 * the event form, an allowed raw type is one raw payload; `undefined` means 415.
 */
export function bodyKind(type: string | undefined, raw: MediaTypeMatcher): BodyKind | undefined {
	if (type === undefined) return undefined;
	if (isJsonType(type)) return 'json';
	if (isNdjsonType(type)) return 'ndjson';
	return raw.matches(type) ? 'raw' : undefined;
}

import { ConfigError } from '../../errors.js';

/**
 * The placeholders of an S3 object key template, each written `{name}`:
 *
 * - `{yyyy}` `{MM}` `{dd}` `{HH}` `{mm}` `{ss}`: the batch's time in UTC
 *   (year, month, day, hour, minute, second, zero-padded), for time
 *   partitioning;
 * - `{ulid}`: a new ULID per object (sortable by time, unique), required in
 *   every template so two batches never write the same key;
 * - `{ext}`: the file extension of the format (`ndjson`, `json`, `bin` or the
 *   `extension` option), plus `.gz` when compressed.
 *
 * @example
 * ```ts
 * import { KEY_PLACEHOLDERS } from 'polku/s3';
 *
 * KEY_PLACEHOLDERS.includes('yyyy'); // true
 * ```
 */
export const KEY_PLACEHOLDERS: readonly string[] = Object.freeze(['yyyy', 'MM', 'dd', 'HH', 'mm', 'ss', 'ulid', 'ext']);

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** What a key is rendered from. */
export interface KeyParts {
	/** The batch time, Unix milliseconds. */
	readonly timeMs: number;
	readonly ulid: string;
	readonly ext: string;
}

type Piece = string | ((parts: KeyParts, date: Date) => string);

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

const RENDER: Readonly<Record<string, (parts: KeyParts, date: Date) => string>> = {
	yyyy: (_, d) => String(d.getUTCFullYear()).padStart(4, '0'),
	MM: (_, d) => pad2(d.getUTCMonth() + 1),
	dd: (_, d) => pad2(d.getUTCDate()),
	HH: (_, d) => pad2(d.getUTCHours()),
	mm: (_, d) => pad2(d.getUTCMinutes()),
	ss: (_, d) => pad2(d.getUTCSeconds()),
	ulid: (p) => p.ulid,
	ext: (p) => p.ext,
};

/**
 * A compiled key template: `render()` fills the placeholders. Throws a
 * `ConfigError` naming `field` for an unknown placeholder, an unbalanced
 * brace, or a template without `{ulid}`.
 */
export class KeyTemplate {
	readonly source: string;
	readonly #pieces: readonly Piece[];

	constructor(template: string, field: string) {
		if (typeof template !== 'string' || template.length === 0) throw new ConfigError(field, 'must be a non-empty string');
		const pieces: Piece[] = [];
		let last = 0;
		let unique = false;
		for (const match of template.matchAll(PLACEHOLDER)) {
			const name = match[1]!;
			const render = Object.hasOwn(RENDER, name) ? RENDER[name] : undefined;
			if (render === undefined) {
				throw new ConfigError(field, `unknown placeholder {${name}} in ${JSON.stringify(template)}; use ${KEY_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}`);
			}
			if (name === 'ulid') unique = true;
			if (match.index > last) pieces.push(template.slice(last, match.index));
			pieces.push(render);
			last = match.index + match[0].length;
		}
		if (last < template.length) pieces.push(template.slice(last));
		for (const piece of pieces) {
			if (typeof piece === 'string' && (piece.includes('{') || piece.includes('}'))) {
				throw new ConfigError(field, `unbalanced brace in ${JSON.stringify(template)}`);
			}
		}
		if (!unique) throw new ConfigError(field, `must contain {ulid} (the unique part of every object key), got ${JSON.stringify(template)}`);
		this.source = template;
		this.#pieces = pieces;
	}

	render(parts: KeyParts): string {
		const date = new Date(parts.timeMs);
		let key = '';
		for (const piece of this.#pieces) key += typeof piece === 'string' ? piece : piece(parts, date);
		return key;
	}
}

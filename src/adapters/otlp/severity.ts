import { EVENT_METADATA_KEYS } from '../../json-event/fields.js';
import type { Metadata } from '../../message/message.js';

/** An OTLP `SeverityNumber` and `severity_text`. */
export interface Severity {
	readonly number: number;
	readonly text: string;
}

/** POLKU severities 1–5 (debug, info, warning, error, critical) as OTLP severity numbers. */
const FROM_POLKU: readonly number[] = [0, 5, 9, 13, 17, 21];
const POLKU_NAMES: readonly string[] = ['', 'debug', 'info', 'warning', 'error', 'critical'];

/** Names (lower case) → OTLP severity numbers: OTel's short names with their 2–4 steps, and POLKU's names. */
const BY_NAME: ReadonlyMap<string, number> = (() => {
	const names = new Map<string, number>();
	['trace', 'debug', 'info', 'warn', 'error', 'fatal'].forEach((name, i) => {
		const base = 1 + i * 4;
		names.set(name, base);
		for (let step = 2; step <= 4; step++) names.set(`${name}${step}`, base + step - 1);
	});
	names.set('warning', 13);
	names.set('critical', 21);
	return names;
})();

const NONE: Severity = Object.freeze({ number: 0, text: '' });
const cache = new Map<string, Severity>();

/**
 * The severity of a message from its metadata `polku.severity`: a POLKU
 * severity number `1`–`5` (debug, info, warning, error, critical: as the
 * POLKU wire format carries it) maps to OTLP DEBUG (5), INFO (9), WARN (13),
 * ERROR (17), FATAL (21), with that name as the text; a name, in any case
 * (OTel's `trace`, `debug`, `info`, `warn`, `error`, `fatal`, with steps such
 * as `error2`, and POLKU's `warning`, `critical`), maps to its number and
 * keeps the name as given as the text. Anything else, or no value: unspecified.
 */
export function severityOf(metadata: Metadata): Severity {
	const value = metadata[EVENT_METADATA_KEYS.severity];
	if (value === undefined) return NONE;
	let severity = cache.get(value);
	if (severity === undefined) {
		severity = parse(value);
		if (cache.size < 256) cache.set(value, severity);
	}
	return severity;
}

function parse(value: string): Severity {
	if (/^[1-5]$/.test(value)) return { number: FROM_POLKU[Number(value)]!, text: POLKU_NAMES[Number(value)]! };
	const number = BY_NAME.get(value.trim().toLowerCase());
	return number === undefined ? NONE : { number, text: value };
}

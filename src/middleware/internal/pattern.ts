import { ConfigError } from '../../errors.js';

/**
 * What a text field is matched against: an exact string, a string with `*`
 * wildcards (each matches any run of characters, dots included:
 * `order.*`, `*.failed`, `eu-*-prod`), or a regular expression.
 *
 * @example
 * ```ts
 * import type { TextPattern } from 'polku';
 *
 * const orders: TextPattern = 'order.*';
 * const failures: TextPattern = /\.(failed|rejected)$/;
 * ```
 */
export type TextPattern = string | RegExp;

/** A compiled {@link TextPattern}; allocation-free. */
export type TextMatcher = (text: string) => boolean;

/** Compiles a {@link TextPattern}; throws `ConfigError` naming `field` for anything else. */
export function compilePattern(field: string, pattern: TextPattern): TextMatcher {
	if (pattern instanceof RegExp) {
		// A global or sticky regex keeps state between test() calls; match with a stateless copy.
		const re = pattern.global || pattern.sticky ? new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')) : pattern;
		return (text) => re.test(text);
	}
	if (typeof pattern !== 'string') throw new ConfigError(field, `must be a string, a glob or a RegExp, got ${String(pattern)}`);
	if (!pattern.includes('*')) return (text) => text === pattern;
	if (/^\*+$/.test(pattern)) return () => true;
	const parts = pattern.split('*');
	const first = parts[0]!;
	const last = parts[parts.length - 1]!;
	const middle = parts.slice(1, -1).filter((p) => p.length > 0);
	const minLength = first.length + last.length + middle.reduce((n, p) => n + p.length, 0);
	return (text) => {
		if (text.length < minLength || !text.startsWith(first) || !text.endsWith(last)) return false;
		const end = text.length - last.length;
		let at = first.length;
		for (let i = 0; i < middle.length; i++) {
			const part = middle[i]!;
			const found = text.indexOf(part, at);
			if (found < 0 || found + part.length > end) return false;
			at = found + part.length;
		}
		return true;
	};
}

import { ConfigError } from '../errors.js';
import type { Message } from '../message/message.js';

/**
 * How {@link aggregate} builds the payload of a window's message:
 * - `json-array`: a JSON array of the payloads, each parsed as JSON or, when
 *   it is not JSON, as a string;
 * - `concat`: the payload bytes one after the other, with `separator` between;
 * - `first` / `last`: the payload of the window's first / last message;
 * - a function of the window's messages returning the payload.
 *
 * @example
 * ```ts
 * import type { AggregateStrategy } from 'polku';
 *
 * const sum: AggregateStrategy = (messages) => String(messages.reduce((n, m) => n + Number(Buffer.from(m.payload)), 0));
 * ```
 */
export type AggregateStrategy = 'json-array' | 'concat' | 'first' | 'last' | ((messages: readonly Message[]) => Uint8Array | string);

/** A compiled strategy. */
export type Combine = (messages: readonly Message[]) => Uint8Array | string;

const decoder = new TextDecoder();

/** The `json-array` strategy. */
export function jsonArray(messages: readonly Message[]): string {
	let out = '[';
	for (let i = 0; i < messages.length; i++) {
		if (i > 0) out += ',';
		const text = decoder.decode(messages[i]!.payload);
		out += isJson(text) ? text : JSON.stringify(text);
	}
	return `${out}]`;
}

function isJson(text: string): boolean {
	if (text.length === 0) return false;
	try {
		JSON.parse(text);
		return true;
	} catch {
		return false;
	}
}

/** Compiles a strategy; throws `ConfigError` naming the field for anything else. */
export function combineFunction(strategy: AggregateStrategy, separator: string | Uint8Array): Combine {
	if (typeof strategy === 'function') return strategy;
	switch (strategy) {
		case 'json-array':
			return jsonArray;
		case 'first':
			return (messages) => messages[0]!.payload;
		case 'last':
			return (messages) => messages[messages.length - 1]!.payload;
		case 'concat': {
			const sep = typeof separator === 'string' ? Buffer.from(separator, 'utf8') : separator;
			return (messages) => {
				const parts: Uint8Array[] = [];
				for (let i = 0; i < messages.length; i++) {
					if (i > 0 && sep.length > 0) parts.push(sep);
					parts.push(messages[i]!.payload);
				}
				return Buffer.concat(parts);
			};
		}
		default:
			throw new ConfigError('aggregate.strategy', `must be 'json-array', 'concat', 'first', 'last' or a function, got ${String(strategy)}`);
	}
}

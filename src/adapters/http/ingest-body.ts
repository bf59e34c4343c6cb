import { isUtf8 } from 'node:buffer';
import { MessageValidationError } from '../../errors.js';
import type { Message } from '../../message/message.js';
import type { BodyKind } from './content-type.js';
import { decodeEventAt, type EventDefaults } from './event-decode.js';
import { parseJsonExact } from './exact-json.js';

/**
 * Why a body could not be read as events: becomes a 400 response whose JSON
 * names the problem (`field`, `index` in a JSON array, `line` in NDJSON).
 */
export class BodyProblem {
	constructor(
		readonly code: 'invalid-json' | 'invalid-event' | 'invalid-encoding',
		readonly message: string,
		readonly field?: string,
		readonly index?: number,
		readonly line?: number,
	) {}

	/** The JSON error body. */
	toJSON(): Record<string, unknown> {
		return { error: this.code, message: this.message, field: this.field, index: this.index, line: this.line };
	}
}

/** Decodes UTF-8 (dropping a BOM); a `BodyProblem` when the bytes are not UTF-8. */
function text(body: Uint8Array): string {
	if (!isUtf8(body)) throw new BodyProblem('invalid-encoding', 'body is not valid UTF-8');
	const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
	const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
	return bytes.toString('utf8', bom);
}

/**
 * Reads a JSON or NDJSON body into messages (all or nothing): a JSON event
 * object, a JSON array of them, or one event object per line. Throws a
 * {@link BodyProblem} for the first thing that is wrong.
 */
export function parseEvents(kind: Exclude<BodyKind, 'raw'>, body: Uint8Array, defaults: EventDefaults): Message[] {
	return kind === 'json' ? parseJsonBody(text(body), defaults) : parseNdjsonBody(text(body), defaults);
}

function parseJsonBody(source: string, defaults: EventDefaults): Message[] {
	let value: unknown;
	try {
		value = parseJsonExact(source);
	} catch (error) {
		throw new BodyProblem('invalid-json', `body is not valid JSON: ${(error as Error).message}`);
	}
	if (!Array.isArray(value)) {
		if (value === null || typeof value !== 'object') {
			throw new BodyProblem('invalid-event', 'body must be an event object or an array of event objects', 'body');
		}
		return [decodeOrThrow(value, '', defaults, undefined, undefined)];
	}
	const messages = new Array<Message>(value.length);
	for (let i = 0; i < value.length; i++) messages[i] = decodeOrThrow(value[i], i, defaults, i, undefined);
	return messages;
}

function parseNdjsonBody(source: string, defaults: EventDefaults): Message[] {
	const messages: Message[] = [];
	let start = 0;
	let line = 0;
	while (start < source.length) {
		let end = source.indexOf('\n', start);
		if (end === -1) end = source.length;
		line++;
		const row = source.slice(start, end).trim();
		start = end + 1;
		if (row === '') continue;
		let value: unknown;
		try {
			value = parseJsonExact(row);
		} catch (error) {
			throw new BodyProblem('invalid-json', `line ${line}: not valid JSON: ${(error as Error).message}`, undefined, undefined, line);
		}
		messages.push(decodeOrThrow(value, '', defaults, messages.length, line));
	}
	return messages;
}

function decodeOrThrow(value: unknown, at: string | number, defaults: EventDefaults, index: number | undefined, line: number | undefined): Message {
	try {
		return decodeEventAt(value, at, defaults);
	} catch (error) {
		if (!(error instanceof MessageValidationError)) throw error;
		const message = line === undefined ? error.message : `line ${line}: ${error.message}`;
		throw new BodyProblem('invalid-event', message, error.field, index, line);
	}
}

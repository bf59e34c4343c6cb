import { MessageValidationError } from '../errors.js';
import { copyRoute, describe, toPayload, type Message } from './message.js';
import { freezeMetadata, newMetadata } from './metadata.js';

/**
 * Returns a copy of `msg` whose metadata has `entries` merged in (an entry
 * whose value is `undefined` removes that key). The payload is shared, not
 * copied.
 *
 * @param msg - The message to copy.
 * @param entries - Keys to set or (with `undefined`) remove.
 * @returns A new message.
 * @example
 * ```ts
 * import { withMetadata, type Middleware } from 'polku';
 *
 * const tagRegion: Middleware = {
 *   name: 'tag-region',
 *   process: (msg) => withMetadata(msg, { region: 'eu-north-1' }),
 * };
 * ```
 */
export function withMetadata(msg: Message, entries: Readonly<Record<string, string | undefined>>): Message {
	const metadata = newMetadata();
	const current = msg.metadata;
	const updates = Object.keys(entries);
	let removes = false;
	for (const key of updates) {
		const value = entries[key];
		if (value === undefined) removes = true;
		else if (typeof value !== 'string') throw new MessageValidationError(`metadata.${key}`, `must be a string, got ${describe(value)}`);
	}
	for (const key of Object.keys(current)) {
		if (removes && Object.hasOwn(entries, key) && entries[key] === undefined) continue;
		metadata[key] = current[key]!;
	}
	for (const key of updates) {
		const value = entries[key];
		if (value !== undefined) metadata[key] = value;
	}
	return { ...msg, metadata: freezeMetadata(metadata) };
}

/**
 * Returns a copy of `msg` routed to `outputs` (replacing its `routeTo`). An
 * empty list routes to every output.
 *
 * @param msg - The message to copy.
 * @param outputs - Output names, as one name or a list.
 * @returns A new message.
 * @example
 * ```ts
 * import { withRoute, type Middleware } from 'polku';
 *
 * const auditErrors: Middleware = {
 *   name: 'audit-errors',
 *   process: (msg) => (msg.messageType.endsWith('.failed') ? withRoute(msg, ['audit', 'alerts']) : msg),
 * };
 * ```
 */
export function withRoute(msg: Message, outputs: string | readonly string[]): Message {
	return { ...msg, routeTo: copyRoute(typeof outputs === 'string' ? [outputs] : outputs) };
}

/**
 * Returns a copy of `msg` with a new payload (bytes by reference, or a string
 * encoded as UTF-8).
 *
 * @param msg - The message to copy.
 * @param payload - The new payload.
 * @returns A new message.
 * @example
 * ```ts
 * import { payloadText, withPayload, type Middleware } from 'polku';
 *
 * const upper: Middleware = { name: 'upper', process: (msg) => withPayload(msg, payloadText(msg).toUpperCase()) };
 * ```
 */
export function withPayload(msg: Message, payload: Uint8Array | string): Message {
	return { ...msg, payload: toPayload(payload) };
}

const decoder = new TextDecoder();

/**
 * Decodes a message's payload as UTF-8.
 *
 * @example
 * ```ts
 * import { createMessage, payloadText } from 'polku';
 *
 * payloadText(createMessage({ source: 's', messageType: 't', payload: 'hej' })); // 'hej'
 * ```
 */
export function payloadText(msg: Pick<Message, 'payload'>): string {
	return decoder.decode(msg.payload);
}

/**
 * Parses a message's payload as UTF-8 JSON. Throws `SyntaxError` if it is not
 * JSON.
 *
 * @example
 * ```ts
 * import { createMessage, payloadJson } from 'polku';
 *
 * const order = payloadJson<{ id: number }>(createMessage({ source: 's', messageType: 't', payload: '{"id":1}' }));
 * order.id; // 1
 * ```
 */
export function payloadJson<T = unknown>(msg: Pick<Message, 'payload'>): T {
	return JSON.parse(decoder.decode(msg.payload)) as T;
}

import { MessageValidationError } from '../errors.js';
import { nowNanos } from './clock.js';
import { nextId } from './id.js';
import { EMPTY_METADATA, freezeMetadata, newMetadata } from './metadata.js';

/**
 * String-to-string message metadata (headers, context). Objects polku creates
 * inherit nothing (their prototype chain is one empty null-prototype object),
 * so keys such as `__proto__` or `constructor` are plain data. Iterate with
 * `Object.keys` / `Object.entries`; test with `Object.hasOwn`.
 *
 * @example
 * ```ts
 * import type { Metadata } from 'polku';
 *
 * const tenantOf = (metadata: Metadata): string | undefined => metadata['tenant'];
 * ```
 */
export type Metadata = Readonly<Record<string, string>>;

/**
 * The envelope every message travels in. Immutable: edit with
 * {@link withMetadata}, {@link withRoute}, {@link withPayload} or a spread
 * (`{ ...msg, metadata: { ...msg.metadata, k: 'v' } }`). Any object with these
 * fields is a Message.
 *
 * @example
 * ```ts
 * import { createMessage, type Message } from 'polku';
 *
 * const msg: Message = createMessage({ source: 'billing', messageType: 'invoice.paid', payload: '{"id":7}' });
 * msg.id;        // '01J...' (ULID)
 * msg.timestamp; // 1764216000123456789n (Unix ns)
 * ```
 */
export interface Message {
	/** Unique id, a ULID unless the producer supplied another string. */
	readonly id: string;
	/** Unix time in nanoseconds, exact. */
	readonly timestamp: bigint;
	/** Where the message came from. */
	readonly source: string;
	/** User-defined type, e.g. `order.created`. */
	readonly messageType: string;
	/** Headers and context. */
	readonly metadata: Metadata;
	/** Opaque payload, carried by reference: the pipeline never copies it. */
	readonly payload: Uint8Array;
	/** Names of the outputs to deliver to; empty means every output. */
	readonly routeTo: readonly string[];
}

/**
 * What {@link createMessage} takes. `source` and `messageType` are required;
 * everything else has a default.
 *
 * @example
 * ```ts
 * import type { MessageInit } from 'polku';
 *
 * const init: MessageInit = {
 *   source: 'checkout',
 *   messageType: 'order.created',
 *   metadata: { tenant: 'acme' },
 *   payload: JSON.stringify({ orderId: 42 }),
 *   routeTo: ['warehouse'],
 * };
 * ```
 */
export interface MessageInit {
	/** @default a new monotonic ULID */
	readonly id?: string;
	/** Unix nanoseconds. @default now */
	readonly timestamp?: bigint;
	readonly source: string;
	readonly messageType: string;
	/** Copied into a metadata object that inherits nothing; every value must be a string. @default {} */
	readonly metadata?: Readonly<Record<string, string>>;
	/** Bytes are carried by reference; a string is encoded as UTF-8. @default empty */
	readonly payload?: Uint8Array | string;
	/** @default [] (every output) */
	readonly routeTo?: readonly string[];
}

/**
 * A message, or what it takes to create one: what `send()` and friends take.
 *
 * @example
 * ```ts
 * import { createMessage, type MessageLike } from 'polku';
 *
 * const items: MessageLike[] = [createMessage({ source: 'a', messageType: 'x' }), { source: 'b', messageType: 'y' }];
 * await hub.sendBatch(items);
 * ```
 */
export type MessageLike = Message | MessageInit;

const EMPTY_ROUTE: readonly string[] = Object.freeze([]);
const EMPTY_PAYLOAD = new Uint8Array(0);

/** Copies string metadata into a fresh metadata object, checking every value. */
export function copyMetadata(source: unknown, field = 'metadata'): Metadata {
	if (source === undefined) return EMPTY_METADATA;
	if (source === null || typeof source !== 'object' || Array.isArray(source)) {
		throw new MessageValidationError(field, `must be an object of strings, got ${describe(source)}`);
	}
	const keys = Object.keys(source);
	if (keys.length === 0) return EMPTY_METADATA;
	const out = newMetadata();
	for (const key of keys) {
		const value = (source as Record<string, unknown>)[key];
		if (typeof value !== 'string') {
			throw new MessageValidationError(`${field}.${key}`, `must be a string, got ${describe(value)}`);
		}
		out[key] = value;
	}
	return freezeMetadata(out);
}

/** Copies and freezes a route list, checking every entry. */
export function copyRoute(source: unknown, field = 'routeTo'): readonly string[] {
	if (source === undefined) return EMPTY_ROUTE;
	if (!Array.isArray(source)) throw new MessageValidationError(field, `must be an array of strings, got ${describe(source)}`);
	if (source.length === 0) return EMPTY_ROUTE;
	for (let i = 0; i < source.length; i++) {
		if (typeof source[i] !== 'string') {
			throw new MessageValidationError(`${field}[${i}]`, `must be a string, got ${describe(source[i])}`);
		}
	}
	return Object.freeze(source.slice() as string[]);
}

/** Turns a string or bytes into a payload; strings are UTF-8 encoded. */
export function toPayload(value: unknown, field = 'payload'): Uint8Array {
	if (value === undefined) return EMPTY_PAYLOAD;
	if (value instanceof Uint8Array) return value;
	if (typeof value === 'string') return value.length === 0 ? EMPTY_PAYLOAD : Buffer.from(value, 'utf8');
	throw new MessageValidationError(field, `must be a Uint8Array or a string, got ${describe(value)}`);
}

/**
 * Creates a message: fills `id` (a monotonic ULID, millions per second),
 * `timestamp` (now, Unix ns), empty `metadata` and `routeTo`, and encodes a
 * string payload as UTF-8. Throws {@link MessageValidationError} naming the
 * field when a value has the wrong type.
 *
 * @param init - Source, type and optional fields.
 * @returns A new message.
 * @example
 * ```ts
 * import { createMessage } from 'polku';
 *
 * const msg = createMessage({
 *   source: 'sensor-7',
 *   messageType: 'reading',
 *   metadata: { unit: 'celsius' },
 *   payload: '21.5',
 * });
 * ```
 */
export function createMessage(init: MessageInit): Message {
	if (init === null || typeof init !== 'object') {
		throw new MessageValidationError('message', `must be an object, got ${describe(init)}`);
	}
	const { id, timestamp, source, messageType } = init;
	if (id !== undefined && (typeof id !== 'string' || id.length === 0)) {
		throw new MessageValidationError('id', `must be a non-empty string, got ${describe(id)}`);
	}
	if (timestamp !== undefined && typeof timestamp !== 'bigint') {
		throw new MessageValidationError('timestamp', `must be a bigint of Unix nanoseconds, got ${describe(timestamp)}`);
	}
	if (typeof source !== 'string') throw new MessageValidationError('source', `must be a string, got ${describe(source)}`);
	if (typeof messageType !== 'string') {
		throw new MessageValidationError('messageType', `must be a string, got ${describe(messageType)}`);
	}
	return {
		id: id ?? nextId(),
		timestamp: timestamp ?? nowNanos(),
		source,
		messageType,
		metadata: init.metadata === undefined ? EMPTY_METADATA : copyMetadata(init.metadata),
		payload: toPayload(init.payload),
		routeTo: init.routeTo === undefined ? EMPTY_ROUTE : copyRoute(init.routeTo),
	};
}

/**
 * Returns `undefined` when `value` has every Message field with the right
 * type, else the name of the first field that is wrong. Cheap enough for the
 * hot path: a handful of `typeof` checks.
 */
export function invalidMessageField(value: unknown): string | undefined {
	if (value === null || typeof value !== 'object') return 'message';
	const m = value as Record<keyof Message, unknown>;
	if (typeof m.id !== 'string') return 'id';
	if (typeof m.timestamp !== 'bigint') return 'timestamp';
	if (typeof m.source !== 'string') return 'source';
	if (typeof m.messageType !== 'string') return 'messageType';
	if (m.metadata === null || typeof m.metadata !== 'object') return 'metadata';
	if (!(m.payload instanceof Uint8Array)) return 'payload';
	if (!Array.isArray(m.routeTo)) return 'routeTo';
	return undefined;
}

/**
 * True when `value` has every Message field with the right type.
 *
 * @example
 * ```ts
 * import { createMessage, isMessage } from 'polku';
 *
 * isMessage(createMessage({ source: 'a', messageType: 'b' })); // true
 * isMessage({ source: 'a', messageType: 'b' });                // false: an init, not a message
 * ```
 */
export function isMessage(value: unknown): value is Message {
	return invalidMessageField(value) === undefined;
}

/**
 * Returns `value` if it is a message, creates one if it is an init, and throws
 * {@link MessageValidationError} naming the field otherwise. A value with an
 * `id` and a bigint `timestamp` is taken to be a message and must be complete.
 */
export function toMessage(value: MessageLike): Message {
	const v = value as Partial<Record<keyof Message, unknown>>;
	if (v !== null && typeof v === 'object' && typeof v.timestamp === 'bigint' && typeof v.id === 'string' && v.payload !== undefined) {
		const bad = invalidMessageField(v);
		if (bad !== undefined) throw new MessageValidationError(bad, `has the wrong type (${describe(v[bad as keyof Message])})`);
		return value as Message;
	}
	return createMessage(value as MessageInit);
}

/** A short description of a value's type for error messages. */
export function describe(value: unknown): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'an array';
	if (value instanceof Uint8Array) return 'a Uint8Array';
	return typeof value;
}

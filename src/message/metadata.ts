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
 * Metadata objects are created from this constructor, whose prototype is an
 * empty, frozen, null-prototype object. So a metadata object inherits nothing
 * (`__proto__`, `constructor`, `toString` are plain data keys, or absent),
 * like `Object.create(null)`, but V8 keeps it in fast mode: creating one is
 * ~7x faster and it is smaller than a dictionary-mode null-prototype object.
 */
const MetadataRecord = function MetadataRecord(): void {} as unknown as new () => Record<string, string>;
MetadataRecord.prototype = Object.freeze(Object.create(null) as object);

/**
 * A new, empty, mutable metadata object that inherits nothing (keys such as
 * `__proto__` are plain data): fill it with string values, then pass it to
 * {@link freezeMetadata}. For inputs that build metadata from a transport's
 * headers.
 *
 * @example
 * ```ts
 * import { freezeMetadata, newMetadata } from 'polku';
 *
 * const metadata = newMetadata();
 * for (const [key, value] of Object.entries(request.headers)) if (typeof value === 'string') metadata[key] = value;
 * const message = { ...base, metadata: freezeMetadata(metadata) };
 * ```
 */
export function newMetadata(): Record<string, string> {
	return new MetadataRecord();
}

/**
 * Freezes a filled metadata object (from {@link newMetadata}) and returns it as
 * {@link Metadata}. Besides making the immutability real,
 * this is what keeps the idiom users write cheap: in Node 20, spreading a
 * metadata object (`{ ...msg.metadata, k: 'v' }`) takes V8's slow generic
 * path (~1.5 µs) unless the object is frozen (~40 ns); freezing costs ~40 ns
 * once, at creation.
 *
 * @example
 * ```ts
 * import { freezeMetadata, newMetadata } from 'polku';
 *
 * const m = newMetadata();
 * m['tenant'] = 'acme';
 * const metadata = freezeMetadata(m); // Readonly, and cheap to spread
 * ```
 */
export function freezeMetadata(metadata: Record<string, string>): Metadata {
	return Object.freeze(metadata);
}

/**
 * The shared empty metadata (frozen): use it for messages without metadata
 * instead of a new empty object each time.
 *
 * @example
 * ```ts
 * import { EMPTY_METADATA } from 'polku';
 *
 * const message = { ...base, metadata: EMPTY_METADATA };
 * ```
 */
export const EMPTY_METADATA: Metadata = Object.freeze(newMetadata());

/** True when `value` was made by {@link newMetadata}. */
export function isMetadataRecord(value: unknown): boolean {
	return value instanceof MetadataRecord;
}

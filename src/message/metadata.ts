import type { Metadata } from './message.js';

/**
 * Metadata objects are created from this constructor, whose prototype is an
 * empty, frozen, null-prototype object. So a metadata object inherits nothing
 * (`__proto__`, `constructor`, `toString` are plain data keys, or absent),
 * like `Object.create(null)`, but V8 keeps it in fast mode: creating one is
 * ~7x faster and it is smaller than a dictionary-mode null-prototype object.
 */
const MetadataRecord = function MetadataRecord(): void {} as unknown as new () => Record<string, string>;
MetadataRecord.prototype = Object.freeze(Object.create(null) as object);

/** A new, empty, mutable metadata object: fill it, then pass it to {@link freezeMetadata}. */
export function newMetadata(): Record<string, string> {
	return new MetadataRecord();
}

/**
 * Freezes a filled metadata object. Besides making the immutability real,
 * this is what keeps the idiom users write cheap: in Node 20, spreading a
 * metadata object (`{ ...msg.metadata, k: 'v' }`) takes V8's slow generic
 * path (~1.5 µs) unless the object is frozen (~40 ns); freezing costs ~40 ns
 * once, at creation.
 */
export function freezeMetadata(metadata: Record<string, string>): Metadata {
	return Object.freeze(metadata);
}

/** The shared empty metadata. */
export const EMPTY_METADATA: Metadata = Object.freeze(newMetadata());

/** True when `value` was made by {@link newMetadata}. */
export function isMetadataRecord(value: unknown): boolean {
	return value instanceof MetadataRecord;
}

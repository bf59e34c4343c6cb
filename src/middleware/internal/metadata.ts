import type { Message, Metadata } from '../../message/message.js';
import { freezeMetadata, newMetadata } from '../../message/metadata.js';

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * `metadata[key]` if it is an own string entry, else `undefined`. Metadata
 * polku creates inherits nothing, but a middleware may have built a plain
 * object with a spread, whose inherited `constructor` or `toString` must not
 * read as entries.
 */
export function entry(metadata: Metadata, key: string): string | undefined {
	const value = metadata[key];
	return typeof value === 'string' && hasOwn.call(metadata, key) ? value : undefined;
}

/**
 * A copy of `metadata` (a new metadata object, which inherits nothing)
 * without `remove` (when given) and with `key` set to `value` (when `key` is
 * given); keys such as `__proto__` stay plain data.
 */
export function editedMetadata(metadata: Metadata, remove: string | undefined, key: string | undefined, value: string): Metadata {
	return freezeMetadata(copied(metadata, remove, key, value));
}

function copied(metadata: Metadata, remove: string | undefined, key: string | undefined, value: string): Record<string, string> {
	const out = newMetadata();
	const keys = Object.keys(metadata);
	for (let i = 0; i < keys.length; i++) {
		const k = keys[i]!;
		if (k !== remove) out[k] = metadata[k]!;
	}
	if (key !== undefined) out[key] = value;
	return out;
}

/** `msg` with metadata `key` set to `value` (one new message, one new metadata object). */
export function withEntry(msg: Message, key: string, value: string): Message {
	return { ...msg, metadata: editedMetadata(msg.metadata, undefined, key, value) };
}

/**
 * `msg` with every entry of `extra` merged into its metadata; existing keys
 * are kept unless `overwrite`. Returns `msg` itself when nothing changes.
 */
export function withMerged(msg: Message, extra: Metadata, overwrite: boolean): Message {
	let out: Record<string, string> | undefined;
	const keys = Object.keys(extra);
	for (let i = 0; i < keys.length; i++) {
		const k = keys[i]!;
		const value = extra[k]!;
		const current = entry(msg.metadata, k);
		if (current === value || (current !== undefined && !overwrite)) continue;
		out ??= copied(msg.metadata, undefined, undefined, '');
		out[k] = value;
	}
	return out === undefined ? msg : { ...msg, metadata: freezeMetadata(out) };
}

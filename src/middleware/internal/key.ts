import { ConfigError } from '../../errors.js';
import type { Message } from '../../message/message.js';
import { entry } from './metadata.js';

/**
 * How a middleware picks the key of a message (the bucket of `throttle`, the
 * identity of `dedup`, the cache key of `enrich`, …): a message field by name,
 * one metadata entry as `metadata.<name>`, or a function. A key of `undefined`
 * means the message has none; each middleware documents what it does then.
 *
 * @example
 * ```ts
 * import { throttle, type KeySelector } from 'polku';
 *
 * const byTenant: KeySelector = 'metadata.tenant';
 * const byOrder: KeySelector = (msg) => msg.metadata['order-id'];
 * throttle({ key: byTenant, perSecond: 100 });
 * ```
 */
export type KeySelector = 'id' | 'source' | 'messageType' | `metadata.${string}` | ((message: Message) => string | undefined);

/** A compiled {@link KeySelector}. */
export type KeyOf = (message: Message) => string | undefined;

const byId: KeyOf = (m) => m.id;
const bySource: KeyOf = (m) => m.source;
const byType: KeyOf = (m) => m.messageType;

/** Compiles a {@link KeySelector}; throws `ConfigError` naming `field` for anything else. */
export function keyFunction(field: string, selector: KeySelector): KeyOf {
	if (typeof selector === 'function') return selector;
	if (selector === 'id') return byId;
	if (selector === 'source') return bySource;
	if (selector === 'messageType') return byType;
	if (typeof selector === 'string' && selector.startsWith('metadata.') && selector.length > 'metadata.'.length) {
		const name = selector.slice('metadata.'.length);
		return (m) => entry(m.metadata, name);
	}
	throw new ConfigError(field, `must be 'id', 'source', 'messageType', 'metadata.<name>' or a function, got ${String(selector)}`);
}

import type { Message } from '../message/message.js';
import { checkFunction, middlewareName, optionsObject } from './internal/options.js';
import type { Middleware } from './middleware.js';

/**
 * Options of {@link transform}.
 *
 * @example
 * ```ts
 * transform(redact, { name: 'redact-pii' });
 * ```
 */
export interface TransformOptions {
	/** The name in stats and events. @default 'transform' */
	readonly name?: string;
}

/**
 * Maps every message to a new one with `fn` (sync or async). Edit with
 * `withMetadata`, `withPayload`, `withRoute` or a spread: messages are
 * immutable. A throw, a rejection or a result that is not a message drops
 * that message with reason `middleware-error` (the hub checks the result).
 *
 * @param fn - Returns the new message (or a promise of it).
 * @param options - See {@link TransformOptions}.
 * @example
 * ```ts
 * import { payloadJson, transform, withPayload } from 'polku';
 *
 * const redact = transform(
 *   (msg) => withPayload(msg, JSON.stringify({ ...payloadJson<object>(msg), email: undefined })),
 *   { name: 'redact-email' },
 * );
 * ```
 */
export function transform(fn: (message: Message) => Message | Promise<Message>, options?: TransformOptions): Middleware {
	checkFunction('transform.fn', fn);
	const o = optionsObject('transform.options', options);
	return { name: middlewareName('transform.name', o.name, 'transform'), process: (message) => fn(message) };
}

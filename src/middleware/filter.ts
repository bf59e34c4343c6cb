import type { Message } from '../message/message.js';
import { checkFunction, middlewareName, optionsObject } from './internal/options.js';
import { isPromiseLike } from './internal/promise.js';
import type { Middleware } from './middleware.js';

/**
 * Options of {@link filter}.
 *
 * @example
 * ```ts
 * filter((msg) => msg.source !== 'debug', { name: 'no-debug' });
 * ```
 */
export interface FilterOptions {
	/** The name in stats and events. @default 'filter' */
	readonly name?: string;
}

/**
 * Keeps the messages for which `predicate` returns true and filters out the
 * rest (returns `null`: not a drop; counted in the middleware's `filtered`
 * stat, and a sender's outcome is `filtered`). The predicate may be async; a
 * synchronous predicate keeps the pipeline promise-free. A throwing predicate
 * drops that message with reason `middleware-error`.
 *
 * @param predicate - True to keep the message.
 * @param options - See {@link FilterOptions}.
 * @example
 * ```ts
 * import { filter, Hub } from 'polku';
 *
 * const hub = Hub.builder()
 *   .middleware(filter((msg) => !msg.messageType.startsWith('debug.'), { name: 'drop-debug' }))
 *   .output(out)
 *   .build();
 * ```
 */
export function filter(predicate: (message: Message) => boolean | PromiseLike<boolean>, options?: FilterOptions): Middleware {
	checkFunction('filter.predicate', predicate);
	const o = optionsObject('filter.options', options);
	const name = middlewareName('filter.name', o.name, 'filter');
	return {
		name,
		process(message) {
			const keep = predicate(message);
			if (keep === true) return message;
			if (keep === false) return null;
			if (isPromiseLike(keep)) return Promise.resolve(keep).then((k) => (k ? message : null));
			return keep ? message : null;
		},
	};
}

/**
 * The logger polku writes to, if given one (it is silent otherwise). A pino
 * logger satisfies it as is; so does {@link consoleLogger}.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * import { Hub } from 'polku';
 *
 * const hub = Hub.builder().logger(pino()).output(out).build();
 * ```
 */
export interface Logger {
	debug(obj: object, msg?: string): void;
	info(obj: object, msg?: string): void;
	warn(obj: object, msg?: string): void;
	error(obj: object, msg?: string): void;
}

const noop = (): void => {};

/**
 * A logger that discards everything (the default).
 *
 * @example
 * ```ts
 * import { Hub, silentLogger } from 'polku';
 *
 * Hub.builder().logger(silentLogger).output(out).build();
 * ```
 */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });

/**
 * A {@link Logger} over `console`, printing `msg` followed by the object.
 *
 * @example
 * ```ts
 * import { consoleLogger, Hub } from 'polku';
 *
 * const hub = Hub.builder().logger(consoleLogger()).output(out).build();
 * ```
 */
export function consoleLogger(target: Pick<Console, 'debug' | 'info' | 'warn' | 'error'> = console): Logger {
	return {
		debug: (obj, msg) => target.debug(msg ?? '', obj),
		info: (obj, msg) => target.info(msg ?? '', obj),
		warn: (obj, msg) => target.warn(msg ?? '', obj),
		error: (obj, msg) => target.error(msg ?? '', obj),
	};
}

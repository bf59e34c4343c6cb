import type { Logger } from '../logger.js';

/**
 * Log levels, from most to least verbose; `silent` logs nothing.
 *
 * @example
 * ```ts
 * const level: LogLevel = 'debug';
 * ```
 */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';

/**
 * Every log level, most verbose first.
 *
 * @example
 * ```ts
 * import { LOG_LEVELS } from 'polku/gateway';
 *
 * const verbose = LOG_LEVELS.indexOf('debug') <= LOG_LEVELS.indexOf('info'); // true
 * ```
 */
export const LOG_LEVELS: readonly LogLevel[] = Object.freeze(['trace', 'debug', 'info', 'warn', 'error', 'silent']);

/**
 * The gateway's logger: polku's {@link Logger} plus `trace`, filtered by level.
 *
 * @example
 * ```ts
 * import { createLogger } from 'polku/gateway';
 *
 * const log = createLogger({ level: 'debug', format: 'pretty' });
 * log.info({ port: 8080 }, 'listening');
 * ```
 */
export interface GatewayLogger extends Logger {
	trace(obj: object, msg?: string): void;
	/** The lowest level written. */
	readonly level: LogLevel;
	/** True when `level` would be written (to skip building costly log fields). */
	enabled(level: Exclude<LogLevel, 'silent'>): boolean;
}

/**
 * Options of {@link createLogger}.
 *
 * @example
 * ```ts
 * createLogger({ level: 'warn', format: 'json', stream: process.stderr });
 * ```
 */
export interface LoggerOptions {
	/** @default 'info' */
	readonly level?: LogLevel;
	/** One JSON object per line, or a human-readable line. @default 'json' */
	readonly format?: 'json' | 'pretty';
	/** Where lines go. @default process.stderr */
	readonly stream?: { write(line: string): unknown };
	/** The clock for timestamps. @default () => new Date() */
	readonly now?: () => Date;
}

type Level = Exclude<LogLevel, 'silent'>;

/**
 * Creates a small dependency-free logger that writes one line per entry to
 * stderr (stdout is for data): JSON (`{"level":"info","time":"…","msg":"…",…fields}`)
 * or pretty (`12:00:00.123 INFO  msg key=value`). Errors in fields (such as
 * `err`) are written as `{ type, message, code, stack }`, bigints as strings.
 *
 * @param options - Level, format and stream.
 * @returns A logger for `HubBuilder.logger()` and the gateway.
 * @example
 * ```ts
 * import { Hub } from 'polku';
 * import { createLogger } from 'polku/gateway';
 *
 * const hub = Hub.builder().logger(createLogger({ level: 'debug' })).output(out).build();
 * ```
 */
export function createLogger(options: LoggerOptions = {}): GatewayLogger {
	const level = options.level ?? 'info';
	const threshold = LOG_LEVELS.indexOf(level);
	const stream = options.stream ?? process.stderr;
	const now = options.now ?? ((): Date => new Date());
	const format = options.format === 'pretty' ? pretty : json;
	const at = (entryLevel: Level) => {
		if (LOG_LEVELS.indexOf(entryLevel) < threshold) return (): void => {};
		return (obj: object, msg?: string): void => {
			let line: string;
			try {
				line = format(entryLevel, now(), obj, msg);
			} catch {
				line = format(entryLevel, now(), { logError: 'fields could not be serialised' }, msg);
			}
			stream.write(line + '\n');
		};
	};
	return {
		level,
		enabled: (l) => LOG_LEVELS.indexOf(l) >= threshold && threshold < LOG_LEVELS.length - 1,
		trace: at('trace'),
		debug: at('debug'),
		info: at('info'),
		warn: at('warn'),
		error: at('error'),
	};
}

function replacer(_key: string, value: unknown): unknown {
	if (typeof value === 'bigint') return value.toString();
	if (value instanceof Error) {
		const { code } = value as Error & { code?: unknown };
		return { type: value.name, message: value.message, ...(code === undefined ? {} : { code }), stack: value.stack };
	}
	return value;
}

function json(level: Level, time: Date, obj: object, msg: string | undefined): string {
	const head = `{"level":"${level}","time":"${time.toISOString()}"${msg === undefined ? '' : `,"msg":${JSON.stringify(msg)}`}`;
	const fields = JSON.stringify(obj ?? {}, replacer);
	return fields === '{}' || fields === undefined || !fields.startsWith('{') ? `${head}}` : `${head},${fields.slice(1)}`;
}

function pretty(level: Level, time: Date, obj: object, msg: string | undefined): string {
	let line = `${time.toISOString().slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${msg ?? ''}`;
	for (const [key, value] of Object.entries(obj ?? {})) {
		if (value === undefined) continue;
		if (value instanceof Error) {
			line += ` ${key}=${JSON.stringify(value.message)}`;
			continue;
		}
		if (typeof value === 'string') line += ` ${key}=${value !== '' && !/[\s"=]/.test(value) ? value : JSON.stringify(value)}`;
		else line += ` ${key}=${JSON.stringify(value, replacer)}`;
	}
	return line;
}

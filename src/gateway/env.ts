import { parseAddress } from '../adapters/http/address.js';
import { ConfigError } from '../errors.js';

/** The environment the gateway reads: `process.env` or a test's object. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * A `ConfigError` for an environment variable, worded for one line on stderr:
 * `message` is `VAR must …, got "value"`.
 */
export function envError(name: string, rule: string, got: string | undefined): ConfigError {
	const error = new ConfigError(name, `${rule}, got ${JSON.stringify(got ?? '')}`);
	error.message = `${name} ${rule}, got ${JSON.stringify(got ?? '')}`;
	return error;
}

export function value(env: Env, name: string): string | undefined {
	const v = env[name]?.trim();
	return v === undefined || v === '' ? undefined : v;
}

export function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
	const raw = value(env, name);
	if (raw === undefined) return fallback;
	const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
	if (!(n >= min && n <= max)) {
		const rule = min === 1 ? 'a positive integer' : 'a non-negative integer';
		throw envError(name, `must be ${rule}${n > max ? ` no larger than ${max}` : ''}`, env[name]);
	}
	return n;
}

export function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T, caseInsensitive = false): T {
	const raw = value(env, name);
	if (raw === undefined) return fallback;
	const v = caseInsensitive ? raw.toLowerCase() : raw;
	if (!(allowed as readonly string[]).includes(v)) throw envError(name, `must be one of ${allowed.join('|')}`, env[name]);
	return v as T;
}

export function address(env: Env, name: string, fallback: string | undefined, emptyDisables: boolean): string | undefined {
	const present = env[name] !== undefined;
	const raw = value(env, name);
	if (raw === undefined) return emptyDisables && present ? undefined : fallback;
	if (raw.toLowerCase() === 'off') return undefined;
	try {
		parseAddress(raw, name);
	} catch {
		throw envError(name, 'must be host:port (port 0-65535, IPv6 in brackets) or off', env[name]);
	}
	return raw;
}

export function list(env: Env, name: string): readonly string[] {
	const raw = value(env, name);
	if (raw === undefined) return [];
	const items = raw.split(',').map((s) => s.trim());
	if (items.some((s) => s === '')) throw envError(name, 'must be a comma-separated list without empty entries', env[name]);
	return items;
}

const GRPC_TARGET = /^(?:dns|unix|unix-abstract|ipv4|ipv6|vsock):/;

export function endpoints(env: Env, name: string): readonly string[] {
	const items = list(env, name);
	for (const item of items) {
		if (GRPC_TARGET.test(item)) continue;
		try {
			parseAddress(item, name);
		} catch {
			throw envError(name, `must be comma-separated host:port endpoints (bad entry ${JSON.stringify(item)})`, env[name]);
		}
	}
	return items;
}

/** An absolute URL whose scheme is one of `protocols` (with the colon, e.g. `'amqp:'`). */
export function url(env: Env, name: string, protocols: readonly string[] = ['http:', 'https:']): string | undefined {
	const raw = value(env, name);
	if (raw === undefined) return undefined;
	let parsed: URL | undefined;
	try {
		parsed = new URL(raw);
	} catch {
		parsed = undefined;
	}
	if (parsed === undefined || !protocols.includes(parsed.protocol)) {
		const schemes = protocols.map((p) => p.slice(0, -1));
		const rule = schemes.join() === 'http,https' ? 'an absolute http(s) URL' : `an absolute URL (${schemes.join(', ')})`;
		throw envError(name, `must be ${rule}`, env[name]);
	}
	return raw;
}

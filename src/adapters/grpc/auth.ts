import { createHash, timingSafeEqual } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import { ConfigError } from '../../index.js';
import type { GrpcAuth, GrpcCallInfo } from './input-options.js';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * A {@link GrpcAuth} that accepts calls whose `authorization` header is
 * `Bearer <token>` for one of `tokens` (compared in constant time), or for
 * which `verify(token)` returns / resolves `true`.
 *
 * @param tokens - The accepted token(s), or a verification function.
 * @returns An auth function for `GrpcInputOptions.auth`.
 * @example
 * ```ts
 * import { bearerToken, GrpcInput } from 'polku/grpc';
 *
 * const input = new GrpcInput({ auth: bearerToken([process.env.INGEST_TOKEN!]) });
 * ```
 */
export function bearerToken(tokens: string | readonly string[] | ((token: string) => boolean | Promise<boolean>)): GrpcAuth {
	if (typeof tokens === 'function') {
		return (metadata) => {
			const token = bearerOf(metadata);
			if (token === undefined) return 'missing bearer token';
			const ok = tokens(token);
			return ok instanceof Promise ? ok.then((v) => v || 'invalid bearer token') : ok || 'invalid bearer token';
		};
	}
	const list = typeof tokens === 'string' ? [tokens] : tokens;
	if (!Array.isArray(list) || list.length === 0 || list.some((t) => typeof t !== 'string' || t.length === 0)) {
		throw new ConfigError('bearerToken.tokens', 'must be a non-empty token, list of non-empty tokens, or a function');
	}
	const digests = list.map(digest);
	return (metadata) => {
		const token = bearerOf(metadata);
		if (token === undefined) return 'missing bearer token';
		const d = digest(token);
		let ok = false;
		for (const known of digests) ok = timingSafeEqual(known, d) || ok;
		return ok || 'invalid bearer token';
	};
}

/** The token of an `authorization: Bearer <token>` header, if any. */
export function bearerOf(metadata: Metadata): string | undefined {
	const header = metadata.get('authorization')[0];
	if (typeof header !== 'string') return undefined;
	const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
	return match?.[1];
}

/** The verdict of an auth function: `undefined` when allowed, else the reason. */
export type AuthVerdict = string | undefined;

/**
 * Runs `auth`, synchronously when it is synchronous. Returns `undefined`
 * (allowed), a reason string (rejected), or a promise of either.
 */
export function checkAuth(auth: GrpcAuth, metadata: Metadata, info: GrpcCallInfo): AuthVerdict | Promise<AuthVerdict> {
	let result: boolean | string | Promise<boolean | string>;
	try {
		result = auth(metadata, info);
	} catch (error) {
		return reasonOf(error);
	}
	if (result instanceof Promise) return result.then(verdict, reasonOf);
	return verdict(result);
}

function verdict(result: boolean | string): AuthVerdict {
	if (result === true) return undefined;
	return typeof result === 'string' && result.length > 0 ? result : 'unauthenticated';
}

function reasonOf(error: unknown): string {
	return `authentication failed: ${error instanceof Error ? error.message : String(error)}`;
}

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ConfigError } from '../../index.js';

/**
 * Decides whether a bearer token may send. May be async.
 *
 * @example
 * ```ts
 * const verify: BearerVerifier = async (token) => (await tokens.lookup(token)) !== undefined;
 * ```
 */
export type BearerVerifier = (token: string, request: IncomingMessage) => boolean | Promise<boolean>;

/** The outcome of a bearer check. */
export type AuthResult = 'ok' | 'missing' | 'invalid';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;
const HEX_256 = /^[0-9a-fA-F]{64}$/;

const digest = (value: string | Uint8Array): Buffer => createHash('sha256').update(value).digest();

/**
 * Checks `Authorization: Bearer <token>` against fixed tokens (compared in
 * constant time, on their SHA-256 digests so the length does not leak) or a
 * verifier function.
 */
export class BearerAuth {
	readonly #digests: readonly Buffer[];
	readonly #verify: BearerVerifier | undefined;

	constructor(auth: string | readonly string[] | BearerVerifier, field: string) {
		if (typeof auth === 'function') {
			this.#digests = [];
			this.#verify = auth;
			return;
		}
		const tokens = typeof auth === 'string' ? [auth] : auth;
		if (!Array.isArray(tokens) || tokens.length === 0 || tokens.some((t) => typeof t !== 'string' || t.length === 0)) {
			throw new ConfigError(field, 'must be a non-empty token, a non-empty list of them, or a verifier function');
		}
		this.#digests = tokens.map(digest);
		this.#verify = undefined;
	}

	/** Checks a request; may return a promise only when a verifier is async. */
	check(request: IncomingMessage): AuthResult | Promise<AuthResult> {
		const header = request.headers.authorization;
		const token = header === undefined ? undefined : BEARER.exec(header)?.[1];
		if (token === undefined) return 'missing';
		if (this.#verify !== undefined) {
			const verdict = this.#verify(token, request);
			return typeof verdict === 'boolean' ? (verdict ? 'ok' : 'invalid') : Promise.resolve(verdict).then((ok) => (ok === true ? 'ok' : 'invalid'));
		}
		const presented = digest(token);
		let ok = false;
		for (const d of this.#digests) ok = timingSafeEqual(presented, d) || ok;
		return ok ? 'ok' : 'invalid';
	}
}

/**
 * Verifies an HMAC-SHA256 signature of the raw body, as GitHub's
 * `X-Hub-Signature-256: sha256=<hex>` (the `sha256=` prefix is optional).
 * Several secrets may be given, to rotate them.
 */
export class WebhookSignature {
	readonly #secrets: readonly (string | Uint8Array)[];
	/** The header that carries the signature, lower-cased. */
	readonly header: string;

	constructor(secret: string | Uint8Array | readonly (string | Uint8Array)[], header: string, field: string) {
		const secrets = typeof secret === 'string' || secret instanceof Uint8Array ? [secret] : secret;
		if (!Array.isArray(secrets) || secrets.length === 0 || secrets.some((s) => !(typeof s === 'string' || s instanceof Uint8Array) || s.length === 0)) {
			throw new ConfigError(field, 'must be a non-empty string or bytes, or a non-empty list of them');
		}
		this.#secrets = secrets;
		this.header = header.toLowerCase();
	}

	/** True when the request's signature header matches the body under one of the secrets. */
	verify(request: IncomingMessage, body: Uint8Array): boolean {
		const value = request.headers[this.header];
		if (typeof value !== 'string') return false;
		const hex = value.startsWith('sha256=') ? value.slice(7) : value;
		if (!HEX_256.test(hex)) return false;
		const presented = Buffer.from(hex, 'hex');
		let ok = false;
		for (const secret of this.#secrets) ok = timingSafeEqual(presented, createHmac('sha256', secret).update(body).digest()) || ok;
		return ok;
	}
}

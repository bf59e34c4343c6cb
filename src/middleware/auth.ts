import { toError } from '../errors.js';
import type { Message, Metadata } from '../message/message.js';
import { entry } from './internal/metadata.js';
import { checkFunction, middlewareName, optionsObject } from './internal/options.js';
import { isPromiseLike } from './internal/promise.js';
import { reject, type Middleware, type MiddlewareResult } from './middleware.js';
import { freezeMetadata, newMetadata } from '../message/metadata.js';

/**
 * The metadata key {@link auth} writes the principal to, unless
 * `principalKey` says otherwise: `polku.principal`.
 *
 * @example
 * ```ts
 * import { PRINCIPAL_KEY, router } from 'polku';
 *
 * router([{ metadata: { [PRINCIPAL_KEY]: 'billing' }, to: 'ledger' }]);
 * ```
 */
export const PRINCIPAL_KEY = 'polku.principal';

/**
 * Decides whether a credential is good: `true` to accept, a non-empty string
 * to accept and name the principal (stamped into metadata), anything else to
 * refuse. May be async. A throw or a rejection refuses too.
 *
 * @example
 * ```ts
 * import type { AuthVerifier } from 'polku';
 *
 * const bearer: AuthVerifier = (credential) => {
 *   const token = credential?.replace(/^Bearer /, '');
 *   return token === undefined ? false : (tokens.get(token) ?? false); // the service name, or false
 * };
 * ```
 */
export type AuthVerifier = (credential: string | undefined, message: Message) => boolean | string | PromiseLike<boolean | string>;

/**
 * Options of {@link auth}.
 *
 * @example
 * ```ts
 * auth(verifyApiKey, { key: 'x-api-key', strip: true });
 * ```
 */
export interface AuthOptions {
	/** The name in stats and events. @default 'auth' */
	readonly name?: string;
	/** The metadata key holding the credential (the gRPC and HTTP inputs put the `authorization` header there). @default 'authorization' */
	readonly key?: string;
	/** Remove the credential from the metadata once checked, so secrets do not travel downstream. @default true */
	readonly strip?: boolean;
	/** The metadata key the principal is written to. @default 'polku.principal' */
	readonly principalKey?: string;
}

/**
 * Authenticates messages by a credential carried in their metadata. Refused
 * messages are rejected with `reject('unauthorized')` (drop reason
 * `rejected`, counted under `unauthorized`; a throwing or rejecting verifier
 * adds its error as the cause). Accepted messages lose the credential (unless
 * `strip: false`) and carry the principal under `polku.principal` when the
 * verifier named one; a `polku.principal` sent by the producer is always
 * removed, so downstream can trust it. Synchronous with a synchronous verifier.
 *
 * @param verify - See {@link AuthVerifier}.
 * @param options - See {@link AuthOptions}.
 * @example
 * ```ts
 * import { auth, Hub } from 'polku';
 *
 * const keys = new Map([['k-123', 'billing-service']]);
 * const hub = Hub.builder()
 *   .middleware(auth((credential) => keys.get(credential?.replace(/^Bearer /, '') ?? '') ?? false))
 *   .output(out)
 *   .build();
 * ```
 */
export function auth(verify: AuthVerifier, options?: AuthOptions): Middleware {
	checkFunction('auth.verify', verify);
	const o = optionsObject('auth.options', options);
	const name = middlewareName('auth.name', o.name, 'auth');
	const key = middlewareName('auth.key', o.key, 'authorization');
	const principalKey = middlewareName('auth.principalKey', o.principalKey, PRINCIPAL_KEY);
	const strip = o.strip !== false;

	const decide = (message: Message, credential: string | undefined, verdict: unknown): MiddlewareResult => {
		let principal: string | undefined;
		if (typeof verdict === 'string' && verdict.length > 0) principal = verdict;
		else if (verdict !== true) return reject('unauthorized');
		const removeCredential = strip && credential !== undefined;
		if (!removeCredential && principal === undefined && entry(message.metadata, principalKey) === undefined) return message;
		return { ...message, metadata: edited(message.metadata, removeCredential ? key : undefined, principalKey, principal) };
	};

	return {
		name,
		process(message) {
			const credential = entry(message.metadata, key);
			let verdict;
			try {
				verdict = verify(credential, message);
			} catch (error) {
				return reject('unauthorized', toError(error));
			}
			if (!isPromiseLike(verdict)) return decide(message, credential, verdict);
			return Promise.resolve(verdict).then(
				(v) => decide(message, credential, v),
				(error: unknown) => reject('unauthorized', toError(error)),
			);
		},
	};
}

/** A null-prototype copy without `credentialKey` and with `principalKey` set to `principal` (or removed). */
function edited(metadata: Metadata, credentialKey: string | undefined, principalKey: string, principal: string | undefined): Metadata {
	const out = newMetadata();
	const keys = Object.keys(metadata);
	for (let i = 0; i < keys.length; i++) {
		const k = keys[i]!;
		if (k !== credentialKey && k !== principalKey) out[k] = metadata[k]!;
	}
	if (principal !== undefined) out[principalKey] = principal;
	return freezeMetadata(out);
}

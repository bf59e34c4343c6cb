import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { ConfigError } from '../../index.js';

/**
 * PEM text or bytes, or a list of them (a key or certificate chain per entry).
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import type { Pem } from 'polku/http';
 *
 * const cert: Pem = readFileSync('/etc/polku/tls/server.crt');
 * ```
 */
export type Pem = string | Uint8Array | readonly (string | Uint8Array)[];

/** A server's key and certificate, and the CA its clients' certificates must be signed by. */
export interface TlsMaterial {
	readonly key: Pem;
	readonly cert: Pem;
	readonly ca?: Pem | undefined;
	readonly passphrase?: string | undefined;
}

/** {@link TlsMaterial} as Node's TLS functions take it. */
export interface CheckedTlsMaterial {
	readonly key: string | Buffer | (string | Buffer)[];
	readonly cert: string | Buffer | (string | Buffer)[];
	readonly ca?: string | Buffer | (string | Buffer)[];
	readonly passphrase?: string;
}

const isPem = (v: unknown): boolean => typeof v === 'string' || v instanceof Uint8Array;

function checkPem(field: string, value: unknown, required: boolean): void {
	if (value === undefined && !required) return;
	if (isPem(value) || (Array.isArray(value) && value.length > 0 && value.every(isPem))) return;
	throw new ConfigError(field, 'must be PEM text or bytes (or a list of them), e.g. readFileSync("server.key")');
}

/**
 * Checks a key, certificate and CA by building a TLS context from them once,
 * so a bad or mismatched one fails at construction with a `ConfigError`
 * naming `field`, not at the first handshake.
 */
export function checkTlsMaterial(tls: TlsMaterial, field: string): CheckedTlsMaterial {
	checkPem(`${field}.key`, tls.key, true);
	checkPem(`${field}.cert`, tls.cert, true);
	checkPem(`${field}.ca`, tls.ca, false);
	if (tls.passphrase !== undefined && typeof tls.passphrase !== 'string') throw new ConfigError(`${field}.passphrase`, 'must be a string');
	const material: CheckedTlsMaterial = {
		key: tls.key as CheckedTlsMaterial['key'],
		cert: tls.cert as CheckedTlsMaterial['cert'],
		...(tls.ca === undefined ? {} : { ca: tls.ca as CheckedTlsMaterial['key'] }),
		...(tls.passphrase === undefined ? {} : { passphrase: tls.passphrase }),
	};
	try {
		createSecureContext(material);
		// Node's TLS skips what in a CA file is not a certificate: make sure each entry holds one.
		const cas: readonly (string | Uint8Array)[] = tls.ca === undefined ? [] : typeof tls.ca === 'string' || tls.ca instanceof Uint8Array ? [tls.ca] : tls.ca;
		for (const ca of cas) new X509Certificate(ca);
	} catch (error) {
		throw new ConfigError(field, `the key, certificate or CA is not usable: ${(error as Error).message}`);
	}
	return material;
}

import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { checkTlsMaterial } from '../adapters/http/tls-material.js';
import type { GatewayConfig } from './config.js';
import { envError } from './env.js';

/** The PEM files of `POLKU_TLS_CERT`, `POLKU_TLS_KEY` and `POLKU_TLS_CA`, read and checked. */
export interface GatewayTls {
	readonly cert: Buffer;
	readonly key: Buffer;
	readonly ca: Buffer | undefined;
}

function readPem(name: string, path: string): Buffer {
	try {
		return readFileSync(path);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
		throw envError(name, `cannot be read (${code}); it must be the path of a PEM file`, path);
	}
}

/** What Node's TLS said, without the field prefix. */
const cause = (error: ConfigError): string => error.message.slice(error.message.lastIndexOf('not usable: ') + 12);

/**
 * Reads the TLS files the configuration names and checks them with Node's TLS
 * (a key that does not match the certificate, or a CA file that is not a
 * certificate, is a `ConfigError` naming the variable); `undefined` when TLS
 * is off.
 */
export function readGatewayTls(config: GatewayConfig): GatewayTls | undefined {
	if (config.tlsCert === undefined || config.tlsKey === undefined) return undefined;
	const cert = readPem('POLKU_TLS_CERT', config.tlsCert);
	const key = readPem('POLKU_TLS_KEY', config.tlsKey);
	const ca = config.tlsCa === undefined ? undefined : readPem('POLKU_TLS_CA', config.tlsCa);
	try {
		checkTlsMaterial({ key, cert }, 'POLKU_TLS_KEY');
	} catch (error) {
		if (!(error instanceof ConfigError)) throw error;
		throw envError('POLKU_TLS_KEY', `must be the private key of POLKU_TLS_CERT (PEM): ${cause(error)}`, config.tlsKey);
	}
	if (ca !== undefined) {
		try {
			checkTlsMaterial({ key, cert, ca }, 'POLKU_TLS_CA');
		} catch (error) {
			if (!(error instanceof ConfigError)) throw error;
			throw envError('POLKU_TLS_CA', `must be a PEM CA certificate file: ${cause(error)}`, config.tlsCa);
		}
	}
	return { cert, key, ca };
}

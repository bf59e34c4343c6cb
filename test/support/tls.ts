// Real certificates for TLS tests, made with openssl in a temporary directory: a CA, a server
// certificate for 127.0.0.1 / localhost signed by it, a client certificate signed by it, and a client
// certificate from another CA (which a server trusting only the first must refuse).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificates {
	/** The directory holding the PEM files (`ca.crt`, `server.key`, `server.crt`, `client.key`, `client.crt`, …). */
	readonly dir: string;
	readonly ca: Buffer;
	readonly serverKey: Buffer;
	readonly serverCert: Buffer;
	readonly clientKey: Buffer;
	readonly clientCert: Buffer;
	/** A client certificate signed by a CA the server does not trust. */
	readonly strangerKey: Buffer;
	readonly strangerCert: Buffer;
	path(name: string): string;
	remove(): void;
}

function openssl(dir: string, args: readonly string[]): void {
	execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function makeCa(dir: string, name: string): void {
	openssl(dir, ['req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=polku test ${name}`]);
}

function makeSigned(dir: string, name: string, ca: string, cn: string, ext: string): void {
	writeFileSync(join(dir, `${name}.ext`), ext);
	openssl(dir, ['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
	openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`]);
}

/** Makes the certificates (about 100 ms of openssl). */
export function makeCertificates(): TestCertificates {
	const dir = mkdtempSync(join(tmpdir(), 'polku-tls-'));
	makeCa(dir, 'ca');
	makeCa(dir, 'other-ca');
	makeSigned(dir, 'server', 'ca', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
	makeSigned(dir, 'client', 'ca', 'polku-test-client', 'extendedKeyUsage=clientAuth\n');
	makeSigned(dir, 'stranger', 'other-ca', 'stranger', 'extendedKeyUsage=clientAuth\n');
	const read = (name: string): Buffer => readFileSync(join(dir, name));
	return {
		dir,
		ca: read('ca.crt'),
		serverKey: read('server.key'),
		serverCert: read('server.crt'),
		clientKey: read('client.key'),
		clientCert: read('client.crt'),
		strangerKey: read('stranger.key'),
		strangerCert: read('stranger.crt'),
		path: (name) => join(dir, name),
		remove: () => rmSync(dir, { recursive: true, force: true }),
	};
}

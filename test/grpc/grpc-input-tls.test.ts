// GrpcInput over TLS, with real certificates made by openssl (issue 7, item 28).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { credentials, loadPackageDefinition, type ChannelCredentials, type ServiceClientConstructor } from '@grpc/grpc-js';
import { ConfigError, Hub } from '../../src/index.js';
import { GrpcInput, type GrpcInputOptions } from '../../src/adapters/grpc/index.js';
import { MemoryOutput } from '../../src/testing/index.js';
import { makeCertificates, type TestCertificates } from '../support/tls.js';
import { packageDefinition, sendEvent, wireEvent, type GatewayClient } from './helpers.js';

const Gateway = (loadPackageDefinition(packageDefinition) as unknown as { polku: { v1: { Gateway: ServiceClientConstructor } } }).polku.v1.Gateway;

/** A client for `localhost:port` (the name the server certificate carries). */
const client = (port: number, creds: ChannelCredentials): GatewayClient => new Gateway(`localhost:${port}`, creds) as unknown as GatewayClient;

/** The gRPC status code SendEvent ends with (0 when acked). */
async function codeOf(c: GatewayClient, id: string): Promise<number> {
	try {
		await sendEvent(c, { event: wireEvent(id) });
		return 0;
	} catch (error) {
		return (error as { code: number }).code;
	} finally {
		c.close();
	}
}

async function withInput(options: GrpcInputOptions, test: (port: number, out: MemoryOutput) => Promise<void>): Promise<void> {
	const input = new GrpcInput({ address: '127.0.0.1:0', ...options });
	const out = new MemoryOutput({ name: 'out' });
	const hub = Hub.builder().input(input).output(out).build();
	await hub.start();
	try {
		await test((await input.ready).port, out);
	} finally {
		await hub.stop({ timeoutMs: 2000 });
	}
}

describe('GrpcInput tls', () => {
	let certs: TestCertificates;
	before(() => {
		certs = makeCertificates();
	});
	after(() => certs.remove());

	it('serves TLS from tls.key / tls.cert: a client trusting the CA is acked, an insecure client is not', async () => {
		await withInput({ tls: { key: certs.serverKey, cert: certs.serverCert } }, async (port, out) => {
			assert.equal(await codeOf(client(port, credentials.createSsl(certs.ca)), 'tls-1'), 0);
			assert.notEqual(await codeOf(client(port, credentials.createInsecure()), 'plain'), 0);
			await out.waitFor(1);
			assert.deepEqual(out.messages.map((m) => m.id), ['tls-1']);
		});
	});

	it('with tls.ca, requires a client certificate signed by it', async () => {
		await withInput({ tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca } }, async (port, out) => {
			assert.equal(await codeOf(client(port, credentials.createSsl(certs.ca, certs.clientKey, certs.clientCert)), 'mtls-1'), 0);
			assert.notEqual(await codeOf(client(port, credentials.createSsl(certs.ca)), 'no-cert'), 0, 'no client certificate');
			assert.notEqual(await codeOf(client(port, credentials.createSsl(certs.ca, certs.strangerKey, certs.strangerCert)), 'stranger'), 0, 'another CA');
			await out.waitFor(1);
			assert.deepEqual(out.messages.map((m) => m.id), ['mtls-1']);
		});
	});

	it('rejects bad tls options with a ConfigError naming the field, at construction', () => {
		const fieldOf = (options: GrpcInputOptions): string => {
			try {
				new GrpcInput(options);
			} catch (error) {
				assert.ok(error instanceof ConfigError, String(error));
				return error.field;
			}
			return 'no error';
		};
		assert.equal(fieldOf({ tls: { key: certs.serverKey } as never }), 'GrpcInput.tls.cert');
		assert.equal(fieldOf({ tls: { key: 'junk', cert: certs.serverCert } }), 'GrpcInput.tls');
		assert.equal(fieldOf({ tls: { key: certs.clientKey, cert: certs.serverCert } }), 'GrpcInput.tls');
		assert.equal(fieldOf({ tls: { key: certs.serverKey, cert: certs.serverCert }, credentials: credentials.createInsecure() as never }), 'GrpcInput.tls');
	});
});

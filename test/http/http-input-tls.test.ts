// HttpInput over HTTPS, with real certificates made by openssl (issue 7, item 28).
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { createServer as createHttpsServer, request, type RequestOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { HttpInput, type HttpInputOptions } from '../../src/adapters/http/index.js';
import { ConfigError } from '../../src/errors.js';
import { makeCertificates, type TestCertificates } from '../support/tls.js';
import { FakeSink } from './helpers.js';

interface Harness {
	sink: FakeSink;
	port: number;
	stop(): Promise<void>;
}

async function start(options: HttpInputOptions): Promise<Harness> {
	const input = new HttpInput({ address: '127.0.0.1:0', ...options });
	const sink = new FakeSink();
	const abort = new AbortController();
	const running = input.run(sink, abort.signal);
	const { port } = await input.ready;
	return {
		sink,
		port,
		stop: async () => {
			abort.abort();
			await running;
		},
	};
}

/** POSTs one event over HTTPS; resolves with the status, or the client-side error code. */
function postTls(port: number, tls: RequestOptions): Promise<number | string> {
	return new Promise((resolve) => {
		const req = request(
			{ host: '127.0.0.1', port, method: 'POST', path: '/events', headers: { 'content-type': 'application/json' }, agent: false, ...tls },
			(res) => {
				res.resume();
				res.on('end', () => resolve(res.statusCode ?? 0));
			},
		);
		req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
		req.end('{"event_type":"tls"}');
	});
}

describe('HttpInput tls', () => {
	let certs: TestCertificates;
	before(() => {
		certs = makeCertificates();
	});
	after(() => certs.remove());

	it('serves HTTPS with tls.key / tls.cert; a client trusting the CA gets 202, plain HTTP does not get in', async () => {
		const h = await start({ tls: { key: certs.serverKey, cert: certs.serverCert } });
		try {
			assert.equal(await postTls(h.port, { ca: certs.ca }), 202);
			assert.equal(await postTls(h.port, {}), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'a client that does not trust the CA refuses the server');
			const plain = await new Promise<number | string>((resolve) => {
				const req = httpRequest({ host: '127.0.0.1', port: h.port, method: 'POST', path: '/events', headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
					res.resume();
					resolve(res.statusCode ?? 0);
				});
				req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
				req.end('{}');
			});
			assert.notEqual(plain, 202);
			assert.equal(h.sink.sent.length, 1);
		} finally {
			await h.stop();
		}
	});

	it('with tls.ca, requires a client certificate signed by it: refused without one or with another CA’s', async () => {
		const h = await start({ tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca } });
		try {
			assert.equal(await postTls(h.port, { ca: certs.ca, key: certs.clientKey, cert: certs.clientCert }), 202);
			const without = await postTls(h.port, { ca: certs.ca });
			assert.equal(typeof without, 'string', `no client certificate: ${without}`);
			assert.match(String(without), /ECONNRESET|CERTIFICATE_REQUIRED|EPIPE|socket hang up/i);
			const stranger = await postTls(h.port, { ca: certs.ca, key: certs.strangerKey, cert: certs.strangerCert });
			assert.equal(typeof stranger, 'string', `a certificate from another CA: ${stranger}`);
			assert.equal(h.sink.sent.length, 1, 'only the client with a good certificate got in');
		} finally {
			await h.stop();
		}
	});

	it('tls.rejectUnauthorized false: asks for a client certificate but lets clients without one in', async () => {
		const h = await start({ tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, rejectUnauthorized: false } });
		try {
			assert.equal(await postTls(h.port, { ca: certs.ca }), 202);
		} finally {
			await h.stop();
		}
	});

	it('attaches to your own https.Server (server option)', async () => {
		const server = createHttpsServer({ key: certs.serverKey, cert: certs.serverCert });
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		const port = (server.address() as AddressInfo).port;
		const input = new HttpInput({ server });
		const abort = new AbortController();
		const running = input.run(new FakeSink(), abort.signal);
		try {
			assert.deepEqual(await input.ready, { port });
			assert.equal(await postTls(port, { ca: certs.ca }), 202);
		} finally {
			abort.abort();
			await running;
			server.close();
		}
	});

	it('rejects bad tls options with a ConfigError naming the field, at construction', () => {
		const field = (options: HttpInputOptions['tls']): string => {
			try {
				new HttpInput({ tls: options });
			} catch (error) {
				assert.ok(error instanceof ConfigError, String(error));
				return `${error.field}: ${error.message}`;
			}
			return 'no error';
		};
		assert.match(field({ key: certs.serverKey } as never), /^HttpInput "http"\.tls\.cert:/);
		assert.match(field({ cert: certs.serverCert } as never), /^HttpInput "http"\.tls\.key:/);
		assert.match(field({ key: 'not a key', cert: certs.serverCert }), /^HttpInput "http"\.tls: .*key/i);
		assert.match(field({ key: certs.clientKey, cert: certs.serverCert }), /^HttpInput "http"\.tls: .*(key values mismatch|does not match)/i);
		assert.throws(() => new HttpInput({ server: createHttpsServer(), tls: { key: certs.serverKey, cert: certs.serverCert } }), /give tls to the server you pass/);
	});
});

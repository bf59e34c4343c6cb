// The gateway's TLS settings, POLKU_TLS_CERT / POLKU_TLS_KEY / POLKU_TLS_CA, for its gRPC and HTTP inputs,
// with real certificates made by openssl (issue 7, item 28).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { request, type RequestOptions } from 'node:https';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { credentials, loadPackageDefinition, type ChannelCredentials, type ServiceClientConstructor } from '@grpc/grpc-js';
import { ConfigError } from '../../src/errors.js';
import { createLogger, loadConfig, run, type Gateway } from '../../src/gateway/index.js';
import { packageDefinition, sendEvent, wireEvent, type GatewayClient } from '../grpc/helpers.js';
import { makeCertificates, type TestCertificates } from '../support/tls.js';

const GrpcClient = (loadPackageDefinition(packageDefinition) as unknown as { polku: { v1: { Gateway: ServiceClientConstructor } } }).polku.v1.Gateway;

const port = (address: string | undefined): number => Number(address!.split(':').at(-1));

/** POSTs one event over HTTPS; the status, or the client-side error code. */
function postTls(p: number, tls: RequestOptions, id: string): Promise<number | string> {
	return new Promise((resolve) => {
		const req = request({ host: '127.0.0.1', port: p, method: 'POST', path: '/events', headers: { 'content-type': 'application/json' }, agent: false, ...tls }, (res) => {
			res.resume();
			res.on('end', () => resolve(res.statusCode ?? 0));
		});
		req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
		req.end(JSON.stringify({ id, event_type: 'tls' }));
	});
}

/** SendEvent over TLS to `localhost:p`; 0 when acked, else the status code. */
async function grpcCode(p: number, creds: ChannelCredentials, id: string): Promise<number> {
	const client = new GrpcClient(`localhost:${p}`, creds) as unknown as GatewayClient;
	try {
		await sendEvent(client, { event: wireEvent(id) });
		return 0;
	} catch (error) {
		return (error as { code: number }).code;
	} finally {
		client.close();
	}
}

async function start(env: Record<string, string>): Promise<{ gateway: Gateway; lines: string[] }> {
	const lines: string[] = [];
	const gateway = await run(undefined, {
		env: { POLKU_GRPC_ADDR: '127.0.0.1:0', POLKU_HTTP_ADDR: '127.0.0.1:0', POLKU_METRICS_ADDR: 'off', ...env },
		handleSignals: false,
		logger: createLogger({ level: 'info', stream: { write: (chunk: string) => lines.push(chunk) !== 0 } }),
		stdout: Object.assign(new EventEmitter(), { write: () => true }),
	});
	return { gateway, lines };
}

describe('gateway TLS (POLKU_TLS_CERT, POLKU_TLS_KEY, POLKU_TLS_CA)', () => {
	let certs: TestCertificates;
	before(() => {
		certs = makeCertificates();
	});
	after(() => certs.remove());

	it('loadConfig reads the three paths; CERT and KEY go together, CA needs them', () => {
		const c = loadConfig({ POLKU_TLS_CERT: '/tls/server.crt', POLKU_TLS_KEY: '/tls/server.key', POLKU_TLS_CA: '/tls/ca.crt' });
		assert.deepEqual([c.tlsCert, c.tlsKey, c.tlsCa], ['/tls/server.crt', '/tls/server.key', '/tls/ca.crt']);
		assert.deepEqual([loadConfig({}).tlsCert, loadConfig({}).tlsKey, loadConfig({}).tlsCa], [undefined, undefined, undefined]);
		const fieldOf = (env: Record<string, string>): string => {
			try {
				loadConfig(env);
			} catch (error) {
				assert.ok(error instanceof ConfigError);
				return `${error.field}: ${error.message}`;
			}
			return 'no error';
		};
		assert.match(fieldOf({ POLKU_TLS_CERT: '/tls/server.crt' }), /^POLKU_TLS_KEY: POLKU_TLS_KEY must be set with POLKU_TLS_CERT/);
		assert.match(fieldOf({ POLKU_TLS_KEY: '/tls/server.key' }), /^POLKU_TLS_CERT: POLKU_TLS_CERT must be set with POLKU_TLS_KEY/);
		assert.match(fieldOf({ POLKU_TLS_CA: '/tls/ca.crt' }), /^POLKU_TLS_CA: POLKU_TLS_CA needs POLKU_TLS_CERT and POLKU_TLS_KEY/);
	});

	it('serves TLS on the gRPC and HTTP inputs', async () => {
		const { gateway, lines } = await start({ POLKU_TLS_CERT: certs.path('server.crt'), POLKU_TLS_KEY: certs.path('server.key') });
		try {
			assert.equal(await postTls(port(gateway.addresses.http), { ca: certs.ca }, 'h1'), 202);
			assert.equal(await postTls(port(gateway.addresses.http), {}, 'h2'), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
			assert.equal(await grpcCode(port(gateway.addresses.grpc), credentials.createSsl(certs.ca), 'g1'), 0);
			assert.notEqual(await grpcCode(port(gateway.addresses.grpc), credentials.createInsecure(), 'g2'), 0);
			const started = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e['msg'] === 'polku-gateway started')!;
			assert.equal(started['tls'], 'server');
		} finally {
			await gateway.stop();
		}
	});

	it('with POLKU_TLS_CA, both inputs refuse clients without a certificate signed by it', async () => {
		const { gateway } = await start({ POLKU_TLS_CERT: certs.path('server.crt'), POLKU_TLS_KEY: certs.path('server.key'), POLKU_TLS_CA: certs.path('ca.crt') });
		try {
			const http = port(gateway.addresses.http);
			const grpc = port(gateway.addresses.grpc);
			assert.equal(await postTls(http, { ca: certs.ca, key: certs.clientKey, cert: certs.clientCert }, 'h1'), 202);
			assert.equal(typeof (await postTls(http, { ca: certs.ca }, 'h2')), 'string', 'HTTP without a client certificate');
			assert.equal(typeof (await postTls(http, { ca: certs.ca, key: certs.strangerKey, cert: certs.strangerCert }, 'h3')), 'string', 'HTTP with another CA’s');
			assert.equal(await grpcCode(grpc, credentials.createSsl(certs.ca, certs.clientKey, certs.clientCert), 'g1'), 0);
			assert.notEqual(await grpcCode(grpc, credentials.createSsl(certs.ca), 'g2'), 0, 'gRPC without a client certificate');
			assert.notEqual(await grpcCode(grpc, credentials.createSsl(certs.ca, certs.strangerKey, certs.strangerCert), 'g3'), 0, 'gRPC with another CA’s');
			assert.equal(gateway.hub.stats().received, 2, 'only the two clients with good certificates got in');
		} finally {
			await gateway.stop();
		}
	});

	it('rejects an unreadable file or a key that does not match with a ConfigError naming the variable', async () => {
		const fieldOf = async (env: Record<string, string>): Promise<string> => {
			try {
				const { gateway } = await start(env);
				await gateway.stop();
			} catch (error) {
				assert.ok(error instanceof ConfigError, String(error));
				return `${error.field}: ${error.message}`;
			}
			return 'no error';
		};
		assert.match(await fieldOf({ POLKU_TLS_CERT: certs.path('missing.crt'), POLKU_TLS_KEY: certs.path('server.key') }), /^POLKU_TLS_CERT: POLKU_TLS_CERT cannot be read \(ENOENT\)/);
		assert.match(await fieldOf({ POLKU_TLS_CERT: certs.path('server.crt'), POLKU_TLS_KEY: certs.path('client.key') }), /^POLKU_TLS_KEY: POLKU_TLS_KEY must be the private key of POLKU_TLS_CERT/);
		assert.match(await fieldOf({ POLKU_TLS_CERT: certs.path('server.crt'), POLKU_TLS_KEY: certs.path('server.key'), POLKU_TLS_CA: certs.path('server.key') }), /^POLKU_TLS_CA: POLKU_TLS_CA must be a PEM CA certificate/);
	});

	it('polku-gateway (the command) serves HTTPS with client certificates required', async () => {
		const child = spawn(process.execPath, ['--import', 'tsx', 'src/gateway/cli.ts'], {
			cwd: new URL('../../', import.meta.url).pathname,
			env: {
				PATH: process.env['PATH'] ?? '',
				POLKU_GRPC_ADDR: 'off',
				POLKU_HTTP_ADDR: '127.0.0.1:0',
				POLKU_METRICS_ADDR: 'off',
				POLKU_TLS_CERT: certs.path('server.crt'),
				POLKU_TLS_KEY: certs.path('server.key'),
				POLKU_TLS_CA: certs.path('ca.crt'),
			},
		});
		const exited = once(child, 'exit');
		try {
			let started: Record<string, unknown> | undefined;
			const stderr: string[] = [];
			for await (const line of createInterface({ input: child.stderr })) {
				stderr.push(line);
				const entry = JSON.parse(line) as Record<string, unknown>;
				if (entry['msg'] === 'polku-gateway started') {
					started = entry;
					break;
				}
			}
			assert.ok(started !== undefined, stderr.join('\n'));
			assert.equal(started['tls'], 'mutual');
			const http = port(started['http'] as string);
			assert.equal(await postTls(http, { ca: certs.ca, key: certs.clientKey, cert: certs.clientCert }, 'cli-1'), 202);
			assert.equal(typeof (await postTls(http, { ca: certs.ca }, 'cli-2')), 'string', 'refused without a client certificate');
		} finally {
			child.kill('SIGTERM');
			await exited;
		}
	});
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { credentials, Server, ServerCredentials, status } from '@grpc/grpc-js';
import { createMessage, Hub } from '../../src/index.js';
import { GrpcInput, GrpcOutput } from '../../src/adapters/grpc/index.js';
import { MemoryOutput } from '../../src/testing/index.js';
import { gatewayClient, health, rejectionOf, sendEvent, wireEvent } from './helpers.js';

async function advertisedWindow(port: number): Promise<number | undefined> {
	const session = http2.connect(`http://127.0.0.1:${port}`);
	await new Promise((resolve) => session.once('remoteSettings', resolve));
	const size = session.remoteSettings.initialWindowSize;
	session.close();
	return size;
}

async function withHub<T>(input: GrpcInput, fn: (output: MemoryOutput, hub: Hub) => Promise<T>): Promise<T> {
	const output = new MemoryOutput();
	const hub = Hub.builder().input(input).output(output).build();
	await hub.start();
	try {
		return await fn(output, hub);
	} finally {
		await hub.stop({ timeoutMs: 2000 });
	}
}

describe('GrpcInput HTTP/2 flow-control window', () => {
	it('advertises 4 MiB per stream by default, or flowControlWindow', async () => {
		const byDefault = new GrpcInput({ address: '127.0.0.1:0' });
		await withHub(byDefault, async () => assert.equal(await advertisedWindow((await byDefault.ready).port), 4 << 20));
		const small = new GrpcInput({ address: '127.0.0.1:0', flowControlWindow: 65_535 });
		await withHub(small, async () => assert.equal(await advertisedWindow((await small.ready).port), 65_535));
	});
});

describe('GrpcInput on your own server', () => {
	it('adds the service to it, and removes it on stop without touching the server', async () => {
		const server = new Server();
		const port = await new Promise<number>((resolve, reject) =>
			server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
		);
		const input = new GrpcInput({ server });
		const client = gatewayClient(port);
		try {
			await withHub(input, async (output) => {
				assert.deepEqual(await input.ready, { port: 0, address: '' });
				assert.deepEqual((await sendEvent(client, { event: wireEvent('own-1') })).event_ids, ['own-1']);
				await output.waitFor(1);
			});
			const error = await rejectionOf(health(client));
			assert.equal(error.code, status.UNIMPLEMENTED);
		} finally {
			client.close();
			server.forceShutdown();
		}
	});
});

const openssl = spawnSync('openssl', ['version']).status === 0;

describe('TLS', { skip: openssl ? false : 'skipped: openssl is needed to make a test certificate' }, () => {
	it('GrpcInput serves and GrpcOutput sends over TLS', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'polku-tls-'));
		try {
			const made = spawnSync('openssl', [
				'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
				'-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
				'-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
			], { encoding: 'utf8' });
			assert.equal(made.status, 0, made.stderr);
			const cert = readFileSync(join(dir, 'cert.pem'));
			const key = readFileSync(join(dir, 'key.pem'));
			const input = new GrpcInput({ address: '127.0.0.1:0', credentials: ServerCredentials.createSsl(null, [{ private_key: key, cert_chain: cert }]) });
			await withHub(input, async (output) => {
				const { port } = await input.ready;
				const out = new GrpcOutput({
					endpoints: [`127.0.0.1:${port}`],
					credentials: credentials.createSsl(cert),
					channelOptions: { 'grpc.ssl_target_name_override': 'localhost' },
				});
				const plain = new GrpcOutput({ endpoints: [`127.0.0.1:${port}`], timeoutMs: 2000 });
				try {
					await out.send([createMessage({ id: 'tls-1', source: 's', messageType: 't' })]);
					await output.waitFor(1);
					assert.equal(output.messages[0]!.id, 'tls-1');
					await assert.rejects(plain.send([createMessage({ id: 'clear', source: 's', messageType: 't' })]));
				} finally {
					await out.close();
					await plain.close();
				}
			});
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});

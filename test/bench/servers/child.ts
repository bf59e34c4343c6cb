// Servers for the benchmarks, each in a child process of its own (so the server's work does not share the
// event loop under measurement): s3rver, and an HTTP sink that drains request bodies and answers 200.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const S3RVER = `
import S3rver from 's3rver';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const directory = mkdtempSync(join(tmpdir(), 'polku-bench-s3rver-'));
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, resetOnClose: true });
const { port } = await server.run();
console.log(port);
process.on('SIGTERM', async () => { await server.close(); rmSync(directory, { recursive: true, force: true }); process.exit(0); });
`;

const SINK = `
import { createServer } from 'node:http';
const server = createServer((req, res) => {
	req.on('data', () => {});
	req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 }).end());
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.on('SIGTERM', () => process.exit(0));
`;

export interface ChildServer {
	readonly port: number;
	stop(): Promise<void>;
}

async function start(source: string): Promise<ChildServer> {
	const child: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', source], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
	const line = await new Promise<string>((resolve, reject) => {
		createInterface({ input: child.stdout! }).once('line', resolve);
		child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
	});
	return {
		port: Number(line),
		stop: () =>
			new Promise((resolve) => {
				child.once('exit', () => resolve());
				child.kill('SIGTERM');
			}),
	};
}

/** s3rver on 127.0.0.1 in a child process. */
export const startS3rver = (): Promise<ChildServer> => start(S3RVER);

/** An HTTP server that drains every body and answers 200 (an OTLP collector that accepts everything). */
export const startSink = (): Promise<ChildServer> => start(SINK);

import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebhookOutput } from '../../src/adapters/http/index.js';
import { fromJsonEvent, parseJsonExact } from '../../src/index.js';
import { ConfigError, OutputError } from '../../src/errors.js';
import { Hub } from '../../src/hub/hub.js';
import { createMessage } from '../../src/message/message.js';
import { MemoryInput, MemoryOutput } from '../../src/testing/index.js';

interface Received {
	readonly headers: IncomingMessage['headers'];
	readonly body: string;
}

/** A local receiver whose answer the test sets. */
class Receiver {
	readonly requests: Received[] = [];
	respond: (res: ServerResponse, n: number) => void = (res) => res.writeHead(204).end();
	readonly #server: Server;
	port = 0;

	constructor() {
		this.#server = createServer((req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (c: Buffer) => chunks.push(c));
			req.on('end', () => {
				this.requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
				this.respond(res, this.requests.length);
			});
		});
	}

	async start(): Promise<void> {
		await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
		this.port = (this.#server.address() as AddressInfo).port;
	}

	stop(): Promise<void> {
		this.#server.closeAllConnections();
		return new Promise((resolve) => this.#server.close(() => resolve()));
	}

	get url(): string {
		return `http://127.0.0.1:${this.port}/hook`;
	}
}

/** Rejects if `promise` takes longer than `ms` (a test must fail, not hang). */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms)));
	return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

const messages = [
	createMessage({ id: 'a', timestamp: 1764216000123456789n, source: 's', messageType: 't', metadata: { k: 'v' }, payload: '{"n":1}' }),
	createMessage({ id: 'b', source: 's', messageType: 'u', payload: new Uint8Array([0, 255]), routeTo: ['hook'] }),
];

describe('WebhookOutput', () => {
	const receiver = new Receiver();
	before(() => receiver.start());
	after(() => receiver.stop());

	it('POSTs a batch as a JSON array of the POLKU JSON event form', async () => {
		const out = new WebhookOutput({ url: receiver.url, headers: { authorization: 'Bearer t' } });
		try {
			await out.send(messages);
			const req = receiver.requests.at(-1)!;
			assert.equal(req.headers['content-type'], 'application/json');
			assert.equal(req.headers.authorization, 'Bearer t');
			assert.equal(req.headers.connection, 'keep-alive');
			const events = parseJsonExact(req.body) as unknown[];
			assert.equal(events.length, 2);
			const back = events.map((e) => fromJsonEvent(e, { source: '?' }));
			assert.deepEqual(back.map((m) => [m.id, m.timestamp, Buffer.from(m.payload).toString('hex')]), [
				['a', 1764216000123456789n, Buffer.from('{"n":1}').toString('hex')],
				['b', messages[1]!.timestamp, '00ff'],
			]);
			assert.deepEqual(back[1]!.routeTo, ['hook']);
			assert.equal(out.health(), true);
		} finally {
			await out.close();
		}
	});

	it('POSTs NDJSON, one event per line, with json payloads embedded', async () => {
		const out = new WebhookOutput({ url: receiver.url, format: 'ndjson', payloadEncoding: 'json' });
		try {
			await out.send(messages);
			const req = receiver.requests.at(-1)!;
			assert.equal(req.headers['content-type'], 'application/x-ndjson');
			const lines = req.body.split('\n');
			assert.equal(lines.length, 3);
			assert.equal(lines[2], '');
			assert.deepEqual(JSON.parse(lines[0]!).payload, { n: 1 });
			assert.equal(JSON.parse(lines[1]!).payload, 'AP8=', 'bytes that are not JSON stay base64');
		} finally {
			await out.close();
		}
	});

	it('fails a non-2xx answer with the status and a body excerpt', async () => {
		receiver.respond = (res) => res.writeHead(503, { 'content-type': 'text/plain' }).end(`overloaded\n${'x'.repeat(1000)}`);
		const out = new WebhookOutput({ url: receiver.url, name: 'hook' });
		try {
			await assert.rejects(out.send(messages), (error: unknown) => {
				assert.ok(error instanceof OutputError);
				assert.equal(error.output, 'hook');
				assert.match(error.message, /answered 503 Service Unavailable: overloaded x+…$/);
				assert.ok(error.message.length < 400);
				return true;
			});
			assert.equal(out.health(), false);
			receiver.respond = (res) => res.writeHead(200).end('ok');
			await out.send(messages);
			assert.equal(out.health(), true);
		} finally {
			receiver.respond = (res) => res.writeHead(204).end();
			await out.close();
		}
	});

	it('aborts a request that takes longer than timeoutMs', async () => {
		const held: ServerResponse[] = [];
		receiver.respond = (res) => held.push(res);
		const out = new WebhookOutput({ url: receiver.url, timeoutMs: 30 });
		try {
			await assert.rejects(out.send(messages), (error: unknown) => error instanceof OutputError && /timed out after 30 ms/.test(error.message));
		} finally {
			for (const res of held) res.end();
			receiver.respond = (res) => res.writeHead(204).end();
			await out.close();
		}
	});

	it("aborts the request when the hub's signal aborts (the send was given up)", async () => {
		const held: ServerResponse[] = [];
		receiver.respond = (res) => held.push(res);
		const out = new WebhookOutput({ url: receiver.url, timeoutMs: 60_000 });
		try {
			const controller = new AbortController();
			const sending = out.send(messages, controller.signal);
			while (held.length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
			controller.abort();
			await assert.rejects(sending, (error: unknown) => error instanceof OutputError && /abandoned by the hub/.test(error.message));
		} finally {
			for (const res of held) res.end();
			receiver.respond = (res) => res.writeHead(204).end();
			await out.close();
		}
	});

	for (const status of [200, 500]) {
		it(`fails a send whose ${status} answer is cut after its headers (the connection drops mid-body)`, async () => {
			receiver.respond = (res) => {
				res.writeHead(status, { 'content-type': 'text/plain' });
				res.write('partial');
				setTimeout(() => res.socket?.destroy(), 10);
			};
			const out = new WebhookOutput({ url: receiver.url, timeoutMs: 60_000 });
			try {
				await within(
					assert.rejects(out.send(messages), (error: unknown) => error instanceof OutputError && /answered \d+ but the response was cut off/.test(error.message)),
					3000,
				);
				assert.equal(out.health(), false);
			} finally {
				receiver.respond = (res) => res.writeHead(204).end();
				await out.close();
			}
		});
	}

	it('times out a send whose answer stalls after its headers (timeoutMs covers the response body)', async () => {
		const held: ServerResponse[] = [];
		receiver.respond = (res) => {
			res.writeHead(200, { 'content-type': 'text/plain' });
			res.write('partial');
			held.push(res);
		};
		const out = new WebhookOutput({ url: receiver.url, timeoutMs: 50 });
		try {
			await within(assert.rejects(out.send(messages), (error: unknown) => error instanceof OutputError && /timed out after 50 ms/.test(error.message)), 3000);
		} finally {
			for (const res of held) res.end();
			receiver.respond = (res) => res.writeHead(204).end();
			await out.close();
		}
	});

	it("aborts a send whose answer stalls after its headers when the hub's signal aborts", async () => {
		const held: ServerResponse[] = [];
		receiver.respond = (res) => {
			res.writeHead(503);
			res.write('partial');
			held.push(res);
		};
		const out = new WebhookOutput({ url: receiver.url, timeoutMs: 60_000 });
		try {
			const controller = new AbortController();
			const sending = out.send(messages, controller.signal);
			while (held.length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
			await new Promise((resolve) => setTimeout(resolve, 20));
			controller.abort();
			await within(assert.rejects(sending, (error: unknown) => error instanceof OutputError && /abandoned by the hub/.test(error.message)), 3000);
		} finally {
			for (const res of held) res.end();
			receiver.respond = (res) => res.writeHead(204).end();
			await out.close();
		}
	});

	it('fails when nothing listens', async () => {
		const out = new WebhookOutput({ url: 'http://127.0.0.1:1/hook' });
		await assert.rejects(out.send(messages), (error: unknown) => error instanceof OutputError && /ECONNREFUSED/.test(error.message));
		await out.close();
	});

	it('through a Hub: retried by the hub, then dead-lettered', async () => {
		const before = receiver.requests.length;
		receiver.respond = (res, n) => res.writeHead((n - before) % 2 === 1 ? 500 : 204).end();
		const input = new MemoryInput();
		const dlq = new MemoryOutput({ name: 'dlq' });
		const hook = new WebhookOutput({ url: receiver.url, name: 'hook' });
		const hub = Hub.builder()
			.input(input)
			.output(hook, { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1, jitter: 0 }, deadLetter: 'dlq' })
			.deadLetter(dlq)
			.build();
		const retries: number[] = [];
		hub.on('retry', (e) => retries.push(e.attempt));
		await hub.start();
		try {
			// the receiver alternates 500 / 204: the first try fails, the retry succeeds
			const flushed = new Promise((resolve) => hub.once('flush', resolve));
			await input.push({ source: 's', messageType: 'first' });
			await flushed;
			assert.deepEqual(retries, [1]);
			receiver.respond = (res) => res.writeHead(500).end('down');
			await input.push({ source: 's', messageType: 'second' });
			await dlq.waitFor(1);
			assert.equal(dlq.messages[0]!.messageType, 'second');
			assert.match(dlq.messages[0]!.metadata['polku.dlq.error']!, /answered 500/);
			assert.equal(receiver.requests.length - before, 4);
		} finally {
			await hub.stop();
			receiver.respond = (res) => res.writeHead(204).end();
		}
	});

	it('rejects bad options with a ConfigError naming the option', () => {
		for (const [options, field] of [
			[{ url: 'not a url' }, 'url'],
			[{ url: 'ftp://x/' }, 'url'],
			[{ url: 'http://x/', format: 'xml' }, 'format'],
			[{ url: 'http://x/', payloadEncoding: 'hex' }, 'payloadEncoding'],
			[{ url: 'http://x/', timeoutMs: 0 }, 'timeoutMs'],
			[{ url: 'http://x/', headers: { a: 1 } }, 'headers'],
		] as const) {
			assert.throws(
				() => new WebhookOutput(options as never),
				(error: unknown) => error instanceof ConfigError && error.field.endsWith(`.${field}`),
				field,
			);
		}
	});
});

import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { checkInteger, checkNumber, ConfigError, OutputError, PAYLOAD_ENCODINGS, toJsonEvent, type Message, type Output, type PayloadEncoding } from '../../index.js';

const EXCERPT_BYTES = 256;

/**
 * Options of {@link WebhookOutput}.
 *
 * @example
 * ```ts
 * new WebhookOutput({
 *   url: 'https://hooks.example.test/polku',
 *   format: 'ndjson',
 *   headers: { authorization: `Bearer ${process.env.HOOK_TOKEN}` },
 *   timeoutMs: 5_000,
 *   payloadEncoding: 'json',
 * });
 * ```
 */
export interface WebhookOutputOptions {
	/** Where to POST batches (http or https). */
	readonly url: string | URL;
	/** @default 'webhook' */
	readonly name?: string;
	/** A batch as one JSON array, or as NDJSON (one event per line). @default 'json' */
	readonly format?: 'json' | 'ndjson';
	/** Extra request headers (e.g. authorization). */
	readonly headers?: Readonly<Record<string, string>>;
	/** How long a request may take, the whole response body included, before it is aborted (a failed send). @default 10000 */
	readonly timeoutMs?: number;
	/** How payloads are written (see {@link PayloadEncoding}). @default 'base64' */
	readonly payloadEncoding?: PayloadEncoding;
	/** Keep-alive connections kept open to the endpoint. @default 4 */
	readonly maxSockets?: number;
}

/**
 * An output that POSTs each batch to a URL, as a JSON array or NDJSON of the
 * POLKU JSON event form (the form `HttpInput` reads, so two polku gateways can
 * be chained over HTTP). A non-2xx status is a failed send whose error names
 * the status and a short excerpt of the response body; a request that takes
 * longer than `timeoutMs` (until the last byte of the response) is aborted and
 * fails, and so is one whose connection drops after the response headers. Retries and dead-lettering
 * come from the hub's per-output options. Uses `node:http(s)` with a
 * keep-alive agent that `close()` releases.
 *
 * @example
 * ```ts
 * import { Hub } from 'polku';
 * import { WebhookOutput } from 'polku/http';
 *
 * const hook = new WebhookOutput({ url: 'http://127.0.0.1:9000/ingest', format: 'ndjson', timeoutMs: 2_000 });
 * const hub = Hub.builder()
 *   .input(input)
 *   .output(hook, { batchSize: 200, retry: { attempts: 5 }, deadLetter: 'dlq' })
 *   .deadLetter(dlq)
 *   .build();
 * ```
 */
export class WebhookOutput implements Output {
	readonly name: string;
	readonly #url: URL;
	readonly #ndjson: boolean;
	readonly #headers: Readonly<Record<string, string>>;
	readonly #timeoutMs: number;
	readonly #encoding: PayloadEncoding;
	readonly #agent: HttpAgent;
	readonly #request: typeof httpRequest;
	#lastFailed = false;

	/** @param options - See {@link WebhookOutputOptions}; throws `ConfigError` naming a bad option. */
	constructor(options: WebhookOutputOptions) {
		if (options === null || typeof options !== 'object') throw new ConfigError('WebhookOutput options', 'must be an object with a url');
		const name = options.name ?? 'webhook';
		if (typeof name !== 'string' || name.length === 0) throw new ConfigError('WebhookOutput.name', 'must be a non-empty string');
		const field = (key: string): string => `WebhookOutput "${name}".${key}`;
		let url: URL;
		try {
			url = new URL(options.url);
		} catch {
			throw new ConfigError(field('url'), `must be an absolute http(s) URL, got ${JSON.stringify(String(options.url))}`);
		}
		if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(field('url'), `must be http: or https:, got ${url.protocol}`);
		const format = options.format ?? 'json';
		if (format !== 'json' && format !== 'ndjson') throw new ConfigError(field('format'), `must be json or ndjson, got ${String(format)}`);
		const encoding = options.payloadEncoding ?? 'base64';
		if (!PAYLOAD_ENCODINGS.includes(encoding)) throw new ConfigError(field('payloadEncoding'), `must be one of ${PAYLOAD_ENCODINGS.join(', ')}, got ${String(encoding)}`);
		const headers = options.headers ?? {};
		if (headers === null || typeof headers !== 'object' || Object.values(headers).some((v) => typeof v !== 'string')) {
			throw new ConfigError(field('headers'), 'must be an object of strings');
		}
		this.name = name;
		this.#url = url;
		this.#ndjson = format === 'ndjson';
		this.#headers = { 'user-agent': 'polku', ...headers, 'content-type': this.#ndjson ? 'application/x-ndjson' : 'application/json' };
		this.#timeoutMs = checkNumber(field('timeoutMs'), options.timeoutMs ?? 10_000, 1, 2 ** 31 - 1);
		this.#encoding = encoding;
		const maxSockets = checkInteger(field('maxSockets'), options.maxSockets ?? 4, 1);
		const https = url.protocol === 'https:';
		this.#agent = https ? new HttpsAgent({ keepAlive: true, maxSockets }) : new HttpAgent({ keepAlive: true, maxSockets });
		this.#request = https ? (httpsRequest as typeof httpRequest) : httpRequest;
	}

	/**
	 * POSTs one batch; rejects with an `OutputError` on a non-2xx status, a
	 * network error or a timeout. The request is aborted when `signal` aborts
	 * (the hub gave up on the send).
	 */
	send(batch: readonly Message[], signal?: AbortSignal): Promise<void> {
		if (signal?.aborted === true) return Promise.reject(new OutputError(this.name, `POST ${this.#url.origin} was abandoned by the hub before it started`));
		const body = Buffer.from(this.#encode(batch), 'utf8');
		return new Promise<void>((resolve, reject) => {
			const abort = new AbortController();
			const timer = setTimeout(() => abort.abort(), this.#timeoutMs);
			const giveUp = (): void => abort.abort();
			signal?.addEventListener('abort', giveUp, { once: true });
			const done = (error: OutputError | undefined): void => {
				clearTimeout(timer);
				signal?.removeEventListener('abort', giveUp);
				this.#lastFailed = error !== undefined;
				if (error === undefined) resolve();
				else reject(error);
			};
			let settled = false;
			const fail = (error: Error, status?: number): void => {
				if (settled) return;
				settled = true;
				const cut = status === undefined ? 'failed' : `answered ${status} but the response was cut off`;
				const why = signal?.aborted === true ? 'was abandoned by the hub' : abort.signal.aborted ? `timed out after ${this.#timeoutMs} ms` : `${cut}: ${error.message}`;
				done(new OutputError(this.name, `POST ${this.#url.origin} ${why}`, { cause: error }));
			};
			const request = this.#request(
				this.#url,
				{ method: 'POST', agent: this.#agent, signal: abort.signal, headers: { ...this.#headers, 'content-length': body.length } },
				(response) => {
					// Headers came; the body may still stall or be cut: the timeout and the signal cover it too.
					const status = response.statusCode ?? 0;
					const cutOff = (error?: Error): void => fail(error ?? new Error('connection closed before the response ended'), status);
					response.on('error', cutOff);
					response.on('close', () => {
						if (!response.complete) cutOff();
					});
					abort.signal.addEventListener('abort', () => response.destroy(), { once: true });
					this.#onResponse(response, (error) => {
						if (settled) return;
						settled = true;
						done(error);
					});
				},
			);
			request.on('error', (error: Error) => fail(error));
			request.end(body);
		});
	}

	/** False after a failed send, until one succeeds. */
	health(): boolean {
		return !this.#lastFailed;
	}

	/** Closes the keep-alive connections. */
	async close(): Promise<void> {
		this.#agent.destroy();
	}

	#encode(batch: readonly Message[]): string {
		const encoding = this.#encoding;
		let out = this.#ndjson ? '' : '[';
		for (let i = 0; i < batch.length; i++) {
			if (this.#ndjson) out += toJsonEvent(batch[i]!, encoding) + '\n';
			else out += (i === 0 ? '' : ',') + toJsonEvent(batch[i]!, encoding);
		}
		return this.#ndjson ? out : out + ']';
	}

	#onResponse(response: IncomingMessage, done: (error: OutputError | undefined) => void): void {
		const status = response.statusCode ?? 0;
		if (status >= 200 && status < 300) {
			response.on('end', () => done(undefined));
			response.resume();
			return;
		}
		const chunks: Buffer[] = [];
		let size = 0;
		response.on('data', (chunk: Buffer) => {
			if (size < EXCERPT_BYTES) chunks.push(chunk);
			size += chunk.length;
		});
		response.on('end', () => {
			const text = Buffer.concat(chunks).toString('utf8', 0, EXCERPT_BYTES).replace(/\s+/g, ' ').trim();
			const excerpt = text === '' ? '' : `: ${text}${size > EXCERPT_BYTES ? '…' : ''}`;
			done(new OutputError(this.name, `POST ${this.#url.origin} answered ${status} ${response.statusMessage ?? ''}`.trimEnd() + excerpt));
		});
	}
}

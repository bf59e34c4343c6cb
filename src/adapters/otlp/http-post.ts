import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { OtlpTlsOptions } from './otlp-output-options.js';

/** A collector's answer. */
export interface PostResult {
	readonly status: number;
	readonly headers: IncomingHttpHeaders;
	/** The body, up to `MAX_RESPONSE_BYTES`. */
	readonly body: Buffer;
}

/** Why a request got no answer. */
export class PostFailure extends Error {
	readonly timedOut: boolean;
	readonly abandoned: boolean;

	constructor(message: string, timedOut: boolean, abandoned: boolean, cause: unknown) {
		super(message, { cause });
		this.timedOut = timedOut;
		this.abandoned = abandoned;
	}
}

const MAX_RESPONSE_BYTES = 1024 * 1024;

/** POSTs bodies over keep-alive connections (one agent per scheme). */
export class HttpPoster {
	readonly #timeoutMs: number;
	readonly #http: HttpAgent;
	readonly #https: HttpsAgent;

	constructor(maxSockets: number, timeoutMs: number, tls: OtlpTlsOptions | undefined) {
		this.#timeoutMs = timeoutMs;
		this.#http = new HttpAgent({ keepAlive: true, maxSockets });
		const pem = (value: string | Uint8Array): string | Buffer => (typeof value === 'string' ? value : Buffer.from(value));
		const ca = tls?.ca === undefined ? undefined : Array.isArray(tls.ca) ? tls.ca.map(pem) : pem(tls.ca as string | Uint8Array);
		this.#https = new HttpsAgent({
			keepAlive: true,
			maxSockets,
			...(ca === undefined ? {} : { ca }),
			...(tls?.cert === undefined ? {} : { cert: pem(tls.cert) }),
			...(tls?.key === undefined ? {} : { key: pem(tls.key) }),
			...(tls?.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: tls.rejectUnauthorized }),
		});
	}

	/** Resolves with any answer (every status); rejects with {@link PostFailure} when there is none. */
	post(url: URL, body: Buffer, headers: OutgoingHttpHeaders, signal: AbortSignal | undefined): Promise<PostResult> {
		if (signal?.aborted === true) return Promise.reject(new PostFailure('was abandoned by the hub', false, true, signal.reason));
		return new Promise<PostResult>((resolve, reject) => {
			const abort = new AbortController();
			const timer = setTimeout(() => abort.abort(), this.#timeoutMs);
			const giveUp = (): void => abort.abort();
			signal?.addEventListener('abort', giveUp, { once: true });
			const cleanup = (): void => {
				clearTimeout(timer);
				signal?.removeEventListener('abort', giveUp);
			};
			const https = url.protocol === 'https:';
			const send = https ? (httpsRequest as typeof httpRequest) : httpRequest;
			const request = send(
				url,
				{ method: 'POST', agent: https ? this.#https : this.#http, signal: abort.signal, headers: { ...headers, 'content-length': body.length } },
				(response) => {
					const chunks: Buffer[] = [];
					let size = 0;
					response.on('data', (chunk: Buffer) => {
						if (size < MAX_RESPONSE_BYTES) chunks.push(chunk);
						size += chunk.length;
					});
					response.on('end', () => {
						cleanup();
						resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) });
					});
					response.on('error', (error: Error) => fail(error));
				},
			);
			const fail = (error: Error): void => {
				cleanup();
				const abandoned = signal?.aborted === true;
				const timedOut = !abandoned && abort.signal.aborted;
				const why = abandoned ? 'was abandoned by the hub' : timedOut ? `timed out after ${this.#timeoutMs} ms` : `failed: ${error.message}`;
				reject(new PostFailure(why, timedOut, abandoned, error));
			};
			request.on('error', fail);
			request.end(body);
		});
	}

	close(): void {
		this.#http.destroy();
		this.#https.destroy();
	}
}

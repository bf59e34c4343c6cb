import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { toError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { encodeExportResponse, encodeExportResponseJson, encodeStatus, encodeStatusJson } from './codec/responses.js';

/** gRPC status codes used in `google.rpc.Status` bodies, by HTTP status. */
const RPC_CODES: Readonly<Record<number, number>> = { 400: 3, 401: 16, 404: 5, 405: 12, 413: 8, 415: 3, 429: 8, 500: 13, 503: 14 };

/**
 * Writes the OTLP/HTTP responses, in the request's encoding (protobuf or
 * JSON): `Export*ServiceResponse` on success, `google.rpc.Status` on failure;
 * counts them by status.
 */
export class OtlpReplies {
	readonly counts: Record<string, number> = Object.create(null) as Record<string, number>;
	/** While true, every response closes its connection. */
	closing = false;
	readonly #input: string;
	readonly #logger: Logger;
	readonly #retryAfter: string;

	constructor(input: string, logger: Logger, retryAfter: string) {
		this.#input = input;
		this.#logger = logger;
		this.#retryAfter = retryAfter;
	}

	#send(response: ServerResponse, status: number, json: boolean, body: Buffer | string, headers?: OutgoingHttpHeaders): void {
		if (response.headersSent || response.destroyed) return;
		this.counts[status] = (this.counts[status] ?? 0) + 1;
		const all: OutgoingHttpHeaders = {
			'content-type': json ? 'application/json' : 'application/x-protobuf',
			'content-length': typeof body === 'string' ? Buffer.byteLength(body) : body.length,
			...headers,
		};
		if (this.closing) all['connection'] = 'close';
		response.writeHead(status, all).end(body);
	}

	/** 200 with an `Export*ServiceResponse` (a partial-success `message` when not empty). */
	success(response: ServerResponse, json: boolean, message = ''): void {
		this.#send(response, 200, json, json ? encodeExportResponseJson(message) : encodeExportResponse(message));
	}

	/** An error status with a `google.rpc.Status`; logged at debug (4xx) or warn (5xx). */
	error(response: ServerResponse, json: boolean, status: number, message: string, headers?: OutgoingHttpHeaders): void {
		if (status >= 500) this.#logger.warn({ input: this.#input, status }, `polku otlp input: ${message}`);
		else this.#logger.debug({ input: this.#input, status }, `polku otlp input: ${message}`);
		const code = RPC_CODES[status] ?? 2;
		this.#send(response, status, json, json ? encodeStatusJson(code, message) : encodeStatus(code, message), headers);
	}

	/** 429 / 503 with `Retry-After`: the client should send the request again later. */
	retryLater(response: ServerResponse, json: boolean, status: 429 | 503, message: string): void {
		this.error(response, json, status, message, { 'retry-after': this.#retryAfter });
	}

	unavailable(response: ServerResponse, json: boolean): void {
		this.error(response, json, 503, `the input is ${this.closing ? 'shutting down' : 'not running'}`, { 'retry-after': this.#retryAfter, connection: 'close' });
	}

	/** 500 for an unexpected failure (logged with the error). */
	fail(response: ServerResponse, json: boolean, error: unknown): void {
		this.#logger.error({ input: this.#input, err: toError(error) }, 'polku otlp input: request failed');
		this.error(response, json, 500, 'internal error');
	}
}

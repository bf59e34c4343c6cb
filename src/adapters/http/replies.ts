import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { toError, type Logger } from '../../index.js';
import type { AuthResult } from './auth.js';

const JSON_TYPE = 'application/json';

/** Writes the input's JSON responses and counts them by status. */
export class Replies {
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

	/** Sends `body` (JSON text); a no-op once the response has started or the client left. */
	json(response: ServerResponse, status: number, body: string, headers?: OutgoingHttpHeaders): void {
		if (response.headersSent || response.destroyed) return;
		this.counts[status] = (this.counts[status] ?? 0) + 1;
		const all: OutgoingHttpHeaders = { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body), ...headers };
		if (this.closing) all['connection'] = 'close';
		response.writeHead(status, all).end(body);
	}

	/** `{ error: code, message }`, logged at debug (4xx) or warn (5xx). */
	error(response: ServerResponse, status: number, code: string, message: string, headers?: OutgoingHttpHeaders): void {
		if (status >= 500) this.#logger.warn({ input: this.#input, status, code }, `polku http input: ${message}`);
		else this.#logger.debug({ input: this.#input, status, code }, `polku http input: ${message}`);
		this.json(response, status, JSON.stringify({ error: code, message }), headers);
	}

	/** A response the client should retry later (429 / 503). */
	retryLater(response: ServerResponse, status: number, body: string): void {
		this.json(response, status, body, { 'retry-after': this.#retryAfter });
	}

	methodNotAllowed(response: ServerResponse, allow: string): void {
		this.error(response, 405, 'method-not-allowed', `use ${allow}`, { allow });
	}

	unavailable(response: ServerResponse): void {
		const message = this.closing ? 'shutting down' : 'not running';
		this.error(response, 503, 'unavailable', `the input is ${message}`, { 'retry-after': this.#retryAfter, connection: 'close' });
	}

	unauthorized(response: ServerResponse, result: AuthResult): void {
		const challenge = result === 'missing' ? 'Bearer realm="polku"' : 'Bearer realm="polku", error="invalid_token"';
		const message = result === 'missing' ? 'a bearer token is required' : 'the bearer token is not valid';
		this.error(response, 401, 'unauthorized', message, { 'www-authenticate': challenge });
	}

	badSignature(response: ServerResponse, header: string): void {
		this.error(response, 401, 'invalid-signature', `missing or wrong ${header} signature`, { 'www-authenticate': `HMAC-SHA256 header="${header}"` });
	}

	tooLarge(response: ServerResponse, limit: number): void {
		this.error(response, 413, 'payload-too-large', `the body exceeds ${limit} bytes`, { connection: 'close' });
	}

	unsupportedType(response: ServerResponse, type: string | undefined, accepted: string): void {
		const got = type === undefined ? '(none)' : JSON.stringify(type);
		this.error(response, 415, 'unsupported-media-type', `content type ${got} is not accepted; use ${accepted}`, { 'accept-post': accepted });
	}

	/** 500 for an unexpected failure (logged with the error). */
	fail(response: ServerResponse, error: unknown): void {
		this.#logger.error({ input: this.#input, err: toError(error) }, 'polku http input: request failed');
		this.error(response, 500, 'internal', 'internal error');
	}
}

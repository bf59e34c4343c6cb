import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { toError, type Logger } from '../../index.js';
import type { AuthResult } from './auth.js';
import { endAfterBody, hasUnreadBody } from './discard-body.js';

const JSON_TYPE = 'application/json';

/** Writes the input's JSON responses and counts them by status. */
export class Replies {
	readonly counts: Record<string, number> = Object.create(null) as Record<string, number>;
	/** While true, every response closes its connection. */
	closing = false;
	/** Answers whose connection waits for the rest of a refused body: ends them now. */
	readonly #draining = new Set<() => void>();
	readonly #input: string;
	readonly #logger: Logger;
	readonly #retryAfter: string;

	constructor(input: string, logger: Logger, retryAfter: string) {
		this.#input = input;
		this.#logger = logger;
		this.#retryAfter = retryAfter;
	}

	/**
	 * Sends `body` (JSON text); a no-op once the response has started or the
	 * client left. An answer given before the request's body was read (401,
	 * 413, 415, …) closes the connection, after reading and discarding the rest
	 * of the body (bounded, see `endAfterBody`) so the client gets the answer
	 * rather than a reset.
	 */
	json(response: ServerResponse, status: number, body: string, headers?: OutgoingHttpHeaders): void {
		if (response.headersSent || response.destroyed) return;
		this.counts[status] = (this.counts[status] ?? 0) + 1;
		const all: OutgoingHttpHeaders = { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body), ...headers };
		const request = response.req as IncomingMessage | undefined;
		const unread = request !== undefined && hasUnreadBody(request);
		if (this.closing || unread) all['connection'] = 'close';
		response.writeHead(status, all);
		if (!unread || this.closing) {
			response.end(body);
			return;
		}
		response.write(body);
		const end = endAfterBody(request, response);
		this.#draining.add(end);
		response.once('close', () => this.#draining.delete(end));
	}

	/** Ends every answer still reading a refused body (shutdown). */
	endDraining(): void {
		for (const end of [...this.#draining]) end();
		this.#draining.clear();
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

	tooManyEvents(response: ServerResponse, limit: number): void {
		this.error(response, 413, 'too-many-events', `the body holds more than ${limit} events; send at most ${limit} per request (maxEventsPerRequest)`);
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

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { Server as TlsServer } from 'node:tls';
import { JsonEventError, parseJsonEvents, toError, type BatchOutcome, type DeliveryBatchOutcome, type Input, type Message, type Sink } from '../../index.js';
import { AdmissionDeadlines, TIMED_OUT } from './admission-deadlines.js';
import { readBody } from './body-reader.js';
import { bodyKind, isJsonType, isNdjsonType, mediaType } from './content-type.js';
import { resolveHttpInputOptions, type HttpInputOptions, type ResolvedHttpInputOptions } from './http-input-options.js';
import { deliverReply, sendReply, type IngestReply } from './ingest-result.js';
import { listen, listening } from './listen.js';
import { Replies } from './replies.js';
import { matchRoute, rawMessage, requestSource, type Route } from './request-route.js';
import { Withdrawal } from './withdrawal.js';

type EventsRoute = Extract<Route, { kind: 'events' }>;

/**
 * Counters of an {@link HttpInput}.
 *
 * @example
 * ```ts
 * const { requests, messages, responses } = input.stats();
 * console.log(`${messages} events in ${requests} requests; ${responses['400'] ?? 0} bad requests`);
 * ```
 */
export interface HttpInputStats {
	/** Requests received. */
	readonly requests: number;
	/** Events handed to the hub. */
	readonly messages: number;
	/** Body bytes read. */
	readonly bodyBytes: number;
	/** Responses by status code. */
	readonly responses: Readonly<Record<string, number>>;
}

/**
 * An HTTP input on `node:http`: `POST {path}events` takes a JSON event, a JSON
 * array of events or NDJSON (the POLKU JSON event form), or a raw body (any
 * allowed media type) that becomes one message; `POST {path}events/:source[/:type]`
 * always takes the body as one raw payload (webhooks); `GET {path}health`
 * reports the input and buffer. Each request is one `sendBatch` (or
 * `deliverBatch` with `ackAfterDelivery`).
 *
 * Statuses: 202 accepted (200 with `ackAfterDelivery`); 207 some events dropped
 * (rejected, unroutable, …; the body lists them); 400 malformed (the body
 * names the field, index or line); 401 bad token or signature; 404 / 405;
 * 413 body over `maxBodyBytes` or more events than `maxEventsPerRequest`;
 * 415 media type; 429 events dropped for overflow; 503 buffer still full
 * after `backpressureTimeoutMs`, or shutting down (with `Retry-After`). The
 * body of a 207 / 429 / 503 counts the refused events by code and lists the
 * first 100 (`MAX_LISTED_ERRORS`).
 *
 * @example
 * ```ts
 * import { Hub } from 'polku';
 * import { HttpInput } from 'polku/http';
 * import { MemoryOutput } from 'polku/testing';
 *
 * const input = new HttpInput({ address: '127.0.0.1:0', auth: 'secret-token' });
 * const hub = Hub.builder().input(input).output(new MemoryOutput()).build();
 * await hub.start();
 * const { port } = await input.ready;
 * await fetch(`http://127.0.0.1:${port}/events`, {
 *   method: 'POST',
 *   headers: { authorization: 'Bearer secret-token', 'content-type': 'application/json' },
 *   body: JSON.stringify({ source: 'web', event_type: 'signup', payload: btoa('{"user":7}') }),
 * }); // 202 {"accepted":1,"filtered":0,"refused":0,"refusedByCode":{},"ids":["01J…"],"errors":[]}
 * ```
 */
export class HttpInput implements Input {
	readonly name: string;
	readonly #o: ResolvedHttpInputOptions;
	readonly #deadlines: AdmissionDeadlines;
	readonly #replies: Replies;
	#sink: Sink | undefined;
	#closing = false;
	#ready!: Promise<{ port: number }>;
	#resolveReady!: (value: { port: number }) => void;
	#rejectReady!: (error: Error) => void;
	#attached: Server | undefined;
	/** Requests not yet handed to the hub (in an async auth check, or reading their body): ends them on shutdown. */
	readonly #unadmitted = new Set<() => void>();
	#inflight = 0;
	#idle: (() => void) | undefined;
	#requests = 0;
	#messages = 0;
	#bodyBytes = 0;

	/** @param options - See {@link HttpInputOptions}; throws `ConfigError` naming a bad option. */
	constructor(options: HttpInputOptions = {}) {
		this.#o = resolveHttpInputOptions(options);
		this.name = this.#o.name;
		this.#deadlines = new AdmissionDeadlines(this.#o.backpressureTimeoutMs);
		this.#replies = new Replies(this.name, this.#o.logger, this.#o.retryAfter);
		this.#newReady();
	}

	/**
	 * Resolves with the bound port once the input listens (after `hub.start()`;
	 * with your own `server`, once it listens). Rejects if listening fails.
	 */
	get ready(): Promise<{ port: number }> {
		return this.#ready;
	}

	/** A snapshot of the input's counters. */
	stats(): HttpInputStats {
		return {
			requests: this.#requests,
			messages: this.#messages,
			bodyBytes: this.#bodyBytes,
			responses: { ...this.#replies.counts },
		};
	}

	/**
	 * The request listener, for mounting the input in your own server or
	 * router: it answers every request it gets (404 outside `path`; 503 while
	 * the hub is not running).
	 */
	readonly handler = (request: IncomingMessage, response: ServerResponse): void => {
		this.#inflight++;
		response.once('close', this.#requestDone);
		try {
			this.#handle(request, response);
		} catch (error) {
			this.#replies.fail(response, error);
		}
	};

	/** Every request counts as in flight until its response is closed; the last one wakes a waiting shutdown. */
	#requestDone = (): void => {
		if (--this.#inflight === 0 && this.#idle !== undefined) {
			this.#idle();
			this.#idle = undefined;
		}
	};

	/** @internal Called by the hub. */
	async run(sink: Sink, signal: AbortSignal): Promise<void> {
		if (signal.aborted) return;
		this.#closing = this.#replies.closing = false;
		const own = this.#o.server === undefined;
		const tls = this.#o.tls;
		const server = this.#o.server ?? (tls === undefined ? createServer(this.#o.serverOptions) : (createHttpsServer({ ...this.#o.serverOptions, ...tls }) as unknown as Server));
		let port: number | undefined;
		try {
			if (this.#attached !== server) {
				server.on('request', this.handler);
				this.#attached = server;
			}
			this.#sink = sink;
			port = own ? await listen(server, this.#o.listen!.host, this.#o.listen!.port) : await listening(server, signal);
		} catch (error) {
			this.#sink = undefined;
			const failure = toError(error);
			this.#rejectReady(failure);
			this.#newReady();
			throw failure;
		}
		if (own) server.on('error', (error) => this.#o.logger.error({ input: this.name, err: error }, 'polku http input server error'));
		if (port !== undefined && !signal.aborted) {
			this.#resolveReady({ port });
			this.#o.logger.info({ input: this.name, port, tls: server instanceof TlsServer }, 'polku http input listening');
		}
		if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
		await this.#shutdown(server, own);
	}

	async #shutdown(server: Server, own: boolean): Promise<void> {
		this.#closing = this.#replies.closing = true;
		for (const cancel of [...this.#unadmitted]) cancel();
		this.#unadmitted.clear();
		this.#replies.endDraining();
		const closed = own ? new Promise((resolve) => server.close(resolve)) : undefined;
		if (own) server.closeIdleConnections();
		if (this.#inflight > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
		this.#sink = undefined;
		if (own) {
			server.closeAllConnections();
			await closed;
			server.off('request', this.handler);
			this.#attached = undefined;
		}
	}

	#newReady(): void {
		this.#ready = new Promise((resolve, reject) => {
			this.#resolveReady = resolve;
			this.#rejectReady = reject;
		});
		this.#ready.catch(() => {}); // a failure is also raised by run(); don't make it unhandled
	}

	// ---- requests ------------------------------------------------------------

	#handle(request: IncomingMessage, response: ServerResponse): void {
		this.#requests++;
		const route = matchRoute(request.url ?? '/', this.#o.prefix);
		const replies = this.#replies;
		if (route.kind === 'not-found') return replies.error(response, 404, 'not-found', `no route ${request.method} ${request.url}`);
		if (route.kind === 'bad-path') return replies.error(response, 400, 'invalid-path', 'the path is not valid percent-encoding');
		if (route.kind === 'health') {
			if (request.method !== 'GET' && request.method !== 'HEAD') return replies.methodNotAllowed(response, 'GET, HEAD');
			return this.#health(response);
		}
		if (request.method !== 'POST') return replies.methodNotAllowed(response, 'POST');
		if (this.#sink === undefined || this.#closing) return replies.unavailable(response);
		const auth = this.#o.auth?.check(request) ?? 'ok';
		if (auth === 'ok') return this.#accept(request, response, route);
		if (typeof auth === 'string') return replies.unauthorized(response, auth);
		// An async check: a shutdown meanwhile answers 503 at once (the check may never finish).
		const cancel = (): void => replies.unavailable(response);
		this.#unadmitted.add(cancel);
		auth.then(
			(result) => {
				if (!this.#unadmitted.delete(cancel)) return; // answered by the shutdown
				if (result === 'ok') this.#accept(request, response, route);
				else replies.unauthorized(response, result);
			},
			(error: unknown) => {
				if (this.#unadmitted.delete(cancel)) replies.fail(response, error);
			},
		);
	}

	/** After authentication: checks the media type and declared size, then reads and ingests the body. */
	#accept(request: IncomingMessage, response: ServerResponse, route: EventsRoute): void {
		if (this.#sink === undefined || this.#closing) return this.#replies.unavailable(response);
		const type = mediaType(request.headers['content-type']) ?? (route.raw ? 'application/octet-stream' : undefined);
		const kind = route.raw ? (type !== undefined && (isJsonType(type) || isNdjsonType(type) || this.#o.raw.matches(type)) ? 'raw' : undefined) : bodyKind(type, this.#o.raw);
		if (kind === undefined) return this.#replies.unsupportedType(response, type, ['application/json', 'application/x-ndjson', ...this.#o.rawTypes].join(', '));
		const declared = Number(request.headers['content-length']);
		if (declared > this.#o.maxBodyBytes) return this.#replies.tooLarge(response, this.#o.maxBodyBytes);
		this.#ingest(request, response, route, kind).catch((error: unknown) => this.#replies.fail(response, error));
	}

	async #ingest(request: IncomingMessage, response: ServerResponse, route: EventsRoute, kind: 'json' | 'ndjson' | 'raw'): Promise<void> {
		const reading = readBody(request, this.#o.maxBodyBytes);
		const cancel = (): void => reading.cancel();
		this.#unadmitted.add(cancel);
		const result = await reading.done;
		this.#unadmitted.delete(cancel);
		const replies = this.#replies;
		if (result.status === 'too-large') return replies.tooLarge(response, this.#o.maxBodyBytes);
		if (result.status === 'cancelled') return replies.unavailable(response);
		if (result.status === 'aborted') return; // the client went away
		const body = result.body;
		this.#bodyBytes += body.length;
		if (this.#o.signature !== undefined && !this.#o.signature.verify(request, body)) return replies.badSignature(response, this.#o.signature.header);
		const sink = this.#sink;
		if (sink === undefined || this.#closing) return replies.unavailable(response);

		const source = requestSource(route, request, this.name);
		let messages: Message[];
		try {
			messages = kind === 'raw' ? [rawMessage(body, route, request, source)] : parseJsonEvents(body, kind, { source, maxEvents: this.#o.maxEventsPerRequest });
		} catch (error) {
			if (!(error instanceof JsonEventError)) throw error;
			if (error.reason === 'too-many-events') return replies.tooManyEvents(response, this.#o.maxEventsPerRequest);
			this.#o.logger.debug({ input: this.name, problem: error.message }, 'polku http input refused a malformed body');
			return replies.json(response, 400, JSON.stringify(error));
		}
		this.#messages += messages.length;
		const reply = await this.#admit(sink, messages);
		if (reply.retry) replies.retryLater(response, reply.status, JSON.stringify(reply.body));
		else replies.json(response, reply.status, JSON.stringify(reply.body));
	}

	/**
	 * Hands the batch to the hub. Under `block`, if buffer space does not come
	 * within `backpressureTimeoutMs`, the request withdraws what is still
	 * waiting (dropped as `overflow`, reported in `errors`) and the answer is
	 * a 503 that says exactly which events were accepted. With
	 * `ackAfterDelivery` the same deadline withdraws the events not admitted;
	 * the answer then waits for the delivery of those that were (bounded by
	 * the outputs' own timeouts and retries, and by the hub's stop deadline).
	 */
	async #admit(sink: Sink, messages: Message[]): Promise<IngestReply> {
		const withdraw = new Withdrawal();
		const delivering = this.#o.ackAfterDelivery;
		const pending: Promise<BatchOutcome | DeliveryBatchOutcome> = delivering
			? sink.deliverBatch(messages, { signal: withdraw })
			: sink.sendBatch(messages, { signal: withdraw });
		const replyTo = (outcome: BatchOutcome | DeliveryBatchOutcome): IngestReply =>
			delivering ? deliverReply(messages, outcome as DeliveryBatchOutcome) : sendReply(messages, outcome as BatchOutcome);
		const outcome = await this.#deadlines.wait(pending);
		if (outcome !== TIMED_OUT) return replyTo(outcome);
		withdraw.abort(new Error(`the buffer stayed full for ${this.#o.backpressureTimeoutMs} ms`));
		const exact = replyTo(await pending);
		const withdrawn = exact.body.refusedByCode['overflow'] ?? 0;
		if (withdrawn === 0) return exact;
		this.#o.logger.warn(
			{ input: this.name, count: messages.length, accepted: exact.body.accepted, withdrawn, waitedMs: this.#o.backpressureTimeoutMs },
			'polku http input: buffer full, answered 503',
		);
		return exact.retry ? { ...exact, status: 503 } : exact;
	}

	/** `{ healthy, bufferSize, bufferCapacity }` (Node leaves the body out for HEAD). */
	#health(response: ServerResponse): void {
		const sink = this.#sink;
		const healthy = sink !== undefined && !this.#closing;
		const body = JSON.stringify({ healthy, bufferSize: sink?.bufferSize ?? 0, bufferCapacity: sink?.bufferCapacity ?? 0 });
		this.#replies.json(response, healthy ? 200 : 503, body);
	}
}

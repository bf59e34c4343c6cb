import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { toError } from '../../errors.js';
import type { BatchOutcome, DeliveryBatchOutcome, Input, Sink } from '../../input/input.js';
import { EVENT_METADATA_KEYS } from '../../json-event/fields.js';
import { nowNanos } from '../../message/clock.js';
import { nextId } from '../../message/id.js';
import type { Message } from '../../message/message.js';
import { newMetadata } from '../../message/metadata.js';
import { AdmissionDeadlines, TIMED_OUT } from '../http/admission-deadlines.js';
import type { AuthResult } from '../http/auth.js';
import { readBody } from '../http/body-reader.js';
import { mediaType } from '../http/content-type.js';
import { listen, listening } from '../http/listen.js';
import { Withdrawal } from '../http/withdrawal.js';
import { exportRequestProblem } from './codec/validate.js';
import { resolveOtlpInputOptions, type OtlpInputOptions, type ResolvedOtlpInputOptions } from './otlp-input-options.js';
import { OtlpReplies } from './otlp-replies.js';
import { OTLP_MESSAGE_TYPES, type OtlpSignal } from './signals.js';

const gunzipAsync = promisify(gunzip);
const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

/**
 * Counters of an {@link OtlpInput}.
 *
 * @example
 * ```ts
 * const { requests, signals, responses } = input.stats();
 * console.log(`${signals.traces} trace requests; ${responses['429'] ?? 0} throttled`);
 * ```
 */
export interface OtlpInputStats {
	/** Requests received. */
	readonly requests: number;
	/** Export requests handed to the hub, by signal. */
	readonly signals: Readonly<Record<OtlpSignal, number>>;
	/** Body bytes read (as received, before decompression). */
	readonly bodyBytes: number;
	/** Responses by status code. */
	readonly responses: Readonly<Record<string, number>>;
}

/** The outcome of handing one message to the hub, as the reply needs it. */
type Admission =
	| { readonly kind: 'ok'; readonly warning: string }
	| { readonly kind: 'retry'; readonly status: 429 | 503; readonly message: string }
	| { readonly kind: 'refused'; readonly message: string };

/**
 * An OTLP/HTTP receiver, so OpenTelemetry SDKs, agents and collectors can
 * export to polku: `POST {path}v1/logs`, `v1/traces`, `v1/metrics`, in
 * protobuf (`application/x-protobuf`) or JSON (`application/json`), plain or
 * gzip (`Content-Encoding: gzip`). Each export request becomes ONE message of
 * type `otlp.logs` / `otlp.traces` / `otlp.metrics` (source: the `source`
 * option) whose payload is the request unchanged (decompressed) and whose
 * metadata `polku.content_type` is its media type; only the framing is
 * checked (400 for a body that is not an export request). `OtlpLogsOutput`
 * forwards such messages unchanged to a collector.
 *
 * The answer is the OTLP success response (an empty `Export*ServiceResponse`
 * in the request's encoding) once the hub accepted the message, or with
 * `ackAfterDelivery` once every output confirmed it. Under backpressure:
 * 429 (dropped for overflow) or 503 (buffer still full after
 * `backpressureTimeoutMs`, or shutting down), with `Retry-After`, which OTLP
 * clients retry; 400 / 401 / 404 / 405 / 413 / 415 carry a `google.rpc.Status`.
 *
 * @example
 * ```ts
 * import { Hub } from 'polku';
 * import { OtlpInput, OtlpLogsOutput } from 'polku/otlp';
 *
 * // Buffer telemetry through a collector's restart and fan it out.
 * const hub = Hub.builder()
 *   .input(new OtlpInput({ address: '0.0.0.0:4318' }))
 *   .output(new OtlpLogsOutput({ endpoint: 'http://collector:4318' }))
 *   .build();
 * await hub.start();
 * ```
 */
export class OtlpInput implements Input {
	readonly name: string;
	readonly #o: ResolvedOtlpInputOptions;
	readonly #deadlines: AdmissionDeadlines;
	readonly #replies: OtlpReplies;
	readonly #routes: ReadonlyMap<string, OtlpSignal>;
	#sink: Sink | undefined;
	#closing = false;
	#ready!: Promise<{ port: number }>;
	#resolveReady!: (value: { port: number }) => void;
	#rejectReady!: (error: Error) => void;
	#attached: Server | undefined;
	readonly #readers = new Set<() => void>();
	#inflight = 0;
	#idle: (() => void) | undefined;
	#requests = 0;
	#bodyBytes = 0;
	readonly #signals: Record<OtlpSignal, number> = { logs: 0, traces: 0, metrics: 0 };

	/** @param options - See {@link OtlpInputOptions}; throws `ConfigError` naming a bad option. */
	constructor(options: OtlpInputOptions = {}) {
		this.#o = resolveOtlpInputOptions(options);
		this.name = this.#o.name;
		this.#deadlines = new AdmissionDeadlines(this.#o.backpressureTimeoutMs);
		this.#replies = new OtlpReplies(this.name, this.#o.logger, this.#o.retryAfter);
		const p = this.#o.prefix;
		this.#routes = new Map<string, OtlpSignal>([
			[`${p}v1/logs`, 'logs'],
			[`${p}v1/traces`, 'traces'],
			[`${p}v1/metrics`, 'metrics'],
		]);
		this.#newReady();
	}

	/** Resolves with the bound port once the input listens (after `hub.start()`); rejects if listening fails. */
	get ready(): Promise<{ port: number }> {
		return this.#ready;
	}

	/** A snapshot of the input's counters. */
	stats(): OtlpInputStats {
		return { requests: this.#requests, signals: { ...this.#signals }, bodyBytes: this.#bodyBytes, responses: { ...this.#replies.counts } };
	}

	/** The request listener, for mounting the input in your own server or router. */
	readonly handler = (request: IncomingMessage, response: ServerResponse): void => {
		this.#inflight++;
		response.once('close', this.#requestDone);
		try {
			this.#handle(request, response);
		} catch (error) {
			this.#replies.fail(response, isJsonRequest(request), error);
		}
	};

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
		const server = this.#o.server ?? createServer(this.#o.serverOptions);
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
		if (own) server.on('error', (error) => this.#o.logger.error({ input: this.name, err: error }, 'polku otlp input server error'));
		if (port !== undefined && !signal.aborted) {
			this.#resolveReady({ port });
			this.#o.logger.info({ input: this.name, port }, 'polku otlp input listening');
		}
		if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
		await this.#shutdown(server, own);
	}

	async #shutdown(server: Server, own: boolean): Promise<void> {
		this.#closing = this.#replies.closing = true;
		for (const cancel of [...this.#readers]) cancel();
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
		this.#ready.catch(() => {});
	}

	#handle(request: IncomingMessage, response: ServerResponse): void {
		this.#requests++;
		const url = request.url ?? '/';
		const q = url.indexOf('?');
		const signal = this.#routes.get(q === -1 ? url : url.slice(0, q));
		const replies = this.#replies;
		const json = isJsonRequest(request);
		if (signal === undefined) return replies.error(response, json, 404, `no route ${request.method} ${url}; OTLP/HTTP uses ${[...this.#routes.keys()].join(', ')}`);
		if (request.method !== 'POST') return replies.error(response, json, 405, 'use POST', { allow: 'POST' });
		if (this.#sink === undefined || this.#closing) return replies.unavailable(response, json);
		const auth = this.#o.auth?.check(request) ?? 'ok';
		if (auth === 'ok') return this.#accept(request, response, signal, json);
		if (typeof auth === 'string') return this.#unauthorized(response, json, auth);
		auth.then(
			(result) => (result === 'ok' ? this.#accept(request, response, signal, json) : this.#unauthorized(response, json, result)),
			(error: unknown) => replies.fail(response, json, error),
		);
	}

	#unauthorized(response: ServerResponse, json: boolean, result: AuthResult): void {
		const challenge = result === 'missing' ? 'Bearer realm="polku"' : 'Bearer realm="polku", error="invalid_token"';
		this.#replies.error(response, json, 401, result === 'missing' ? 'a bearer token is required' : 'the bearer token is not valid', { 'www-authenticate': challenge });
	}

	#accept(request: IncomingMessage, response: ServerResponse, signal: OtlpSignal, json: boolean): void {
		const type = mediaType(request.headers['content-type']);
		if (type !== PROTOBUF && type !== JSON_TYPE) {
			return this.#replies.error(response, json, 415, `content type ${type === undefined ? '(none)' : JSON.stringify(type)} is not OTLP; use ${PROTOBUF} or ${JSON_TYPE}`, {
				'accept-post': `${PROTOBUF}, ${JSON_TYPE}`,
			});
		}
		const encoding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
		if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip') {
			return this.#replies.error(response, json, 415, `content encoding ${JSON.stringify(encoding)} is not supported; use gzip or none`);
		}
		const declared = Number(request.headers['content-length']);
		if (declared > this.#o.maxBodyBytes) return this.#replies.error(response, json, 413, `the body exceeds ${this.#o.maxBodyBytes} bytes`, { connection: 'close' });
		this.#ingest(request, response, signal, type, encoding !== 'identity').catch((error: unknown) => this.#replies.fail(response, json, error));
	}

	async #ingest(request: IncomingMessage, response: ServerResponse, signal: OtlpSignal, type: string, gzipped: boolean): Promise<void> {
		const json = type === JSON_TYPE;
		const limit = this.#o.maxBodyBytes;
		const reading = readBody(request, limit);
		const cancel = (): void => reading.cancel();
		this.#readers.add(cancel);
		const result = await reading.done;
		this.#readers.delete(cancel);
		const replies = this.#replies;
		if (result.status === 'too-large') return replies.error(response, json, 413, `the body exceeds ${limit} bytes`, { connection: 'close' });
		if (result.status === 'cancelled') return replies.unavailable(response, json);
		if (result.status === 'aborted') return;
		this.#bodyBytes += result.body.length;
		let body = result.body;
		if (gzipped) {
			try {
				body = await gunzipAsync(body, { maxOutputLength: limit });
			} catch (error) {
				if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') return replies.error(response, json, 413, `the decompressed body exceeds ${limit} bytes`);
				return replies.error(response, json, 400, `the body is not valid gzip (${(error as Error).message})`);
			}
		}
		const problem = this.#o.validate ? exportRequestProblem(body, json, signal) : undefined;
		if (problem !== undefined) return replies.error(response, json, 400, problem);
		const sink = this.#sink;
		if (sink === undefined || this.#closing) return replies.unavailable(response, json);
		const metadata = newMetadata();
		metadata[EVENT_METADATA_KEYS.contentType] = type;
		const message: Message = {
			id: nextId(),
			timestamp: nowNanos(),
			source: this.#o.source,
			messageType: OTLP_MESSAGE_TYPES[signal],
			metadata,
			payload: body,
			routeTo: NO_ROUTE,
		};
		this.#signals[signal]++;
		const admission = await this.#admit(sink, message);
		if (admission.kind === 'ok') replies.success(response, json, admission.warning);
		else if (admission.kind === 'retry') replies.retryLater(response, json, admission.status, admission.message);
		else replies.error(response, json, 400, admission.message);
	}

	async #admit(sink: Sink, message: Message): Promise<Admission> {
		if (this.#o.ackAfterDelivery) {
			// Buffer space is waited for at most backpressureTimeoutMs (aborting later, once admitted, changes nothing).
			const withdraw = new Withdrawal();
			const timer = setTimeout(() => withdraw.abort(new Error(`the buffer stayed full for ${this.#o.backpressureTimeoutMs} ms`)), this.#o.backpressureTimeoutMs);
			try {
				const outcome = delivered(await sink.deliverBatch([message], { signal: withdraw }));
				if (withdraw.aborted && outcome.kind === 'retry' && outcome.status === 429) {
					return { kind: 'retry', status: 503, message: `the buffer stayed full for ${this.#o.backpressureTimeoutMs} ms` };
				}
				return outcome;
			} finally {
				clearTimeout(timer);
			}
		}
		const withdraw = new Withdrawal();
		const pending = sink.sendBatch([message], { signal: withdraw });
		const outcome = await this.#deadlines.wait(pending);
		if (outcome !== TIMED_OUT) return admitted(outcome);
		withdraw.abort(new Error(`the buffer stayed full for ${this.#o.backpressureTimeoutMs} ms`));
		const exact = admitted(await pending);
		if (exact.kind === 'ok') return exact;
		this.#o.logger.warn({ input: this.name, waitedMs: this.#o.backpressureTimeoutMs }, 'polku otlp input: buffer full, answered 503');
		return { kind: 'retry', status: 503, message: `the buffer stayed full for ${this.#o.backpressureTimeoutMs} ms` };
	}
}

const NO_ROUTE: readonly string[] = Object.freeze([]);

function isJsonRequest(request: IncomingMessage): boolean {
	return mediaType(request.headers['content-type']) === JSON_TYPE;
}

function admitted(outcome: BatchOutcome): Admission {
	const drop = outcome.dropped[0];
	if (drop === undefined) return { kind: 'ok', warning: '' };
	const detail = drop.error?.message ?? drop.reason;
	if (drop.reason === 'overflow') return { kind: 'retry', status: 429, message: `the buffer is full (${detail})` };
	if (drop.reason === 'shutdown') return { kind: 'retry', status: 503, message: 'the gateway is shutting down' };
	return { kind: 'refused', message: `the request was not accepted: ${drop.reason} (${detail})` };
}

function delivered(outcome: DeliveryBatchOutcome): Admission {
	const failure = outcome.failed[0];
	if (failure === undefined) return { kind: 'ok', warning: '' };
	const at = failure.output === undefined ? '' : ` at output "${failure.output}"`;
	switch (failure.reason) {
		case 'dead-lettered':
			// Kept in the dead-letter output: retrying would only duplicate it.
			return { kind: 'ok', warning: `delivery failed${at}; the request went to the dead-letter output` };
		case 'overflow':
			return { kind: 'retry', status: 429, message: `the buffer is full${at}` };
		case 'shutdown':
		case 'output-failed':
			return { kind: 'retry', status: 503, message: `not delivered: ${failure.reason}${at}` };
		default:
			return { kind: 'refused', message: `the request was not accepted: ${failure.reason}${at} (${failure.error?.message ?? ''})` };
	}
}

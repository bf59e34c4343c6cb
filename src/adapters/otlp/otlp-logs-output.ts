import { EventEmitter } from 'eventemitter3';
import type { OutgoingHttpHeaders } from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { EVENT_METADATA_KEYS } from '../../json-event/fields.js';
import { nowNanos } from '../../message/clock.js';
import type { Message } from '../../message/message.js';
import type { Output } from '../../output/output.js';
import { mediaType } from '../http/content-type.js';
import { encodeLogsRequest, encodeLogsRequestJson, logsPreamble, type LogsPreamble } from './codec/logs-request.js';
import { readPartialSuccess, readStatusMessage } from './codec/responses.js';
import { HttpPoster, PostFailure } from './http-post.js';
import { isRetryableStatus, OtlpExportError, parseRetryAfter } from './otlp-errors.js';
import { resolveOtlpOutputOptions, type OtlpLogsOutputOptions, type ResolvedOtlpOutputOptions } from './otlp-output-options.js';
import { passThroughSignal, type OtlpSignal } from './signals.js';

const gzipAsync = promisify(gzip);
const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';
const EXCERPT = 200;

/**
 * A collector accepted a request only in part (its `partial_success`), or
 * accepted it with a warning (`rejected` 0 and a `message`).
 *
 * @example
 * ```ts
 * output.on('partial-success', ({ signal, rejected, message }) => console.warn(`${signal}: ${rejected} rejected: ${message}`));
 * ```
 */
export interface OtlpPartialSuccessEvent {
	readonly signal: OtlpSignal;
	readonly url: string;
	/** Items (log records, spans, data points) the collector rejected. */
	readonly rejected: number;
	readonly message: string;
	/** Messages of the batch in the request. */
	readonly messages: number;
}

/**
 * Events of an {@link OtlpLogsOutput}.
 *
 * @example
 * ```ts
 * const onPartial: OtlpLogsOutputEvents['partial-success'] = (e) => metrics.rejected.inc(e.rejected);
 * ```
 */
export interface OtlpLogsOutputEvents {
	'partial-success': (event: OtlpPartialSuccessEvent) => void;
}

/**
 * Counters of an {@link OtlpLogsOutput}.
 *
 * @example
 * ```ts
 * const { requests, logRecords, passThrough } = output.stats();
 * ```
 */
export interface OtlpLogsOutputStats {
	/** Requests the collector accepted (2xx). */
	readonly requests: number;
	/** Requests that failed (no answer or not 2xx). */
	readonly failedRequests: number;
	/** Log records made from messages and accepted. */
	readonly logRecords: number;
	/** Pass-through messages (export requests) forwarded and accepted. */
	readonly passThrough: number;
	/** Items the collector reported as rejected in partial successes. */
	readonly rejected: number;
	/** Request body bytes sent (after compression), accepted or not. */
	readonly bytes: number;
}

/** One request of a batch. */
interface Request {
	readonly signal: OtlpSignal;
	readonly json: boolean;
	readonly body: Buffer;
	/** Messages of the batch it carries. */
	readonly messages: number;
	readonly logRecords: number;
}

/** Pass-through messages of one signal. */
interface PassThrough {
	protobuf: Uint8Array[];
	json: Message[];
}

/**
 * An output to an OpenTelemetry collector over OTLP/HTTP (protobuf, or JSON).
 *
 * Every message becomes one LogRecord: `time_unix_nano` the message's exact
 * ns timestamp, `observed_time_unix_nano` the time of the send, the body the
 * payload as a string when it is valid UTF-8 (else bytes), attributes its
 * metadata plus `polku.id`, `polku.source`, `polku.type`, the severity from
 * the metadata `polku.severity` (see the README), and trace / span ids and
 * flags from a valid W3C `traceparent` metadata value. A batch is one
 * `ExportLogsServiceRequest` with one Resource (`service.name` and
 * `resourceAttributes`) and one instrumentation scope.
 *
 * Pass-through: a message whose type is `otlp.logs`, `otlp.traces` or
 * `otlp.metrics` (what `OtlpInput` makes) already is an export request, and is
 * forwarded unchanged to that signal's endpoint. Protobuf ones of a batch are
 * concatenated into one request per signal (protobuf merges concatenated
 * messages; the logs ones join the batch's own log records); JSON ones (metadata
 * `polku.content_type: application/json`) are sent one request each.
 *
 * The requests of a batch go out at once; the batch resolves when every one
 * was answered 2xx. A `partial_success` is logged, counted and emitted
 * (`partial-success`), not failed: the collector will not take those items.
 * Failures reject with {@link OtlpExportError}: 429, 502, 503, 504, network
 * errors and timeouts are retryable, every other status is not (use
 * {@link otlpRetryable}). After a `Retry-After`, every request to that URL
 * waits until then (at most `maxRetryAfterMs`, abandoned with the hub's
 * signal), so the hub's next try honours it. Sends share no mutable per-send
 * state: several batches may be in flight at once.
 *
 * @example
 * ```ts
 * import { Hub } from 'polku';
 * import { OtlpLogsOutput, otlpRetryable } from 'polku/otlp';
 *
 * const otlp = new OtlpLogsOutput({ endpoint: 'http://127.0.0.1:4318', serviceName: 'checkout', compression: 'gzip' });
 * const hub = Hub.builder()
 *   .input(input)
 *   .output(otlp, { batchSize: 512, flushInterval: 1_000, retry: { attempts: 5, retryable: otlpRetryable }, deadLetter: 'dlq' })
 *   .deadLetter(dlq)
 *   .build();
 * ```
 */
export class OtlpLogsOutput extends EventEmitter<OtlpLogsOutputEvents> implements Output {
	readonly name: string;
	readonly #o: ResolvedOtlpOutputOptions;
	readonly #preamble: LogsPreamble;
	readonly #poster: HttpPoster;
	/** Per URL: no request before this time (ms), after a `Retry-After`. */
	readonly #notBefore = new Map<string, number>();
	#lastFailed = false;
	#requests = 0;
	#failedRequests = 0;
	#logRecords = 0;
	#passThrough = 0;
	#rejected = 0;
	#bytes = 0;

	/** @param options - See {@link OtlpLogsOutputOptions}; throws `ConfigError` naming a bad option. */
	constructor(options: OtlpLogsOutputOptions) {
		super();
		this.#o = resolveOtlpOutputOptions(options);
		this.name = this.#o.name;
		this.#preamble = logsPreamble(this.#o.resourceAttributes, this.#o.scopeName, this.#o.scopeVersion);
		this.#poster = new HttpPoster(this.#o.maxSockets, this.#o.timeoutMs, this.#o.tls);
	}

	/** Sends one batch (one request per signal and encoding); rejects with {@link OtlpExportError}. */
	async send(batch: readonly Message[], signal?: AbortSignal): Promise<void> {
		if (signal?.aborted === true) {
			const url = this.#o.urls.logs.href;
			throw new OtlpExportError(this.name, 'logs', url, `the send was abandoned by the hub before it started`, true, undefined, undefined, signal.reason);
		}
		const requests = this.#requestsOf(batch);
		const results = await Promise.allSettled(requests.map((request) => this.#post(request, signal)));
		const failures: OtlpExportError[] = [];
		for (const result of results) if (result.status === 'rejected') failures.push(result.reason as OtlpExportError);
		this.#lastFailed = failures.length > 0;
		if (failures.length === 0) return;
		if (failures.length === 1 && requests.length === 1) throw failures[0]!;
		const first = failures.find((f) => f.retryable) ?? failures[0]!;
		const retryAfter = Math.max(...failures.map((f) => f.retryAfterMs ?? 0));
		throw new OtlpExportError(
			this.name,
			first.signal,
			first.url,
			`${failures.length} of ${requests.length} requests failed; ${first.message.replace(`output "${this.name}": `, '')}`,
			failures.some((f) => f.retryable),
			first.status,
			retryAfter > 0 ? retryAfter : undefined,
			first,
		);
	}

	/** False after a failed send, until one succeeds. */
	health(): boolean {
		return !this.#lastFailed;
	}

	/** A snapshot of the counters. */
	stats(): OtlpLogsOutputStats {
		return {
			requests: this.#requests,
			failedRequests: this.#failedRequests,
			logRecords: this.#logRecords,
			passThrough: this.#passThrough,
			rejected: this.#rejected,
			bytes: this.#bytes,
		};
	}

	/** Closes the keep-alive connections. */
	async close(): Promise<void> {
		this.#poster.close();
	}

	/** Splits a batch into its requests. */
	#requestsOf(batch: readonly Message[]): Request[] {
		let records: Message[] | undefined;
		let pass: Partial<Record<OtlpSignal, PassThrough>> | undefined;
		for (let i = 0; i < batch.length; i++) {
			const msg = batch[i]!;
			const signal = passThroughSignal(msg.messageType);
			if (signal === undefined) {
				(records ??= []).push(msg);
				continue;
			}
			pass ??= {};
			const group = (pass[signal] ??= { protobuf: [], json: [] });
			if (isJson(msg)) group.json.push(msg);
			else group.protobuf.push(msg.payload);
		}
		const o = this.#o;
		const requests: Request[] = [];
		const observed = nowNanos();
		const logsProtobuf = pass?.logs?.protobuf ?? [];
		if (records !== undefined) {
			if (o.json) {
				requests.push({ signal: 'logs', json: true, body: Buffer.from(encodeLogsRequestJson(records, this.#preamble, observed), 'utf8'), messages: records.length, logRecords: records.length });
			} else {
				const own = encodeLogsRequest(records, this.#preamble, observed);
				const body = logsProtobuf.length === 0 ? own : Buffer.concat([own, ...logsProtobuf]);
				requests.push({ signal: 'logs', json: false, body, messages: records.length + logsProtobuf.length, logRecords: records.length });
				logsProtobuf.length = 0;
			}
		}
		if (pass !== undefined) {
			for (const signal of ['logs', 'traces', 'metrics'] as const) {
				const group = pass[signal];
				if (group === undefined) continue;
				const protobuf = signal === 'logs' ? logsProtobuf : group.protobuf;
				if (protobuf.length > 0) {
					requests.push({ signal, json: false, body: protobuf.length === 1 ? asBuffer(protobuf[0]!) : Buffer.concat(protobuf), messages: protobuf.length, logRecords: 0 });
				}
				for (const msg of group.json) requests.push({ signal, json: true, body: asBuffer(msg.payload), messages: 1, logRecords: 0 });
			}
		}
		return requests;
	}

	async #post(request: Request, signal: AbortSignal | undefined): Promise<void> {
		const o = this.#o;
		const url = o.urls[request.signal];
		const body = o.gzip ? await gzipAsync(request.body) : request.body;
		const headers: OutgoingHttpHeaders = { ...o.headers, 'content-type': request.json ? JSON_TYPE : PROTOBUF };
		if (o.gzip) headers['content-encoding'] = 'gzip';
		await this.#waitRetryAfter(url, request.signal, signal);
		this.#bytes += body.length;
		let result;
		try {
			result = await this.#poster.post(url, body, headers, signal);
		} catch (error) {
			this.#failedRequests++;
			const failure = error as PostFailure;
			throw new OtlpExportError(this.name, request.signal, url.href, `POST ${url.href} ${failure.message}`, true, undefined, undefined, failure.cause ?? failure);
		}
		const { status } = result;
		if (status >= 200 && status < 300) {
			this.#requests++;
			this.#logRecords += request.logRecords;
			this.#passThrough += request.messages - request.logRecords;
			const responseJson = mediaType(result.headers['content-type']) === JSON_TYPE;
			const partial = readPartialSuccess(result.body, responseJson, request.signal);
			if (partial.rejected > 0 || partial.message !== '') this.#partial(request, url, partial.rejected, partial.message);
			return;
		}
		this.#failedRequests++;
		const retryAfterMs = parseRetryAfter(headerValue(result.headers['retry-after']));
		if (retryAfterMs !== undefined && retryAfterMs > 0) this.#notBefore.set(url.href, Date.now() + Math.min(retryAfterMs, o.maxRetryAfterMs));
		const json = mediaType(result.headers['content-type']) === JSON_TYPE;
		const detail = readStatusMessage(result.body, json) ?? excerpt(result.body, json);
		throw new OtlpExportError(
			this.name,
			request.signal,
			url.href,
			`POST ${url.href} answered ${status}${detail === '' ? '' : `: ${detail}`}`,
			isRetryableStatus(status),
			status,
			retryAfterMs,
		);
	}

	/** Waits while the collector's last `Retry-After` for `url` lasts; rejects when `signal` aborts first. */
	async #waitRetryAfter(url: URL, otlpSignal: OtlpSignal, signal: AbortSignal | undefined): Promise<void> {
		const until = this.#notBefore.get(url.href);
		if (until === undefined) return;
		const wait = until - Date.now();
		if (wait <= 0) {
			this.#notBefore.delete(url.href);
			return;
		}
		await new Promise<void>((resolve, reject) => {
			const onAbort = (): void => {
				clearTimeout(timer);
				reject(new OtlpExportError(this.name, otlpSignal, url.href, `POST ${url.href} was abandoned by the hub while waiting for Retry-After`, true));
			};
			const timer = setTimeout(() => {
				signal?.removeEventListener('abort', onAbort);
				resolve();
			}, wait);
			if (signal?.aborted === true) onAbort();
			else signal?.addEventListener('abort', onAbort, { once: true });
		});
	}

	#partial(request: Request, url: URL, rejected: number, message: string): void {
		this.#rejected += rejected;
		const event: OtlpPartialSuccessEvent = { signal: request.signal, url: url.href, rejected, message, messages: request.messages };
		this.#o.logger.warn({ output: this.name, ...event }, 'polku otlp output: the collector accepted a request in part');
		this.emit('partial-success', event);
	}
}

function isJson(msg: Message): boolean {
	const type = msg.metadata[EVENT_METADATA_KEYS.contentType];
	return type !== undefined && mediaType(type) === JSON_TYPE;
}

function asBuffer(bytes: Uint8Array): Buffer {
	return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function headerValue(value: string | string[] | undefined): string | undefined {
	return Array.isArray(value) ? value[0] : value;
}

function excerpt(body: Buffer, json: boolean): string {
	if (body.length === 0) return '';
	const text = json || isPrintable(body) ? body.toString('utf8', 0, EXCERPT).replace(/\s+/g, ' ').trim() : '';
	return text === '' ? `${body.length} bytes` : text + (body.length > EXCERPT ? '…' : '');
}

function isPrintable(body: Buffer): boolean {
	for (let i = 0; i < Math.min(body.length, EXCERPT); i++) {
		const c = body[i]!;
		if (c < 0x09 || (c > 0x0d && c < 0x20)) return false;
	}
	return true;
}

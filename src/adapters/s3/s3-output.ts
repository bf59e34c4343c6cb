import { EventEmitter } from 'eventemitter3';
import { Readable, Transform, pipeline } from 'node:stream';
import { promisify } from 'node:util';
import { createGzip, gzip } from 'node:zlib';
import { nextId } from '../../message/id.js';
import type { Message } from '../../message/message.js';
import type { Output } from '../../output/output.js';
import { loadClientS3, loadLibStorage, type PutObjectParams } from './client.js';
import { encodeBody, encodeWhole, estimateSize } from './object-body.js';
import { fromSdkError, S3OutputError } from './s3-errors.js';
import { resolveS3OutputOptions, type ResolvedS3OutputOptions, type S3OutputOptions } from './s3-output-options.js';

const gzipAsync = promisify(gzip);
/** Size of the chunks a streamed (multipart) object is encoded in. */
const STREAM_CHUNK = 256 * 1024;

/**
 * One object an {@link S3Output} wrote (its `object` event).
 *
 * @example
 * ```ts
 * output.on('object', ({ key, messages, bytes }) => console.log(`${key}: ${messages} events, ${bytes} bytes`));
 * ```
 */
export interface S3ObjectEvent {
	readonly bucket: string;
	readonly key: string;
	/** Messages in the object. */
	readonly messages: number;
	/** Bytes stored (after compression). */
	readonly bytes: number;
	/** Written by a multipart upload (the batch reached `multipartThresholdBytes`). */
	readonly multipart: boolean;
}

/**
 * Events of an {@link S3Output}.
 *
 * @example
 * ```ts
 * const onObject: S3OutputEvents['object'] = (event) => index.add(event.key);
 * ```
 */
export interface S3OutputEvents {
	/** An object was written (after S3 confirmed it). */
	object: (event: S3ObjectEvent) => void;
}

/**
 * Counters of an {@link S3Output}.
 *
 * @example
 * ```ts
 * const { objects, bytes } = output.stats();
 * ```
 */
export interface S3OutputStats {
	/** Objects written. */
	readonly objects: number;
	/** Of which by multipart upload. */
	readonly multipart: number;
	/** Messages written. */
	readonly messages: number;
	/** Bytes stored (after compression). */
	readonly bytes: number;
	/** Failed writes. */
	readonly failures: number;
}

/**
 * An output that writes each batch as one S3 object, through your own AWS SDK
 * v3 `S3Client`: NDJSON of the POLKU JSON event form (the default), a JSON
 * array, or the raw payloads concatenated; optionally gzip-compressed
 * (`Content-Encoding: gzip`); the key from a template with time partitioning
 * and a ULID (see {@link KEY_PLACEHOLDERS}); `Content-Type` set, and the user
 * metadata `polku-messages` (the count). Batches below
 * `multipartThresholdBytes` are encoded into one buffer and written with one
 * PutObject; larger ones are streamed through a multipart upload
 * (`@aws-sdk/lib-storage`), encoded and compressed part by part.
 *
 * The SDK is imported at the first send (`import 'polku/s3'` loads none of
 * it), from the `@aws-sdk/client-s3` / `@aws-sdk/lib-storage` peers next to
 * your client. Sends share no mutable state, so with the hub's per-output
 * concurrency several batches upload at once. When the hub retries a batch,
 * the retry writes the same key (the key is fixed at the first attempt), so a
 * write whose answer was lost is overwritten, not duplicated. The `signal`
 * the hub passes cancels a PutObject or aborts the multipart upload.
 *
 * Delivery: a batch resolves only after S3 confirmed the object; a failure
 * rejects with {@link S3OutputError} (not retryable for a 4xx other than 408 /
 * 429: use {@link s3Retryable}).
 *
 * @example
 * ```ts
 * import { S3Client } from '@aws-sdk/client-s3';
 * import { Hub } from 'polku';
 * import { S3Output, s3Retryable } from 'polku/s3';
 *
 * const archive = new S3Output({ client: new S3Client({}), bucket: 'event-archive', prefix: 'events/', compression: 'gzip' });
 * const hub = Hub.builder()
 *   .bufferCapacity(50_000)
 *   .input(input)
 *   .output(archive, { batchSize: 10_000, flushInterval: 60_000, retry: { attempts: 5, retryable: s3Retryable } })
 *   .build();
 * ```
 */
export class S3Output extends EventEmitter<S3OutputEvents> implements Output {
	readonly name: string;
	readonly #o: ResolvedS3OutputOptions;
	/** The key of a batch being written: a retry of the same batch writes the same object. */
	readonly #keys = new WeakMap<readonly Message[], string>();
	#lastFailed = false;
	#objects = 0;
	#multipart = 0;
	#messages = 0;
	#bytes = 0;
	#failures = 0;

	/** @param options - See {@link S3OutputOptions}; throws `ConfigError` naming a bad option. */
	constructor(options: S3OutputOptions) {
		super();
		this.#o = resolveS3OutputOptions(options);
		this.name = this.#o.name;
	}

	/** The bucket objects are written to. */
	get bucket(): string {
		return this.#o.bucket;
	}

	/**
	 * Writes one batch as one object; resolves when S3 confirmed it. Rejects
	 * with {@link S3OutputError}.
	 */
	async send(batch: readonly Message[], signal?: AbortSignal): Promise<void> {
		if (batch.length === 0) return;
		const o = this.#o;
		const key = this.#keyOf(batch);
		const multipart = estimateSize(batch, o.encoding) >= o.multipartThresholdBytes;
		let bytes: number;
		try {
			bytes = multipart ? await this.#upload(batch, key, signal) : await this.#put(batch, key, signal);
		} catch (error) {
			this.#lastFailed = true;
			this.#failures++;
			throw error instanceof S3OutputError ? error : fromSdkError(this.name, o.bucket, key, error, signal?.aborted === true);
		}
		this.#keys.delete(batch);
		this.#lastFailed = false;
		this.#objects++;
		if (multipart) this.#multipart++;
		this.#messages += batch.length;
		this.#bytes += bytes;
		this.emit('object', { bucket: o.bucket, key, messages: batch.length, bytes, multipart });
	}

	/** False after a failed write, until one succeeds. */
	health(): boolean {
		return !this.#lastFailed;
	}

	/** A snapshot of the counters. */
	stats(): S3OutputStats {
		return { objects: this.#objects, multipart: this.#multipart, messages: this.#messages, bytes: this.#bytes, failures: this.#failures };
	}

	/** Nothing to release: the client is yours (call `client.destroy()` yourself). */
	async close(): Promise<void> {}

	#keyOf(batch: readonly Message[]): string {
		let key = this.#keys.get(batch);
		if (key === undefined) {
			const o = this.#o;
			const timeMs = o.timeFromMessage ? Number(batch[0]!.timestamp / 1_000_000n) : Date.now();
			key = o.prefix + o.key.render({ timeMs, ulid: nextId(), ext: o.ext });
			this.#keys.set(batch, key);
		}
		return key;
	}

	#params(key: string, count: number, body: unknown, length?: number): PutObjectParams {
		const o = this.#o;
		return {
			Bucket: o.bucket,
			Key: key,
			Body: body,
			ContentType: o.contentType,
			...(o.gzip ? { ContentEncoding: 'gzip' } : {}),
			...(length === undefined ? {} : { ContentLength: length }),
			Metadata: { 'polku-messages': String(count) },
		};
	}

	/** One PutObject of the whole (compressed) object; returns the bytes stored. */
	async #put(batch: readonly Message[], key: string, signal: AbortSignal | undefined): Promise<number> {
		const o = this.#o;
		const sdk = await loadClientS3(this.name);
		const encoded = encodeWhole(batch, o.encoding);
		const body = o.gzip ? await gzipAsync(encoded, { level: o.gzipLevel }) : encoded;
		signal?.throwIfAborted();
		const command = new sdk.PutObjectCommand(this.#params(key, batch.length, body, body.length));
		await o.client.send(command, signal === undefined ? undefined : { abortSignal: signal });
		return body.length;
	}

	/** A multipart upload fed by a lazily encoded (and compressed) stream; returns the bytes stored. */
	async #upload(batch: readonly Message[], key: string, signal: AbortSignal | undefined): Promise<number> {
		const o = this.#o;
		const lib = await loadLibStorage(this.name);
		signal?.throwIfAborted();
		let bytes = 0;
		const count = new Transform({
			transform(chunk: Buffer, _encoding, callback) {
				bytes += chunk.length;
				callback(null, chunk);
			},
		});
		const source = Readable.from(encodeBody(batch, o.encoding, STREAM_CHUNK), { objectMode: false });
		const ignore = (): void => {};
		const body = o.gzip ? pipeline(source, createGzip({ level: o.gzipLevel }), count, ignore) : pipeline(source, count, ignore);
		let onAbort: (() => void) | undefined;
		try {
			const upload = new lib.Upload({
				client: o.client,
				params: this.#params(key, batch.length, body),
				partSize: o.partSizeBytes,
				queueSize: o.partConcurrency,
				leavePartsOnError: false,
			});
			onAbort = (): void => void upload.abort().catch(ignore);
			signal?.addEventListener('abort', onAbort, { once: true });
			await upload.done();
		} finally {
			if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
			source.destroy();
		}
		return bytes;
	}
}

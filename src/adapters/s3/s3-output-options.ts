import { ConfigError } from '../../errors.js';
import { checkInteger } from '../../hub/options.js';
import { PAYLOAD_ENCODINGS, type PayloadEncoding } from '../../json-event/fields.js';
import type { S3ClientLike } from './client.js';
import { KeyTemplate } from './key-template.js';
import { S3_FORMATS, type BodyEncoding, type S3Format } from './object-body.js';

/**
 * Options of {@link S3Output}.
 *
 * @example
 * ```ts
 * import { S3Client } from '@aws-sdk/client-s3';
 * import { S3Output } from 'polku/s3';
 *
 * new S3Output({
 *   client: new S3Client({ region: 'eu-north-1' }),
 *   bucket: 'event-archive',
 *   prefix: 'events/',
 *   key: '{yyyy}/{MM}/{dd}/{HH}/{ulid}.{ext}',
 *   format: 'ndjson',
 *   compression: 'gzip',
 * });
 * ```
 */
export interface S3OutputOptions {
	/** Your S3 client (an AWS SDK v3 `S3Client`, see {@link S3ClientLike}); the output never closes it. */
	readonly client: S3ClientLike;
	readonly bucket: string;
	/** @default 's3' */
	readonly name?: string;
	/** Prepended to every key as is, e.g. `events/`. @default '' */
	readonly prefix?: string;
	/** The key template after `prefix` (see {@link KEY_PLACEHOLDERS}); must contain `{ulid}`. @default '{yyyy}/{MM}/{dd}/{HH}/{ulid}.{ext}' */
	readonly key?: string;
	/** How a batch becomes an object (see {@link S3Format}). @default 'ndjson' */
	readonly format?: S3Format;
	/** How payloads are written in `ndjson` / `json` (see `PayloadEncoding`). @default 'base64' */
	readonly payloadEncoding?: PayloadEncoding;
	/** In the `raw` format, written after every payload, e.g. `'\n'`. @default none */
	readonly separator?: string | Uint8Array;
	/** gzip the object (`Content-Encoding: gzip`, `.gz` added to `{ext}`). @default 'none' */
	readonly compression?: 'none' | 'gzip';
	/** gzip level, 1 (fastest) to 9 (smallest). @default 6 */
	readonly gzipLevel?: number;
	/** `Content-Type` of the objects. @default application/x-ndjson, application/json, or application/octet-stream for raw */
	readonly contentType?: string;
	/** `{ext}` before any `.gz`. @default 'ndjson', 'json', or 'bin' for raw */
	readonly extension?: string;
	/**
	 * Where the `{yyyy}…{ss}` placeholders take their time from: the first
	 * message's timestamp (`message`: event time, so a retried or delayed
	 * batch lands in the partition of its data) or the time of the write (`now`).
	 * @default 'message'
	 */
	readonly time?: 'message' | 'now';
	/**
	 * Batches whose estimated size (payload bytes, base64 counted 4/3, plus
	 * ~160 bytes per event; before compression) reaches this are streamed
	 * through a multipart upload (`@aws-sdk/lib-storage`): encoded and
	 * compressed part by part as the upload consumes them, never held whole.
	 * Smaller ones are encoded into one buffer and written with one PutObject.
	 * @default 16777216 (16 MiB)
	 */
	readonly multipartThresholdBytes?: number;
	/** Size of one multipart part (S3 needs at least 5 MiB). @default 8388608 (8 MiB) */
	readonly partSizeBytes?: number;
	/** Parts of one multipart upload sent at once. @default 4 */
	readonly partConcurrency?: number;
}

/** Options after validation and defaults. */
export interface ResolvedS3OutputOptions {
	readonly name: string;
	readonly client: S3ClientLike;
	readonly bucket: string;
	readonly prefix: string;
	readonly key: KeyTemplate;
	readonly encoding: BodyEncoding;
	readonly gzip: boolean;
	readonly gzipLevel: number;
	readonly contentType: string;
	readonly ext: string;
	readonly timeFromMessage: boolean;
	readonly multipartThresholdBytes: number;
	readonly partSizeBytes: number;
	readonly partConcurrency: number;
}

const CONTENT_TYPES: Readonly<Record<S3Format, string>> = { ndjson: 'application/x-ndjson', json: 'application/json', raw: 'application/octet-stream' };
const EXTENSIONS: Readonly<Record<S3Format, string>> = { ndjson: 'ndjson', json: 'json', raw: 'bin' };
const MIN_PART = 5 * 1024 * 1024;

/** Validates {@link S3OutputOptions}; throws `ConfigError` naming the first bad option. */
export function resolveS3OutputOptions(options: S3OutputOptions): ResolvedS3OutputOptions {
	if (options === null || typeof options !== 'object') throw new ConfigError('S3Output options', 'must be an object with a client and a bucket');
	const name = options.name ?? 's3';
	if (typeof name !== 'string' || name.length === 0) throw new ConfigError('S3Output.name', 'must be a non-empty string');
	const field = (key: string): string => `S3Output "${name}".${key}`;
	if (options.client === null || typeof options.client !== 'object' || typeof options.client.send !== 'function') {
		throw new ConfigError(field('client'), 'must be an S3 client (an object with send(command)), e.g. new S3Client({...}) from @aws-sdk/client-s3');
	}
	if (typeof options.bucket !== 'string' || options.bucket.length === 0) throw new ConfigError(field('bucket'), 'must be a non-empty string');
	const prefix = options.prefix ?? '';
	if (typeof prefix !== 'string') throw new ConfigError(field('prefix'), 'must be a string');
	const format = options.format ?? 'ndjson';
	if (!S3_FORMATS.includes(format)) throw new ConfigError(field('format'), `must be one of ${S3_FORMATS.join(', ')}, got ${String(format)}`);
	const payloadEncoding = options.payloadEncoding ?? 'base64';
	if (!PAYLOAD_ENCODINGS.includes(payloadEncoding)) {
		throw new ConfigError(field('payloadEncoding'), `must be one of ${PAYLOAD_ENCODINGS.join(', ')}, got ${String(payloadEncoding)}`);
	}
	const separatorOption = options.separator ?? '';
	if (typeof separatorOption !== 'string' && !(separatorOption instanceof Uint8Array)) throw new ConfigError(field('separator'), 'must be a string or bytes');
	if (options.separator !== undefined && format !== 'raw') throw new ConfigError(field('separator'), 'applies only to the raw format');
	const compression = options.compression ?? 'none';
	if (compression !== 'none' && compression !== 'gzip') throw new ConfigError(field('compression'), `must be none or gzip, got ${String(compression)}`);
	const contentType = options.contentType ?? CONTENT_TYPES[format];
	if (typeof contentType !== 'string' || !contentType.includes('/')) throw new ConfigError(field('contentType'), 'must be a media type such as text/plain');
	const extension = options.extension ?? EXTENSIONS[format];
	if (typeof extension !== 'string' || extension.length === 0 || extension.includes('/')) throw new ConfigError(field('extension'), 'must be a non-empty string without "/"');
	const time = options.time ?? 'message';
	if (time !== 'message' && time !== 'now') throw new ConfigError(field('time'), `must be message or now, got ${String(time)}`);
	const gzip = compression === 'gzip';
	return {
		name,
		client: options.client,
		bucket: options.bucket,
		prefix,
		key: new KeyTemplate(options.key ?? '{yyyy}/{MM}/{dd}/{HH}/{ulid}.{ext}', field('key')),
		encoding: {
			format,
			payloadEncoding,
			separator: typeof separatorOption === 'string' ? Buffer.from(separatorOption, 'utf8') : separatorOption,
		},
		gzip,
		gzipLevel: checkInteger(field('gzipLevel'), options.gzipLevel ?? 6, 1, 9),
		contentType,
		ext: gzip ? `${extension}.gz` : extension,
		timeFromMessage: time === 'message',
		multipartThresholdBytes: checkInteger(field('multipartThresholdBytes'), options.multipartThresholdBytes ?? 16 * 1024 * 1024, 1),
		partSizeBytes: checkInteger(field('partSizeBytes'), options.partSizeBytes ?? 8 * 1024 * 1024, MIN_PART),
		partConcurrency: checkInteger(field('partConcurrency'), options.partConcurrency ?? 4, 1, 64),
	};
}

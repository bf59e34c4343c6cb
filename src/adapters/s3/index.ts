/// <reference types="node" preserve="true" />
/**
 * S3 for polku: {@link S3Output} writes each batch as one object (NDJSON of
 * the POLKU JSON event form, a JSON array, or raw payloads; optionally gzip),
 * through your own AWS SDK v3 `S3Client` (peers `@aws-sdk/client-s3` and
 * `@aws-sdk/lib-storage`, imported at the first send).
 *
 * @module polku/s3
 * @packageDocumentation
 */
export type { S3ClientLike } from './client.js';
export { KEY_PLACEHOLDERS } from './key-template.js';
export { S3_FORMATS, type S3Format } from './object-body.js';
export { S3OutputError, s3Retryable } from './s3-errors.js';
export { S3Output, type S3ObjectEvent, type S3OutputEvents, type S3OutputStats } from './s3-output.js';
export type { S3OutputOptions } from './s3-output-options.js';

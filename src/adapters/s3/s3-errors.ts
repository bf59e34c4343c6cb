import { OutputError } from '../../errors.js';

/**
 * A batch's object could not be written. `retryable` is false when trying
 * again cannot help (the SDK answered a 4xx other than 408 / 429, such as
 * `NoSuchBucket` or `AccessDenied`, or the SDK package is missing); pass
 * {@link s3Retryable} as the output's `retry.retryable` so those go straight
 * to the dead letter. `cause` is the SDK's error.
 *
 * @example
 * ```ts
 * import { S3OutputError } from 'polku/s3';
 *
 * hub.on('dead-letter', ({ error }) => {
 *   if (error instanceof S3OutputError) console.error(error.bucket, error.key, error.status);
 * });
 * ```
 */
export class S3OutputError extends OutputError {
	readonly bucket: string;
	/** The object key of the failed write, when it got that far. */
	readonly key: string | undefined;
	/** The HTTP status S3 answered, when it answered. */
	readonly status: number | undefined;
	/** Whether another try may succeed. */
	readonly retryable: boolean;

	constructor(output: string, bucket: string, key: string | undefined, message: string, retryable: boolean, status?: number, cause?: unknown) {
		super(output, message, cause === undefined ? undefined : { cause });
		this.bucket = bucket;
		this.key = key;
		this.status = status;
		this.retryable = retryable;
	}
}

/**
 * A `retry.retryable` predicate for an {@link S3Output}: false for an error
 * marked `retryable: false` (see {@link S3OutputError}), true otherwise.
 *
 * @example
 * ```ts
 * import { S3Output, s3Retryable } from 'polku/s3';
 *
 * hub.output(new S3Output({ client, bucket: 'archive' }), { retry: { attempts: 5, retryable: s3Retryable }, deadLetter: 'dlq' });
 * ```
 */
export function s3Retryable(error: Error): boolean {
	return (error as { retryable?: unknown }).retryable !== false;
}

interface SdkErrorShape {
	readonly name?: unknown;
	readonly message?: unknown;
	readonly $metadata?: { readonly httpStatusCode?: unknown };
}

/** Wraps an SDK failure; 4xx other than 408 and 429 are not retryable. */
export function fromSdkError(output: string, bucket: string, key: string, error: unknown, aborted: boolean): S3OutputError {
	const shape = (error ?? {}) as SdkErrorShape;
	const status = typeof shape.$metadata?.httpStatusCode === 'number' ? shape.$metadata.httpStatusCode : undefined;
	const name = typeof shape.name === 'string' ? shape.name : 'Error';
	const detail = typeof shape.message === 'string' && shape.message !== '' ? `${name}: ${shape.message}` : name;
	const permanent = status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
	const why = aborted ? 'was abandoned by the hub' : `failed (${status === undefined ? '' : `${status} `}${detail})`;
	return new S3OutputError(output, bucket, key, `writing s3://${bucket}/${key} ${why}`, !permanent, status, error);
}

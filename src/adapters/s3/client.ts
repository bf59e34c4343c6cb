import { S3OutputError } from './s3-errors.js';

/**
 * What {@link S3Output} needs of your S3 client: the `send(command, options)`
 * method of the AWS SDK v3 `S3Client` (from `@aws-sdk/client-s3`), so your own
 * configured client (region, credentials, endpoint, retries) plugs in as is.
 *
 * @example
 * ```ts
 * import { S3Client } from '@aws-sdk/client-s3';
 * import type { S3ClientLike } from 'polku/s3';
 *
 * const client: S3ClientLike = new S3Client({ region: 'eu-north-1' });
 * ```
 */
export interface S3ClientLike {
	/** Sends one SDK command; `options.abortSignal` cancels it. */
	send(command: object, options?: { readonly abortSignal?: unknown }): Promise<unknown>;
}

/** The fields of `PutObjectCommandInput` the output sets. */
export interface PutObjectParams {
	readonly Bucket: string;
	readonly Key: string;
	readonly Body: unknown;
	readonly ContentType: string;
	readonly ContentEncoding?: string;
	readonly ContentLength?: number;
	readonly Metadata?: Readonly<Record<string, string>>;
}

/** The part of `@aws-sdk/client-s3` the output uses. */
export interface ClientS3Module {
	readonly PutObjectCommand: new (input: PutObjectParams) => object;
}

/** A running `Upload` of `@aws-sdk/lib-storage`. */
export interface UploadLike {
	done(): Promise<unknown>;
	abort(): Promise<void>;
}

/** The part of `@aws-sdk/lib-storage` the output uses. */
export interface LibStorageModule {
	readonly Upload: new (options: {
		readonly client: unknown;
		readonly params: PutObjectParams;
		readonly partSize: number;
		readonly queueSize: number;
		readonly leavePartsOnError: boolean;
	}) => UploadLike;
}

let clientS3: Promise<ClientS3Module> | undefined;
let libStorage: Promise<LibStorageModule> | undefined;

/**
 * `@aws-sdk/client-s3`, imported at the first send (so `import 'polku/s3'`
 * loads no SDK code); a missing package rejects with an `OutputError` that
 * says what to install and is not retryable.
 */
export function loadClientS3(output: string): Promise<ClientS3Module> {
	clientS3 ??= import('@aws-sdk/client-s3').then((m) => m as unknown as ClientS3Module);
	return clientS3.catch((error: unknown) => {
		clientS3 = undefined;
		throw missingPeer(output, '@aws-sdk/client-s3', error);
	});
}

/** `@aws-sdk/lib-storage`, imported at the first multipart upload; as {@link loadClientS3}. */
export function loadLibStorage(output: string): Promise<LibStorageModule> {
	libStorage ??= import('@aws-sdk/lib-storage').then((m) => m as unknown as LibStorageModule);
	return libStorage.catch((error: unknown) => {
		libStorage = undefined;
		throw missingPeer(output, '@aws-sdk/lib-storage', error);
	});
}

function missingPeer(output: string, pkg: string, cause: unknown): S3OutputError {
	return new S3OutputError(output, '', undefined, `needs the package ${pkg}, which could not be loaded: npm i ${pkg}`, false, undefined, cause);
}

// s3rver ships no types: the part of its API the tests and examples use.
declare module 's3rver' {
	interface S3rverOptions {
		address?: string;
		port?: number;
		silent?: boolean;
		directory?: string;
		resetOnClose?: boolean;
		allowMismatchedSignatures?: boolean;
		vhostBuckets?: boolean;
		configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
	}
	export default class S3rver {
		constructor(options?: S3rverOptions);
		run(): Promise<{ address: string; port: number; family: string }>;
		close(): Promise<void>;
	}
}

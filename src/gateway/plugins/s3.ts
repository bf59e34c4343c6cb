import type { S3ClientLike } from '../../adapters/s3/client.js';
import { envError, integer, oneOf, url, value, type Env } from '../env.js';
import { loadPeer, type GatewayPlugin } from './plugin.js';

interface S3ClientModule {
	S3Client: new (config: Record<string, unknown>) => S3ClientLike & { destroy(): void };
}

/** Credentials and region the AWS SDK would read from the environment, taken from the gateway's env when set there. */
function awsConfig(env: Env, endpoint: string | undefined): Record<string, unknown> {
	const config: Record<string, unknown> = {};
	const region = value(env, 'AWS_REGION') ?? value(env, 'AWS_DEFAULT_REGION');
	if (region !== undefined) config['region'] = region;
	const accessKeyId = value(env, 'AWS_ACCESS_KEY_ID');
	const secretAccessKey = value(env, 'AWS_SECRET_ACCESS_KEY');
	if (accessKeyId !== undefined && secretAccessKey !== undefined) {
		const sessionToken = value(env, 'AWS_SESSION_TOKEN');
		config['credentials'] = { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) };
	}
	if (endpoint !== undefined) {
		config['endpoint'] = endpoint;
		config['forcePathStyle'] = true;
		// S3-compatible servers often lack the SDK's default CRC checksums; ask for them only where S3 requires them.
		config['requestChecksumCalculation'] = 'WHEN_REQUIRED';
		config['responseChecksumValidation'] = 'WHEN_REQUIRED';
		config['region'] ??= 'us-east-1';
	}
	return config;
}

/**
 * `POLKU_S3_BUCKET`: an S3Output writing each batch as one object, through an
 * AWS SDK v3 client (region and credentials from the SDK's usual `AWS_*`
 * variables; `POLKU_S3_ENDPOINT` for an S3-compatible server, path-style).
 */
export const s3Plugin: GatewayPlugin = {
	name: 's3',
	variables: [
		{ name: 'POLKU_S3_BUCKET', description: 'An S3 output writing each batch as one object to this bucket (needs @aws-sdk/client-s3 and @aws-sdk/lib-storage; region and credentials from AWS_*)' },
		{ name: 'POLKU_S3_PREFIX', description: 'Prepended to every object key, e.g. events/', default: '(none)' },
		{ name: 'POLKU_S3_KEY', description: 'The key template after the prefix: {yyyy} {MM} {dd} {HH} {mm} {ss} (UTC, first message time) {ulid} {ext}', default: '{yyyy}/{MM}/{dd}/{HH}/{ulid}.{ext}' },
		{ name: 'POLKU_S3_ENDPOINT', description: 'An S3-compatible server, e.g. http://127.0.0.1:9000 (path-style addressing)', default: 'AWS S3' },
		{ name: 'POLKU_S3_FORMAT', description: 'ndjson (POLKU JSON events, one per line), json (an array) or raw (payloads)', default: 'ndjson' },
		{ name: 'POLKU_S3_COMPRESSION', description: 'none or gzip', default: 'none' },
		{ name: 'POLKU_S3_BATCH_SIZE', description: 'Messages per object', default: '10000 (at most POLKU_BUFFER_CAPACITY)' },
		{ name: 'POLKU_S3_FLUSH_INTERVAL_MS', description: 'Longest wait before a partial batch is written', default: '60000' },
		{ name: 'POLKU_S3_MAX_IN_FLIGHT', description: 'Objects uploading at once (batches may complete out of order)', default: '4' },
	],
	plan(env) {
		const bucket = value(env, 'POLKU_S3_BUCKET');
		if (bucket === undefined) {
			for (const name of ['POLKU_S3_PREFIX', 'POLKU_S3_KEY', 'POLKU_S3_ENDPOINT', 'POLKU_S3_FORMAT', 'POLKU_S3_COMPRESSION', 'POLKU_S3_BATCH_SIZE', 'POLKU_S3_FLUSH_INTERVAL_MS', 'POLKU_S3_MAX_IN_FLIGHT']) {
				if (value(env, name) !== undefined) throw envError(name, 'needs POLKU_S3_BUCKET', env[name]);
			}
			return undefined;
		}
		const endpoint = url(env, 'POLKU_S3_ENDPOINT');
		const format = oneOf(env, 'POLKU_S3_FORMAT', ['ndjson', 'json', 'raw'] as const, 'ndjson', true);
		const compression = oneOf(env, 'POLKU_S3_COMPRESSION', ['none', 'gzip'] as const, 'none', true);
		const capacity = integer(env, 'POLKU_BUFFER_CAPACITY', 100_000, 1, 2 ** 30);
		const batchSize = integer(env, 'POLKU_S3_BATCH_SIZE', Math.min(10_000, capacity), 1, 2 ** 30);
		if (batchSize > capacity) throw envError('POLKU_S3_BATCH_SIZE', `must be at most POLKU_BUFFER_CAPACITY (${capacity})`, env['POLKU_S3_BATCH_SIZE']);
		const flushInterval = integer(env, 'POLKU_S3_FLUSH_INTERVAL_MS', 60_000, 0, 2 ** 31 - 1);
		const maxInFlight = integer(env, 'POLKU_S3_MAX_IN_FLIGHT', 4, 1, 1024);
		const prefix = value(env, 'POLKU_S3_PREFIX') ?? '';
		const key = value(env, 'POLKU_S3_KEY');
		const config = awsConfig(env, endpoint);
		return {
			inputs: [],
			outputs: ['s3'],
			async apply({ builder, logger, onStop }) {
				const sdk = await loadPeer<S3ClientModule>('@aws-sdk/client-s3', 'POLKU_S3_BUCKET');
				await loadPeer<object>('@aws-sdk/lib-storage', 'POLKU_S3_BUCKET');
				const { S3Output, s3Retryable } = await import('../../adapters/s3/index.js');
				const client = new sdk.S3Client(config);
				onStop(() => client.destroy());
				let output;
				try {
					output = new S3Output({ client, bucket, prefix, format, compression, name: 's3', ...(key === undefined ? {} : { key }) });
				} catch (error) {
					// The key template is the only option whose problems the plan cannot see.
					throw envError('POLKU_S3_KEY', (error as Error).message.replace(/^.*?\.key: /, ''), key);
				}
				output.on('object', (e) => logger.debug({ output: 's3', ...e }, 'polku-gateway: object written'));
				builder.output(output, { batchSize, flushInterval, maxInFlight, retry: { attempts: 5, baseDelayMs: 500, maxDelayMs: 30_000, retryable: s3Retryable } });
				logger.info({ output: 's3', bucket, prefix, format, compression, endpoint: endpoint ?? 'aws', batchSize, flushIntervalMs: flushInterval, maxInFlight }, 'polku-gateway: S3 output configured');
			},
		};
	},
};

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import { loadConfig, unknownVariables } from '../../src/gateway/index.js';

function fails(env: Record<string, string>, variable: string, message: string): void {
	assert.throws(
		() => loadConfig(env),
		(error: unknown) => {
			assert.ok(error instanceof ConfigError);
			assert.equal(error.field, variable);
			assert.equal(error.message, message);
			return true;
		},
	);
}

describe('loadConfig', () => {
	it('has the documented defaults', () => {
		assert.deepEqual(loadConfig({}), {
			grpcAddr: '0.0.0.0:50051',
			httpAddr: undefined,
			authTokens: [],
			httpWebhookSecret: undefined,
			httpMaxBodyBytes: 1048576,
			metricsAddr: '127.0.0.1:9090',
			bufferCapacity: 100000,
			batchSize: 100,
			flushIntervalMs: 10,
			overflow: 'block',
			shutdownTimeoutMs: 10000,
			logLevel: 'info',
			logFormat: 'json',
			emitGrpcEndpoints: [],
			emitWebhookUrl: undefined,
			emitWebhookFormat: 'json',
			payloadEncoding: 'base64',
			tlsCert: undefined,
			tlsKey: undefined,
			tlsCa: undefined,
		});
	});

	it('reads every variable', () => {
		const config = loadConfig({
			POLKU_GRPC_ADDR: '[::1]:6000',
			POLKU_HTTP_ADDR: '0.0.0.0:8080',
			POLKU_AUTH_TOKENS: 'a, b',
			POLKU_HTTP_WEBHOOK_SECRET: 's3cret',
			POLKU_HTTP_MAX_BODY_BYTES: '2048',
			POLKU_METRICS_ADDR: '127.0.0.1:0',
			POLKU_BUFFER_CAPACITY: '500',
			POLKU_BATCH_SIZE: '50',
			POLKU_FLUSH_INTERVAL_MS: '0',
			POLKU_OVERFLOW: 'drop-oldest',
			POLKU_SHUTDOWN_TIMEOUT_MS: '2500',
			POLKU_LOG_LEVEL: 'DEBUG',
			POLKU_LOG_FORMAT: 'pretty',
			POLKU_EMIT_GRPC_ENDPOINTS: 'a:1, b:2,dns:///c:3',
			POLKU_EMIT_WEBHOOK_URL: 'https://hooks.example.test/x?y=1',
			POLKU_EMIT_WEBHOOK_FORMAT: 'ndjson',
			POLKU_PAYLOAD_ENCODING: 'utf8',
		});
		assert.deepEqual(config, {
			grpcAddr: '[::1]:6000',
			httpAddr: '0.0.0.0:8080',
			authTokens: ['a', 'b'],
			httpWebhookSecret: 's3cret',
			httpMaxBodyBytes: 2048,
			metricsAddr: '127.0.0.1:0',
			bufferCapacity: 500,
			batchSize: 50,
			flushIntervalMs: 0,
			overflow: 'drop-oldest',
			shutdownTimeoutMs: 2500,
			logLevel: 'debug',
			logFormat: 'pretty',
			emitGrpcEndpoints: ['a:1', 'b:2', 'dns:///c:3'],
			emitWebhookUrl: 'https://hooks.example.test/x?y=1',
			emitWebhookFormat: 'ndjson',
			payloadEncoding: 'utf8',
			tlsCert: undefined,
			tlsKey: undefined,
			tlsCa: undefined,
		});
	});

	it('turns servers off with "off"; an empty metrics address disables it too', () => {
		const c = loadConfig({ POLKU_GRPC_ADDR: 'off', POLKU_HTTP_ADDR: 'OFF', POLKU_METRICS_ADDR: '' });
		assert.deepEqual([c.grpcAddr, c.httpAddr, c.metricsAddr], [undefined, undefined, undefined]);
		assert.equal(loadConfig({ POLKU_METRICS_ADDR: 'off' }).metricsAddr, undefined);
		assert.equal(loadConfig({ POLKU_GRPC_ADDR: '', POLKU_HTTP_ADDR: '  ' }).grpcAddr, '0.0.0.0:50051', 'empty is unset elsewhere');
	});

	it('keeps the batch size within a small buffer by default', () => {
		assert.equal(loadConfig({ POLKU_BUFFER_CAPACITY: '10' }).batchSize, 10);
	});

	it('names the variable and the value in one line', () => {
		fails({ POLKU_BUFFER_CAPACITY: 'abc' }, 'POLKU_BUFFER_CAPACITY', 'POLKU_BUFFER_CAPACITY must be a positive integer, got "abc"');
		fails({ POLKU_BUFFER_CAPACITY: '0' }, 'POLKU_BUFFER_CAPACITY', 'POLKU_BUFFER_CAPACITY must be a positive integer, got "0"');
		fails({ POLKU_BUFFER_CAPACITY: '-5' }, 'POLKU_BUFFER_CAPACITY', 'POLKU_BUFFER_CAPACITY must be a positive integer, got "-5"');
		fails({ POLKU_BUFFER_CAPACITY: '1.5' }, 'POLKU_BUFFER_CAPACITY', 'POLKU_BUFFER_CAPACITY must be a positive integer, got "1.5"');
		fails({ POLKU_BUFFER_CAPACITY: '1e3' }, 'POLKU_BUFFER_CAPACITY', 'POLKU_BUFFER_CAPACITY must be a positive integer, got "1e3"');
		fails(
			{ POLKU_BUFFER_CAPACITY: '9999999999' },
			'POLKU_BUFFER_CAPACITY',
			'POLKU_BUFFER_CAPACITY must be a positive integer no larger than 1073741824, got "9999999999"',
		);
		fails({ POLKU_BATCH_SIZE: '0' }, 'POLKU_BATCH_SIZE', 'POLKU_BATCH_SIZE must be a positive integer, got "0"');
		fails({ POLKU_BUFFER_CAPACITY: '10', POLKU_BATCH_SIZE: '11' }, 'POLKU_BATCH_SIZE', 'POLKU_BATCH_SIZE must be at most POLKU_BUFFER_CAPACITY (10), got "11"');
		fails({ POLKU_FLUSH_INTERVAL_MS: '-1' }, 'POLKU_FLUSH_INTERVAL_MS', 'POLKU_FLUSH_INTERVAL_MS must be a non-negative integer, got "-1"');
		fails({ POLKU_SHUTDOWN_TIMEOUT_MS: 'soon' }, 'POLKU_SHUTDOWN_TIMEOUT_MS', 'POLKU_SHUTDOWN_TIMEOUT_MS must be a non-negative integer, got "soon"');
		fails({ POLKU_HTTP_MAX_BODY_BYTES: '0' }, 'POLKU_HTTP_MAX_BODY_BYTES', 'POLKU_HTTP_MAX_BODY_BYTES must be a positive integer, got "0"');
		fails({ POLKU_LOG_LEVEL: 'verbose' }, 'POLKU_LOG_LEVEL', 'POLKU_LOG_LEVEL must be one of trace|debug|info|warn|error|silent, got "verbose"');
		fails({ POLKU_LOG_FORMAT: 'xml' }, 'POLKU_LOG_FORMAT', 'POLKU_LOG_FORMAT must be one of json|pretty, got "xml"');
		fails({ POLKU_OVERFLOW: 'Block' }, 'POLKU_OVERFLOW', 'POLKU_OVERFLOW must be one of block|drop-newest|drop-oldest, got "Block"');
		fails({ POLKU_EMIT_WEBHOOK_FORMAT: 'csv' }, 'POLKU_EMIT_WEBHOOK_FORMAT', 'POLKU_EMIT_WEBHOOK_FORMAT must be one of json|ndjson, got "csv"');
		fails({ POLKU_PAYLOAD_ENCODING: 'hex' }, 'POLKU_PAYLOAD_ENCODING', 'POLKU_PAYLOAD_ENCODING must be one of base64|utf8|json, got "hex"');
		for (const bad of ['8080', 'localhost', 'host:99999', ':80', 'a b:1', '::1:80']) {
			fails({ POLKU_GRPC_ADDR: bad }, 'POLKU_GRPC_ADDR', `POLKU_GRPC_ADDR must be host:port (port 0-65535, IPv6 in brackets) or off, got ${JSON.stringify(bad)}`);
		}
		fails({ POLKU_HTTP_ADDR: 'x' }, 'POLKU_HTTP_ADDR', 'POLKU_HTTP_ADDR must be host:port (port 0-65535, IPv6 in brackets) or off, got "x"');
		fails({ POLKU_METRICS_ADDR: 'x' }, 'POLKU_METRICS_ADDR', 'POLKU_METRICS_ADDR must be host:port (port 0-65535, IPv6 in brackets) or off, got "x"');
		fails({ POLKU_EMIT_WEBHOOK_URL: 'example.test/x' }, 'POLKU_EMIT_WEBHOOK_URL', 'POLKU_EMIT_WEBHOOK_URL must be an absolute http(s) URL, got "example.test/x"');
		fails({ POLKU_EMIT_WEBHOOK_URL: 'ftp://x/' }, 'POLKU_EMIT_WEBHOOK_URL', 'POLKU_EMIT_WEBHOOK_URL must be an absolute http(s) URL, got "ftp://x/"');
		fails(
			{ POLKU_EMIT_GRPC_ENDPOINTS: 'a:1,,b:2' },
			'POLKU_EMIT_GRPC_ENDPOINTS',
			'POLKU_EMIT_GRPC_ENDPOINTS must be a comma-separated list without empty entries, got "a:1,,b:2"',
		);
		fails(
			{ POLKU_EMIT_GRPC_ENDPOINTS: 'a:1,b' },
			'POLKU_EMIT_GRPC_ENDPOINTS',
			'POLKU_EMIT_GRPC_ENDPOINTS must be comma-separated host:port endpoints (bad entry "b"), got "a:1,b"',
		);
		fails({ POLKU_AUTH_TOKENS: 'a,' }, 'POLKU_AUTH_TOKENS', 'POLKU_AUTH_TOKENS must be a comma-separated list without empty entries, got "a,"');
	});

	it('is pure: the same env gives the same config, and env is not touched', () => {
		const env = Object.freeze({ POLKU_BUFFER_CAPACITY: '7' });
		assert.deepEqual(loadConfig(env), loadConfig(env));
	});

	it('lists unknown POLKU_ variables', () => {
		assert.deepEqual(unknownVariables({ POLKU_BUFER_CAPACITY: '1', POLKU_GRPC_ADDR: 'off', PATH: '/bin' }), ['POLKU_BUFER_CAPACITY']);
	});
});

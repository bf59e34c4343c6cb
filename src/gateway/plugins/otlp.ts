import { address, envError, integer, list, oneOf, url, value, type Env } from '../env.js';
import type { GatewayPlugin } from './plugin.js';

/** `key=value,key2=value2` (the `OTEL_EXPORTER_OTLP_HEADERS` form; values percent-decoded). */
function headers(env: Env, name: string): Record<string, string> {
	const out: Record<string, string> = {};
	for (const item of list(env, name)) {
		const eq = item.indexOf('=');
		const key = eq === -1 ? '' : item.slice(0, eq).trim();
		if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) throw envError(name, 'must be comma-separated key=value headers', env[name]);
		let decoded: string;
		try {
			decoded = decodeURIComponent(item.slice(eq + 1).trim());
		} catch {
			throw envError(name, 'must be comma-separated key=value headers (values percent-encoded)', env[name]);
		}
		out[key] = decoded;
	}
	return out;
}

/**
 * `POLKU_OTLP_ENDPOINT`: an OTLP logs output (HTTP/protobuf) to a collector;
 * `POLKU_OTLP_ADDR`: an OTLP/HTTP receiver. No peer library: polku encodes
 * OTLP itself.
 */
export const otlpPlugin: GatewayPlugin = {
	name: 'otlp',
	variables: [
		{ name: 'POLKU_OTLP_ENDPOINT', description: 'An OTLP logs output (HTTP/protobuf) to this collector base URL; logs go to /v1/logs, OTLP pass-through to /v1/traces and /v1/metrics' },
		{ name: 'POLKU_OTLP_HEADERS', description: 'Request headers of the OTLP output, key=value comma-separated (as OTEL_EXPORTER_OTLP_HEADERS)', default: '(none)' },
		{ name: 'POLKU_OTLP_COMPRESSION', description: 'none or gzip, for the OTLP output', default: 'none' },
		{ name: 'POLKU_OTLP_SERVICE_NAME', description: 'The service.name resource attribute of the OTLP output', default: 'polku-gateway' },
		{ name: 'POLKU_OTLP_ADDR', description: 'An OTLP/HTTP input (/v1/logs, /v1/traces, /v1/metrics; protobuf and JSON) listening there, e.g. 0.0.0.0:4318; POLKU_AUTH_TOKENS apply' },
		{ name: 'POLKU_OTLP_MAX_BODY_BYTES', description: 'Largest OTLP request, before and after gzip', default: '4194304' },
	],
	plan(env) {
		const endpoint = url(env, 'POLKU_OTLP_ENDPOINT');
		const addr = address(env, 'POLKU_OTLP_ADDR', undefined, true);
		if (endpoint === undefined) {
			for (const name of ['POLKU_OTLP_HEADERS', 'POLKU_OTLP_COMPRESSION', 'POLKU_OTLP_SERVICE_NAME']) {
				if (value(env, name) !== undefined) throw envError(name, 'needs POLKU_OTLP_ENDPOINT', env[name]);
			}
		}
		if (addr === undefined && value(env, 'POLKU_OTLP_MAX_BODY_BYTES') !== undefined) throw envError('POLKU_OTLP_MAX_BODY_BYTES', 'needs POLKU_OTLP_ADDR', env['POLKU_OTLP_MAX_BODY_BYTES']);
		if (endpoint === undefined && addr === undefined) return undefined;
		const outputHeaders = headers(env, 'POLKU_OTLP_HEADERS');
		const compression = oneOf(env, 'POLKU_OTLP_COMPRESSION', ['none', 'gzip'] as const, 'none', true);
		const serviceName = value(env, 'POLKU_OTLP_SERVICE_NAME') ?? 'polku-gateway';
		const maxBodyBytes = integer(env, 'POLKU_OTLP_MAX_BODY_BYTES', 4 * 1024 * 1024, 1, 2 ** 31 - 1);
		const tokens = list(env, 'POLKU_AUTH_TOKENS');
		return {
			inputs: addr === undefined ? [] : ['otlp'],
			outputs: endpoint === undefined ? [] : ['otlp'],
			async apply({ builder, logger }) {
				const otlp = await import('../../adapters/otlp/index.js');
				if (endpoint !== undefined) {
					const output = new otlp.OtlpLogsOutput({ endpoint, headers: outputHeaders, compression, serviceName, logger, name: 'otlp' });
					builder.output(output, { retry: { attempts: 5, baseDelayMs: 200, maxDelayMs: 30_000, retryable: otlp.otlpRetryable } });
				}
				if (addr !== undefined) {
					builder.input(new otlp.OtlpInput({ address: addr, maxBodyBytes, logger, name: 'otlp', ...(tokens.length > 0 ? { auth: tokens } : {}) }));
				}
				logger.info({ endpoint, address: addr }, 'polku-gateway: OTLP configured');
			},
		};
	},
};

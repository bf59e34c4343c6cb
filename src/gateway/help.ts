import { unknownVariables, VARIABLES } from './config.js';
import type { Env } from './env.js';
import type { GatewayVariable } from './plugins/plugin.js';
import { PLUGINS } from './plugins/index.js';

/**
 * The gateway's own variables as `--help` and the README table describe them.
 * A variable `loadConfig` reads that is missing here is still listed (without
 * a description; the help test fails on it). Adapter plugins describe their
 * own variables (`GatewayPlugin.variables`).
 */
const CORE_VARIABLES: readonly GatewayVariable[] = [
	{ name: 'POLKU_GRPC_ADDR', default: '0.0.0.0:50051', description: 'gRPC input (polku.v1.Gateway); needs @grpc/grpc-js installed beside polku; off disables it' },
	{ name: 'POLKU_HTTP_ADDR', default: 'off', description: 'HTTP input (POST /events, see polku/http), e.g. 0.0.0.0:8080' },
	{ name: 'POLKU_AUTH_TOKENS', default: 'none', description: 'comma-separated bearer tokens both inputs require' },
	{ name: 'POLKU_HTTP_WEBHOOK_SECRET', default: 'none', description: 'HMAC-SHA256 secret checked against X-Hub-Signature-256' },
	{ name: 'POLKU_HTTP_MAX_BODY_BYTES', default: '1048576', description: 'largest HTTP body; larger ones get 413' },
	{ name: 'POLKU_TLS_CERT', default: 'none (plaintext)', description: 'PEM certificate file: with POLKU_TLS_KEY the gRPC and HTTP inputs serve TLS' },
	{ name: 'POLKU_TLS_KEY', default: 'none', description: 'PEM private key file of POLKU_TLS_CERT' },
	{ name: 'POLKU_TLS_CA', default: 'none', description: 'PEM CA file: clients of both inputs must present a certificate it signed' },
	{ name: 'POLKU_METRICS_ADDR', default: '127.0.0.1:9090', description: '/metrics (Prometheus text), /health, /pipeline; empty or off disables it' },
	{ name: 'POLKU_BUFFER_CAPACITY', default: '100000', description: 'messages the buffer holds' },
	{ name: 'POLKU_BATCH_SIZE', default: '100', description: 'largest batch per output send' },
	{ name: 'POLKU_FLUSH_INTERVAL_MS', default: '10', description: 'longest wait before a partial batch is sent' },
	{ name: 'POLKU_OVERFLOW', default: 'block', description: 'when the buffer is full: block, drop-newest or drop-oldest' },
	{ name: 'POLKU_SHUTDOWN_TIMEOUT_MS', default: '10000', description: 'how long SIGTERM drains before dropping' },
	{ name: 'POLKU_EMIT_GRPC_ENDPOINTS', default: 'none', description: 'comma-separated downstream gateways (GrpcOutput), e.g. polku-a:50051,polku-b:50051' },
	{ name: 'POLKU_EMIT_WEBHOOK_URL', default: 'none', description: 'POST each batch to this URL (WebhookOutput)' },
	{ name: 'POLKU_EMIT_WEBHOOK_FORMAT', default: 'json', description: 'webhook body: json or ndjson' },
	{ name: 'POLKU_PAYLOAD_ENCODING', default: 'base64', description: 'payloads in the stdout and webhook JSON: base64, utf8 or json' },
	{ name: 'POLKU_LOG_LEVEL', default: 'info', description: 'trace, debug, info, warn, error or silent' },
	{ name: 'POLKU_LOG_FORMAT', default: 'json', description: 'json or pretty; logs go to stderr' },
];

/** One section of the variable list: the gateway's own, or one adapter plugin's. */
export interface VariableSection {
	readonly title: string;
	readonly variables: readonly GatewayVariable[];
}

/** Every variable the gateway knows, described: its own first, then each adapter plugin's. */
export function variableSections(): VariableSection[] {
	const described = new Map(CORE_VARIABLES.map((v) => [v.name, v]));
	const core = VARIABLES.map((name) => described.get(name) ?? { name, description: '' });
	return [{ title: 'Gateway', variables: core }, ...PLUGINS.map((p) => ({ title: `Adapter: ${p.name}`, variables: p.variables }))];
}

/** The names of every variable the gateway knows. */
export function knownVariables(): string[] {
	return variableSections().flatMap((s) => s.variables.map((v) => v.name));
}

/** The text of `polku-gateway --help`. */
export function helpText(version: string): string {
	const sections = variableSections();
	const width = Math.max(...sections.flatMap((s) => s.variables.map((v) => v.name.length)));
	const lines = [
		`polku-gateway ${version}: the polku gateway, configured by POLKU_* environment variables.`,
		'',
		'Usage: polku-gateway [--help | --version]',
		'',
		'Inputs (gRPC, HTTP, adapters) feed one bounded buffer, batched out to the outputs; with no output',
		'configured, every message is printed to stdout as one JSON line. SIGTERM / SIGINT drain the buffer',
		'(up to POLKU_SHUTDOWN_TIMEOUT_MS) and exit 0. Logs go to stderr.',
		'',
		'Options:',
		'  -h, --help     print this help and exit',
		'  -v, --version  print the version and exit',
	];
	for (const section of sections) {
		if (section.variables.length === 0) continue;
		lines.push('', `${section.title} variables [default]:`);
		for (const v of section.variables) {
			const fallback = v.default === undefined ? '' : ` [${v.default}]`;
			lines.push(`  ${v.name.padEnd(width)}  ${v.description}${fallback}`);
		}
	}
	lines.push(
		'',
		'Unknown POLKU_* variables are reported as warnings (with the nearest known name).',
		'Exit codes: 0 clean stop, 1 cannot start (a port in use), 2 invalid configuration or arguments,',
		'130 / 143 a second SIGINT / SIGTERM during the drain.',
		'',
	);
	return lines.join('\n');
}

/** An unknown `POLKU_*` variable, and the known one it most likely meant. */
export interface UnknownVariable {
	readonly variable: string;
	readonly suggestion: string | undefined;
}

/** Every `POLKU_*` variable in `env` the gateway does not know, each with the nearest known name (if one is close). */
export function unknownVariableWarnings(env: Env): UnknownVariable[] {
	const known = knownVariables();
	return unknownVariables(env).map((variable) => ({ variable, suggestion: nearest(variable, known) }));
}

/** The known name closest to `name` (optimal string alignment distance ≤ 3, and less than a third of the name). */
export function nearest(name: string, known: readonly string[]): string | undefined {
	let best: string | undefined;
	let bestDistance = Math.min(3, Math.floor((name.length - 'POLKU_'.length) / 3));
	for (const candidate of known) {
		const d = distance(name, candidate);
		if (d <= bestDistance && (best === undefined || d < distance(name, best))) {
			best = candidate;
			bestDistance = d;
		}
	}
	return best;
}

/** Edit distance with adjacent transpositions (optimal string alignment). */
function distance(a: string, b: string): number {
	const rows = a.length + 1;
	const cols = b.length + 1;
	const d = new Array<number>(rows * cols).fill(0);
	for (let i = 0; i < rows; i++) d[i * cols] = i;
	for (let j = 0; j < cols; j++) d[j] = j;
	for (let i = 1; i < rows; i++) {
		for (let j = 1; j < cols; j++) {
			const cost = a[i - 1] === b[j - 1] ? 0 : 1;
			let v = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost);
			if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[(i - 2) * cols + j - 2]! + 1);
			d[i * cols + j] = v;
		}
	}
	return d[rows * cols - 1]!;
}

import { formatAddress, parseAddress } from '../adapters/http/address.js';
import { HttpInput } from '../adapters/http/http-input.js';
import { WebhookOutput } from '../adapters/http/webhook-output.js';
import { PolkuError } from '../errors.js';
import { HubBuilder } from '../hub/hub.js';
import type { StopEvent } from '../hub/events.js';
import type { Hub } from '../hub/hub.js';
import type { OutputOptions } from '../hub/options.js';
import type { Output } from '../output/output.js';
import { AdminServer } from './admin-server.js';
import { loadConfig, type GatewayConfig } from './config.js';
import { unknownVariableWarnings } from './help.js';
import { createLogger, type GatewayLogger } from './logger.js';
import { planPlugins } from './plugins/index.js';
import { handleSignals } from './signals.js';
import { StdoutOutput, type LineStream } from './stdout-output.js';
import { readGatewayTls } from './tls-files.js';

/**
 * What a {@link run} `configure` callback gets: the hub builder the
 * environment produced (buffer, batching, overflow, logger and the
 * `POLKU_EMIT_*` outputs already set), the configuration and the logger.
 *
 * @example
 * ```ts
 * const configure = ({ builder, config, logger }: GatewayContext) => {
 *   logger.info({ capacity: config.bufferCapacity }, 'composing');
 *   builder.middleware(myMiddleware).output(myOutput);
 * };
 * ```
 */
export interface GatewayContext {
	readonly builder: HubBuilder;
	readonly config: GatewayConfig;
	readonly logger: GatewayLogger;
}

/**
 * Composes the pipeline in code: add middleware, inputs and outputs to
 * `builder`. May be async; the return value is ignored.
 *
 * @example
 * ```ts
 * const configure: GatewayConfigure = ({ builder }) => builder.middleware(enrich).output(warehouse);
 * ```
 */
export type GatewayConfigure = (context: GatewayContext) => unknown;

/**
 * Options of {@link run}.
 *
 * @example
 * ```ts
 * await run(configure, { grpcInput: false, env: { ...process.env, POLKU_HTTP_ADDR: '0.0.0.0:8080' } });
 * ```
 */
export interface RunOptions {
	/** Where the configuration is read from. @default process.env */
	readonly env?: Readonly<Record<string, string | undefined>>;
	/** Add the gRPC input of `POLKU_GRPC_ADDR`. @default true */
	readonly grpcInput?: boolean;
	/** Add the HTTP input of `POLKU_HTTP_ADDR` (when set). @default true */
	readonly httpInput?: boolean;
	/** Stop on SIGTERM / SIGINT and exit (see {@link Gateway.stop}). @default true */
	readonly handleSignals?: boolean;
	/** @default a logger from POLKU_LOG_LEVEL / POLKU_LOG_FORMAT, to stderr */
	readonly logger?: GatewayLogger;
	/** Where the default stdout output writes. @default process.stdout */
	readonly stdout?: LineStream;
	/** Called with the exit code after a signal. @default process.exit */
	readonly exit?: (code: number) => void;
}

/**
 * Where a running gateway listens (`host:port`, with the bound port).
 *
 * @example
 * ```ts
 * const { addresses } = await run();
 * console.log(addresses.http); // '0.0.0.0:8080'
 * ```
 */
export interface GatewayAddresses {
	readonly grpc?: string;
	readonly http?: string;
	readonly metrics?: string;
}

/**
 * A running gateway.
 *
 * @example
 * ```ts
 * const gateway = await run(undefined, { handleSignals: false });
 * await gateway.hub.send({ source: 'self', messageType: 'hello' });
 * await gateway.stop();
 * ```
 */
export interface Gateway {
	readonly hub: Hub;
	readonly config: GatewayConfig;
	readonly logger: GatewayLogger;
	readonly addresses: GatewayAddresses;
	/** Drains the hub (up to `POLKU_SHUTDOWN_TIMEOUT_MS`) and closes the servers. Idempotent. */
	stop(): Promise<StopEvent>;
}

/** A HubBuilder that knows whether any output was added. */
class GatewayBuilder extends HubBuilder {
	outputs = 0;

	override output(output: Output, options?: OutputOptions): this {
		this.outputs++;
		return super.output(output, options);
	}
}

/**
 * Runs the polku gateway: reads the environment ({@link loadConfig}), builds
 * the hub with the `POLKU_EMIT_*` outputs, lets `configure` add to it, adds the
 * gRPC input (`POLKU_GRPC_ADDR`) and the HTTP input (`POLKU_HTTP_ADDR`), both
 * over TLS when `POLKU_TLS_CERT` / `POLKU_TLS_KEY` are set (client
 * certificates signed by `POLKU_TLS_CA` required when that is set too), and a
 * stdout JSON-lines output when no output was added; starts it, serves
 * `/metrics`, `/health` and `/pipeline` on `POLKU_METRICS_ADDR`, logs one
 * `polku-gateway started` line with the bound addresses, and stops cleanly on
 * SIGTERM / SIGINT. Rejects with a `ConfigError` (naming the variable) for bad
 * configuration, or with the error that kept a server from listening.
 *
 * @param configure - Composes the pipeline in code (optional).
 * @param options - See {@link RunOptions}.
 * @returns The running gateway.
 * @example
 * ```ts
 * import { run } from 'polku/gateway';
 * import { withMetadata } from 'polku';
 *
 * await run(({ builder }) =>
 *   builder.middleware({ name: 'tag', process: (m) => withMetadata(m, { via: 'gateway' }) }).output(myOutput),
 * );
 * ```
 */
export async function run(configure?: GatewayConfigure, options: RunOptions = {}): Promise<Gateway> {
	const env = options.env ?? process.env;
	const config = loadConfig(env);
	const tls = readGatewayTls(config);
	const plans = planPlugins(env);
	const logger = options.logger ?? createLogger({ level: config.logLevel, format: config.logFormat });
	for (const { variable, suggestion } of unknownVariableWarnings(env)) {
		logger.warn({ variable, ...(suggestion === undefined ? {} : { suggestion }) }, `polku-gateway: unknown variable ${variable} ignored${suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`}`);
	}

	let hubRef: Hub | undefined;
	const builder = new GatewayBuilder()
		.bufferCapacity(config.bufferCapacity)
		.batchSize(config.batchSize)
		.flushInterval(config.flushIntervalMs)
		.overflow(config.overflow)
		.logger(logger);
	const grpc = config.emitGrpcEndpoints.length > 0 || (options.grpcInput !== false && config.grpcAddr !== undefined) ? await loadGrpc() : undefined;
	if (config.emitGrpcEndpoints.length > 0) builder.output(new grpc!.GrpcOutput({ endpoints: config.emitGrpcEndpoints, name: 'grpc' }));
	if (config.emitWebhookUrl !== undefined) {
		builder.output(new WebhookOutput({ url: config.emitWebhookUrl, format: config.emitWebhookFormat, payloadEncoding: config.payloadEncoding, name: 'webhook' }));
	}
	await configure?.({ builder, config, logger });
	const closers: (() => unknown)[] = [];
	try {
		for (const plan of plans) await plan.apply({ builder, logger, onStop: (close) => closers.push(close) });
	} catch (error) {
		await closeAll(closers, config.shutdownTimeoutMs, logger);
		throw error;
	}

	const grpcInput =
		options.grpcInput !== false && config.grpcAddr !== undefined
			? new grpc!.GrpcInput({
					address: config.grpcAddr,
					name: 'grpc',
					logger,
					health: grpc!.hubHealth(() => hubRef!),
					...(config.authTokens.length > 0 ? { auth: grpc!.bearerToken(config.authTokens) } : {}),
					...(tls === undefined ? {} : { tls: { key: tls.key, cert: tls.cert, ...(tls.ca === undefined ? {} : { ca: tls.ca }) } }),
				})
			: undefined;
	const httpInput =
		options.httpInput !== false && config.httpAddr !== undefined
			? new HttpInput({
					address: config.httpAddr,
					name: 'http',
					maxBodyBytes: config.httpMaxBodyBytes,
					logger,
					...(config.authTokens.length > 0 ? { auth: config.authTokens } : {}),
					...(config.httpWebhookSecret === undefined ? {} : { webhookSecret: config.httpWebhookSecret }),
					...(tls === undefined ? {} : { tls: { key: tls.key, cert: tls.cert, ...(tls.ca === undefined ? {} : { ca: tls.ca }) } }),
				})
			: undefined;
	if (grpcInput !== undefined) builder.input(grpcInput);
	if (httpInput !== undefined) builder.input(httpInput);
	if (builder.outputs === 0) builder.output(new StdoutOutput({ payloadEncoding: config.payloadEncoding, ...(options.stdout === undefined ? {} : { stream: options.stdout }) }));

	const hub = builder.build();
	hubRef = hub;
	const admin = config.metricsAddr === undefined ? undefined : new AdminServer(hub, logger);
	let uninstall: (() => void) | undefined;
	let stopping: Promise<StopEvent> | undefined;
	const stop = (): Promise<StopEvent> =>
		(stopping ??= (async () => {
			// signal handlers stay during the drain: a second signal exits at once
			const event = await hub.stop({ timeoutMs: config.shutdownTimeoutMs });
			await admin?.close();
			await closeAll(closers, config.shutdownTimeoutMs, logger);
			const lost = Object.values(hub.stats().dropped).reduce((a, b) => a + b, 0);
			const fields = { ...event, droppedBeforeBuffer: lost };
			if (event.drained) logger.info(fields, 'polku-gateway stopped');
			else logger.warn(fields, 'polku-gateway stopped before the buffer drained; the rest was dropped');
			uninstall?.();
			return event;
		})());

	await hub.start();
	let addresses: GatewayAddresses;
	try {
		const [grpcPort, httpPort, metricsPort] = await Promise.all([
			grpcInput?.ready.then((a) => a.port),
			httpInput?.ready.then((a) => a.port),
			config.metricsAddr === undefined ? undefined : admin!.listen(config.metricsAddr),
		]);
		addresses = {
			...(grpcPort === undefined ? {} : { grpc: bound(config.grpcAddr!, grpcPort) }),
			...(httpPort === undefined ? {} : { http: bound(config.httpAddr!, httpPort) }),
			...(metricsPort === undefined ? {} : { metrics: bound(config.metricsAddr!, metricsPort) }),
		};
	} catch (error) {
		await stop();
		throw error;
	}
	// before the line that tells a supervisor the gateway is up, so a signal right after it is handled
	if (options.handleSignals !== false) uninstall = handleSignals(stop, logger, options.exit ?? ((code) => process.exit(code)));
	const stats = hub.stats();
	logger.info(
		{
			...addresses,
			tls: tls === undefined ? 'off' : tls.ca === undefined ? 'server' : 'mutual',
			inputs: Object.keys(stats.inputs),
			outputs: Object.keys(stats.outputs),
			bufferCapacity: config.bufferCapacity,
			pid: process.pid,
		},
		'polku-gateway started',
	);
	return { hub, config, logger, addresses, stop };
}

/** Runs the plugins' close hooks, newest first, each bounded by `timeoutMs`; failures are logged. */
async function closeAll(closers: (() => unknown)[], timeoutMs: number, logger: GatewayLogger): Promise<void> {
	for (const close of closers.splice(0).reverse()) {
		let timer: NodeJS.Timeout | undefined;
		try {
			await Promise.race([
				close(),
				new Promise((_, reject) => {
					timer = setTimeout(() => reject(new Error(`did not finish within ${timeoutMs} ms`)), Math.max(1000, timeoutMs));
				}),
			]);
		} catch (error) {
			logger.warn({ err: error }, 'polku-gateway: closing an adapter client failed');
		} finally {
			clearTimeout(timer);
		}
	}
}

function bound(address: string, port: number): string {
	return formatAddress(parseAddress(address, 'address').host, port);
}

type GrpcModule = typeof import('../adapters/grpc/index.js');

/** Loads the gRPC adapter only when it is used (it needs @grpc/grpc-js). */
async function loadGrpc(): Promise<GrpcModule> {
	try {
		return await import('../adapters/grpc/index.js');
	} catch (error) {
		const code = (error as { code?: unknown }).code;
		if (code !== 'ERR_MODULE_NOT_FOUND') throw error;
		throw new PolkuError(
			'ERR_POLKU_GATEWAY_GRPC',
			'the gRPC input/output needs @grpc/grpc-js (npm i @grpc/grpc-js); set POLKU_GRPC_ADDR=off to run without gRPC',
			{ cause: error },
		);
	}
}

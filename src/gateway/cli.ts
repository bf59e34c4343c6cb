#!/usr/bin/env node
/**
 * The `polku-gateway` command: runs the gateway configured by `POLKU_*`
 * environment variables. Exit codes: 0 after a clean stop (SIGTERM / SIGINT),
 * 2 for invalid configuration (one line on stderr naming the variable),
 * 1 when it cannot start, 130 / 143 on a second signal.
 *
 * @packageDocumentation
 */
import { ConfigError } from '../errors.js';
import { loadConfig } from './config.js';
import { planPlugins } from './plugins/index.js';
import { run } from './run.js';

try {
	const config = loadConfig(process.env);
	const pluginInputs = planPlugins(process.env).flatMap((plan) => plan.inputs);
	if (config.grpcAddr === undefined && config.httpAddr === undefined && pluginInputs.length === 0) {
		const error = new ConfigError('POLKU_GRPC_ADDR', 'is off and no other input is configured: the gateway would have no input');
		error.message = 'POLKU_GRPC_ADDR is off and no other input is configured (POLKU_HTTP_ADDR, a broker input): the gateway would have no input';
		throw error;
	}
	await run();
} catch (error) {
	const config = error instanceof ConfigError;
	const message = error instanceof Error ? error.message : String(error);
	process.stderr.write(`polku-gateway: ${config ? '' : 'cannot start: '}${message.replace(/\s*\n\s*/g, ' ')}\n`);
	process.exitCode = config ? 2 : 1;
	// Servers that did bind were closed by run(); nothing else keeps the process alive.
	setTimeout(() => process.exit(), 1000).unref();
}

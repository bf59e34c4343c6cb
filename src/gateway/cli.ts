#!/usr/bin/env node
/**
 * The `polku-gateway` command: runs the gateway configured by `POLKU_*`
 * environment variables. `--help` lists every variable, `--version` prints the
 * version. Exit codes: 0 after a clean stop (SIGTERM / SIGINT), 2 for invalid
 * configuration or arguments (one line on stderr naming the variable),
 * 1 when it cannot start, 130 / 143 on a second signal.
 *
 * @packageDocumentation
 */
import { createRequire } from 'node:module';
import { ConfigError } from '../errors.js';
import { loadConfig } from './config.js';
import { helpText, unknownVariableWarnings } from './help.js';
import { planPlugins } from './plugins/index.js';
import { run } from './run.js';

const say = (line: string): boolean => process.stderr.write(`polku-gateway: ${line}\n`);

/** Warns about unknown `POLKU_*` variables, for the paths that exit without run() (which logs them itself). */
function warnUnknownVariables(): void {
	for (const { variable, suggestion } of unknownVariableWarnings(process.env)) {
		say(`warning: unknown variable ${variable} ignored${suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`}`);
	}
}

function version(): string {
	// dist/gateway/cli.js and src/gateway/cli.ts both sit two levels below package.json
	return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
}

const args = process.argv.slice(2);
const unknown = args.find((a) => !['-h', '--help', '-v', '--version'].includes(a));
if (unknown !== undefined) {
	warnUnknownVariables();
	say(`unknown argument ${JSON.stringify(unknown)}: the gateway is configured by POLKU_* environment variables (see polku-gateway --help)`);
	process.exitCode = 2;
} else if (args.includes('-h') || args.includes('--help')) {
	warnUnknownVariables();
	process.stdout.write(helpText(version()));
} else if (args.length > 0) {
	warnUnknownVariables();
	process.stdout.write(`${version()}\n`);
} else {
	let started = false;
	try {
		const config = loadConfig(process.env);
		const pluginInputs = planPlugins(process.env).flatMap((plan) => plan.inputs);
		if (config.grpcAddr === undefined && config.httpAddr === undefined && pluginInputs.length === 0) {
			const error = new ConfigError('POLKU_GRPC_ADDR', 'is off and no other input is configured: the gateway would have no input');
			error.message = 'POLKU_GRPC_ADDR is off and no other input is configured (POLKU_HTTP_ADDR, a broker input): the gateway would have no input';
			throw error;
		}
		started = true;
		await run();
	} catch (error) {
		if (!started) warnUnknownVariables();
		const config = error instanceof ConfigError;
		const message = error instanceof Error ? error.message : String(error);
		say(`${config ? '' : 'cannot start: '}${message.replace(/\s*\n\s*/g, ' ')}`);
		process.exitCode = config ? 2 : 1;
		// Servers that did bind were closed by run(); nothing else keeps the process alive.
		setTimeout(() => process.exit(), 1000).unref();
	}
}

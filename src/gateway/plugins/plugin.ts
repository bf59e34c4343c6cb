import { ConfigError } from '../../errors.js';
import type { HubBuilder } from '../../hub/hub.js';
import type { Env } from '../env.js';
import type { GatewayLogger } from '../logger.js';

/**
 * One `POLKU_*` variable a plugin reads, documented for `--help` and the
 * README table (and so the unknown-variable warning knows it).
 */
export interface GatewayVariable {
	readonly name: string;
	/** One line: what it does, with an example value. */
	readonly description: string;
	/** The default, as the README shows it. */
	readonly default?: string;
}

/** What a plugin's {@link GatewayPlan.apply} gets. */
export interface PluginContext {
	readonly builder: HubBuilder;
	readonly logger: GatewayLogger;
	/** Runs `close` after the hub has stopped (close the clients the plugin made); hooks run in reverse order, each bounded by the shutdown timeout. */
	onStop(close: () => unknown): void;
}

/** A configured plugin: what it will add, and how. */
export interface GatewayPlan {
	/** Names of the inputs it adds (the gateway refuses to run with no input at all). */
	readonly inputs: readonly string[];
	/** Names of the outputs it adds (without any, the gateway adds its stdout output). */
	readonly outputs: readonly string[];
	/**
	 * Loads the peer library ({@link loadPeer}), creates the clients and adds
	 * the inputs and outputs to the builder. A rejection stops the gateway
	 * from starting (exit 1) with its message.
	 */
	apply(context: PluginContext): Promise<void>;
}

/**
 * An adapter's part of `polku-gateway`: the environment variables it reads and
 * what it adds when they are set. One file per adapter in
 * `src/gateway/plugins/`, listed in `plugins/index.ts`.
 */
export interface GatewayPlugin {
	/** The adapter, e.g. `kafka`. */
	readonly name: string;
	readonly variables: readonly GatewayVariable[];
	/**
	 * Reads the plugin's variables (pure: no I/O, no imports of peers).
	 * `undefined` when the plugin is not configured. Throws a `ConfigError`
	 * naming the variable (use the helpers of `../env.js`).
	 */
	plan(env: Env): GatewayPlan | undefined;
}

/**
 * Imports an optional peer dependency, or fails with a `ConfigError` (the
 * command exits 2) naming the package to install; `what` is the variable that
 * asked for it, e.g. `POLKU_KAFKA_BROKERS`.
 */
export async function loadPeer<T>(pkg: string, what: string): Promise<T> {
	try {
		return (await import(pkg)) as T;
	} catch (error) {
		const code = (error as { code?: unknown }).code;
		const missing = (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((error as Error).message).includes(pkg);
		if (!missing) throw error;
		const config = new ConfigError(what, `needs the package ${pkg}, which is not installed: npm i ${pkg}`);
		config.message = `${what} needs the package ${pkg}, which is not installed: npm i ${pkg}`;
		throw config;
	}
}

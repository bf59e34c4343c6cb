import { AmqpInput } from '../../adapters/amqp/amqp-input.js';
import { AmqpOutput } from '../../adapters/amqp/amqp-output.js';
import type { AmqpChannel, AmqpConnection } from '../../adapters/amqp/client.js';
import { toError } from '../../errors.js';
import { envError, integer, url, value, type Env } from '../env.js';
import type { GatewayLogger } from '../logger.js';
import { loadPeer, type GatewayPlugin } from './plugin.js';

/** The part of amqplib the plugin uses. */
interface AmqplibModule {
	connect(url: string, socketOptions?: { clientProperties?: Record<string, unknown> }): Promise<AmqpConnection>;
}

/** What the plugin needs of a channel to declare the input's queue. */
interface AdminChannel extends AmqpChannel {
	checkQueue(queue: string): Promise<unknown>;
	assertQueue(queue: string, options: { durable: boolean }): Promise<unknown>;
}

const VARIABLES = ['POLKU_AMQP_URL', 'POLKU_AMQP_QUEUE', 'POLKU_AMQP_EXCHANGE', 'POLKU_AMQP_ROUTING_KEY', 'POLKU_AMQP_PREFETCH', 'POLKU_AMQP_MAX_ATTEMPTS'] as const;

/** The module's `connect`, whether the ESM namespace exposes it directly or under `default` (CommonJS). */
function connectOf(module: AmqplibModule & { default?: AmqplibModule }): AmqplibModule['connect'] {
	return typeof module.connect === 'function' ? module.connect : module.default!.connect;
}

/** Declares `queue` durable unless it exists (an existing queue keeps its own arguments). */
async function declareQueue(connection: AmqpConnection, queue: string): Promise<void> {
	let channel = (await connection.createChannel()) as AdminChannel;
	channel.on('error', () => {});
	try {
		await channel.checkQueue(queue);
	} catch {
		// A missing queue closes the channel (404): declare it on a new one.
		channel = (await connection.createChannel()) as AdminChannel;
		channel.on('error', () => {});
		await channel.assertQueue(queue, { durable: true });
	}
	await channel.close().catch(() => {});
}

/** A connect function for `url` whose connections log their errors instead of crashing the process. */
function connector(connect: AmqplibModule['connect'], target: string, logger: GatewayLogger): () => Promise<AmqpConnection> {
	return async () => {
		const connection = await connect(target, { clientProperties: { connection_name: 'polku-gateway' } });
		connection.on('error', (...args: unknown[]) => logger.warn({ error: toError(args[0]).message }, 'AMQP connection error'));
		return connection;
	};
}

/**
 * `polku-gateway` AMQP 0-9-1 (RabbitMQ) input (`POLKU_AMQP_QUEUE`, declared
 * durable when missing) and output (`POLKU_AMQP_EXCHANGE` +
 * `POLKU_AMQP_ROUTING_KEY`), each on a connection of its own to
 * `POLKU_AMQP_URL`, reconnecting after the broker closed it.
 */
export const amqpPlugin: GatewayPlugin = {
	name: 'amqp',
	variables: [
		{ name: 'POLKU_AMQP_URL', description: 'the AMQP broker (required with the variables below), e.g. amqp://guest:guest@127.0.0.1:5672' },
		{ name: 'POLKU_AMQP_QUEUE', description: 'an AMQP input consuming this queue (declared durable if missing; ack after delivery)' },
		{ name: 'POLKU_AMQP_EXCHANGE', description: 'an AMQP output publishing to this exchange (with confirms; mandatory)', default: '"" (the default exchange)' },
		{ name: 'POLKU_AMQP_ROUTING_KEY', description: 'the routing key of the AMQP output; on the default exchange, the queue name' },
		{ name: 'POLKU_AMQP_PREFETCH', description: "the AMQP input's prefetch (unacked messages in the process)", default: '256' },
		{ name: 'POLKU_AMQP_MAX_ATTEMPTS', description: "deliveries of a failing message before the AMQP input nacks it to the queue's dead-letter exchange", default: 'unlimited' },
	],
	plan(env: Env) {
		if (!VARIABLES.some((name) => value(env, name) !== undefined)) return undefined;
		const target = url(env, 'POLKU_AMQP_URL', ['amqp:', 'amqps:']);
		if (target === undefined) throw envError('POLKU_AMQP_URL', 'must be set (e.g. amqp://guest:guest@127.0.0.1:5672) when a POLKU_AMQP_ variable is', env['POLKU_AMQP_URL']);
		const queue = value(env, 'POLKU_AMQP_QUEUE');
		const exchange = value(env, 'POLKU_AMQP_EXCHANGE') ?? '';
		const routingKey = value(env, 'POLKU_AMQP_ROUTING_KEY');
		const output = exchange !== '' || routingKey !== undefined;
		if (queue === undefined && !output) throw envError('POLKU_AMQP_QUEUE', 'or POLKU_AMQP_ROUTING_KEY (with POLKU_AMQP_EXCHANGE) must be set when POLKU_AMQP_URL is', env['POLKU_AMQP_QUEUE']);
		if (output && exchange === '' && (routingKey === undefined || routingKey === '')) {
			throw envError('POLKU_AMQP_ROUTING_KEY', 'must name a queue when POLKU_AMQP_EXCHANGE is the default exchange', env['POLKU_AMQP_ROUTING_KEY']);
		}
		const prefetch = integer(env, 'POLKU_AMQP_PREFETCH', 256, 1, 65_535);
		const maxAttempts = value(env, 'POLKU_AMQP_MAX_ATTEMPTS') === undefined ? undefined : integer(env, 'POLKU_AMQP_MAX_ATTEMPTS', 1, 1, 1_000_000);
		return {
			inputs: queue === undefined ? [] : ['amqp'],
			outputs: output ? ['amqp'] : [],
			async apply({ builder, logger }) {
				const amqplib = await loadPeer<AmqplibModule & { default?: AmqplibModule }>('amqplib', queue !== undefined ? 'POLKU_AMQP_QUEUE' : 'POLKU_AMQP_ROUTING_KEY');
				const connect = connector(connectOf(amqplib), target, logger);
				if (queue !== undefined) {
					const admin = await connect();
					try {
						await declareQueue(admin, queue);
					} finally {
						await admin.close().catch(() => {});
					}
					builder.input(new AmqpInput({ name: 'amqp', connect, queue, prefetch, logger, ...(maxAttempts === undefined ? {} : { maxAttempts }) }));
				}
				if (output) builder.output(new AmqpOutput({ name: 'amqp', connect, exchange, routingKey: routingKey ?? '', logger }));
			},
		};
	},
};

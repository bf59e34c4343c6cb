import type { JetStreamClientLike, NatsConnectionLike, NatsHeadersLike } from '../../adapters/nats/client.js';
import { JetStreamInput } from '../../adapters/nats/jetstream-input.js';
import { JetStreamOutput } from '../../adapters/nats/jetstream-output.js';
import { NatsInput } from '../../adapters/nats/nats-input.js';
import { NatsOutput } from '../../adapters/nats/nats-output.js';
import { envError, url, value, type Env } from '../env.js';
import { loadPeer, type GatewayPlugin } from './plugin.js';

interface TransportModule {
	connect(options: { servers: string; name: string }): Promise<NatsConnectionLike & { drain(): Promise<void>; isDraining(): boolean }>;
	headers(): NatsHeadersLike;
}
interface JetStreamModule {
	jetstream(nc: NatsConnectionLike): JetStreamClientLike;
}

const VARIABLES = [
	'POLKU_NATS_URL',
	'POLKU_NATS_SUBJECT',
	'POLKU_NATS_INPUT_SUBJECT',
	'POLKU_NATS_QUEUE',
	'POLKU_JETSTREAM_SUBJECT',
	'POLKU_JETSTREAM_STREAM',
	'POLKU_JETSTREAM_CONSUMER',
] as const;

const SUBJECT = /^[^\s]+$/;

function subject(env: Env, name: string, wildcards: boolean): string | undefined {
	const v = value(env, name);
	if (v !== undefined && (!SUBJECT.test(v) || (!wildcards && /[*>]/.test(v)))) throw envError(name, `must be a NATS subject${wildcards ? '' : ' without wildcards'}`, env[name]);
	return v;
}

/**
 * `polku-gateway` NATS outputs (`POLKU_NATS_SUBJECT`, `POLKU_JETSTREAM_SUBJECT`)
 * and inputs (`POLKU_JETSTREAM_STREAM` + `POLKU_JETSTREAM_CONSUMER`,
 * `POLKU_NATS_INPUT_SUBJECT`), on one connection to `POLKU_NATS_URL`.
 */
export const natsPlugin: GatewayPlugin = {
	name: 'nats',
	variables: [
		{ name: 'POLKU_NATS_URL', description: 'the NATS server', default: 'nats://127.0.0.1:4222 (when any NATS variable is set)' },
		{ name: 'POLKU_NATS_SUBJECT', description: 'a core NATS output publishing to this subject (at-most-once)' },
		{ name: 'POLKU_NATS_INPUT_SUBJECT', description: 'a core NATS input subscribed to this subject, wildcards allowed (at-most-once)' },
		{ name: 'POLKU_NATS_QUEUE', description: 'queue group of the core NATS input (gateways in one group share the messages)', default: 'none' },
		{ name: 'POLKU_JETSTREAM_SUBJECT', description: 'a JetStream output publishing there with acks and Nats-Msg-Id (the stream must exist)' },
		{ name: 'POLKU_JETSTREAM_STREAM', description: 'the stream of the JetStream input (with POLKU_JETSTREAM_CONSUMER)' },
		{ name: 'POLKU_JETSTREAM_CONSUMER', description: 'a JetStream input on this durable pull consumer (created with explicit ack if it does not exist)' },
	],
	plan(env) {
		if (!VARIABLES.some((name) => value(env, name) !== undefined)) return undefined;
		const server = url(env, 'POLKU_NATS_URL', ['nats:', 'tls:']) ?? 'nats://127.0.0.1:4222';
		const coreOut = subject(env, 'POLKU_NATS_SUBJECT', false);
		const coreIn = subject(env, 'POLKU_NATS_INPUT_SUBJECT', true);
		const queue = value(env, 'POLKU_NATS_QUEUE');
		const jsOut = subject(env, 'POLKU_JETSTREAM_SUBJECT', false);
		const stream = value(env, 'POLKU_JETSTREAM_STREAM');
		const durable = value(env, 'POLKU_JETSTREAM_CONSUMER');
		if ((stream === undefined) !== (durable === undefined)) {
			const missing = stream === undefined ? 'POLKU_JETSTREAM_STREAM' : 'POLKU_JETSTREAM_CONSUMER';
			throw envError(missing, `must be set together with ${stream === undefined ? 'POLKU_JETSTREAM_CONSUMER' : 'POLKU_JETSTREAM_STREAM'}`, env[missing]);
		}
		if (queue !== undefined && coreIn === undefined) throw envError('POLKU_NATS_INPUT_SUBJECT', 'must be set when POLKU_NATS_QUEUE is', env['POLKU_NATS_INPUT_SUBJECT']);
		if (coreOut === undefined && coreIn === undefined && jsOut === undefined && stream === undefined) {
			throw envError('POLKU_NATS_SUBJECT', 'or another NATS output or input variable must be set when POLKU_NATS_URL is', env['POLKU_NATS_SUBJECT']);
		}
		const inputs = [...(stream !== undefined ? ['jetstream'] : []), ...(coreIn !== undefined ? ['nats'] : [])];
		const outputs = [...(jsOut !== undefined ? ['jetstream'] : []), ...(coreOut !== undefined ? ['nats'] : [])];
		const jetstreamVar = jsOut !== undefined ? 'POLKU_JETSTREAM_SUBJECT' : stream !== undefined ? 'POLKU_JETSTREAM_CONSUMER' : undefined;
		return {
			inputs,
			outputs,
			async apply({ builder, logger, onStop }) {
				const transport = await loadPeer<TransportModule>('@nats-io/transport-node', coreOut ? 'POLKU_NATS_SUBJECT' : (jetstreamVar ?? 'POLKU_NATS_INPUT_SUBJECT'));
				const js = jetstreamVar === undefined ? undefined : await loadPeer<JetStreamModule>('@nats-io/jetstream', jetstreamVar);
				const nc = await transport.connect({ servers: server, name: 'polku-gateway' });
				onStop(async () => {
					if (!nc.isClosed() && !nc.isDraining()) await nc.drain();
				});
				const headers = (): NatsHeadersLike => transport.headers();
				const client = js?.jetstream(nc);
				if (jsOut !== undefined) builder.output(new JetStreamOutput({ js: client!, subject: jsOut, name: 'jetstream', headers }));
				if (coreOut !== undefined) builder.output(new NatsOutput({ nc, subject: coreOut, name: 'nats', headers }));
				if (stream !== undefined) builder.input(new JetStreamInput({ js: client!, stream, consumer: durable!, name: 'jetstream', logger }), { restart: { maxDelayMs: 10_000 } });
				if (coreIn !== undefined) builder.input(new NatsInput({ nc, subject: coreIn, name: 'nats', logger, ...(queue === undefined ? {} : { queue }) }), { restart: { maxDelayMs: 10_000 } });
			},
		};
	},
};

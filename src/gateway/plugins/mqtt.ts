import { hostname } from 'node:os';
import type { MqttPublisherClient, MqttSubscriberClient } from '../../adapters/mqtt/client.js';
import { MqttInput } from '../../adapters/mqtt/mqtt-input.js';
import { MqttOutput } from '../../adapters/mqtt/mqtt-output.js';
import { compileTopic } from '../../adapters/mqtt/topic-template.js';
import { checkTopicFilter } from '../../adapters/mqtt/topics.js';
import { envError, integer, list, url, value, type Env } from '../env.js';
import { loadPeer, type GatewayPlugin } from './plugin.js';

/** What the plugin uses of `import('mqtt')`. */
interface MqttModule {
	connect(url: string, options: Record<string, unknown>): MqttSubscriberClient & MqttPublisherClient & MqttLifecycle;
}

/** The MQTT.js client methods the plugin calls itself. */
interface MqttLifecycle {
	on(event: 'error', listener: (error: Error) => void): unknown;
	end(force: boolean, options: object, callback: () => void): unknown;
}

const PROTOCOLS = ['mqtt:', 'mqtts:', 'tcp:', 'tls:', 'ws:', 'wss:'];

/** A client id that stays the same across restarts on one host, so the broker resumes the session. */
function defaultClientId(): string {
	const host = hostname().replace(/[^A-Za-z0-9_-]/g, '-');
	return `polku-gateway-${host}`.slice(0, 64);
}

/** Ends a client gracefully (its last PUBACKs are written first), bounded. */
function end(client: MqttLifecycle): Promise<void> {
	return new Promise((resolve) => {
		const timer = setTimeout(resolve, 5000);
		client.end(false, {}, () => {
			clearTimeout(timer);
			resolve();
		});
	});
}

/**
 * `POLKU_MQTT_URL` with `POLKU_MQTT_TOPICS` (an MqttInput at QoS 1 on a
 * persistent session) and/or `POLKU_MQTT_OUTPUT_TOPIC` (an MqttOutput at QoS 1).
 */
export const mqttPlugin: GatewayPlugin = {
	name: 'mqtt',
	variables: [
		{ name: 'POLKU_MQTT_URL', description: 'MQTT broker, e.g. mqtt://127.0.0.1:1883 (mqtt, mqtts, ws, wss; user:password@ in the URL); needs the package mqtt' },
		{ name: 'POLKU_MQTT_TOPICS', description: 'comma-separated topic filters (+ and # wildcards) for an MQTT input at QoS 1 on a persistent session, e.g. sensors/#,agents/+/events' },
		{ name: 'POLKU_MQTT_CLIENT_ID', description: "the input's client id: the broker keeps its session (what was not acknowledged) across restarts", default: 'polku-gateway-<hostname>' },
		{ name: 'POLKU_MQTT_SESSION_EXPIRY_S', description: 'how long the broker keeps the session while the gateway is away (MQTT 5 session expiry)', default: '3600' },
		{ name: 'POLKU_MQTT_MAX_IN_FLIGHT', description: 'messages the broker sends before the gateway acknowledges (receive maximum; the input delivers before it acknowledges)', default: '1000' },
		{ name: 'POLKU_MQTT_OUTPUT_TOPIC', description: 'an MQTT output at QoS 1 publishing to this topic or template, e.g. events/{source}/{messageType}' },
	],
	plan(env: Env) {
		const broker = url(env, 'POLKU_MQTT_URL', PROTOCOLS);
		const topics = list(env, 'POLKU_MQTT_TOPICS');
		const outputTopic = value(env, 'POLKU_MQTT_OUTPUT_TOPIC');
		if (broker === undefined) {
			const needs = topics.length > 0 ? 'POLKU_MQTT_TOPICS' : outputTopic !== undefined ? 'POLKU_MQTT_OUTPUT_TOPIC' : undefined;
			if (needs !== undefined) throw envError('POLKU_MQTT_URL', `must be set when ${needs} is`, env['POLKU_MQTT_URL']);
			return undefined;
		}
		if (topics.length === 0 && outputTopic === undefined) {
			throw envError('POLKU_MQTT_TOPICS', 'or POLKU_MQTT_OUTPUT_TOPIC must be set with POLKU_MQTT_URL', env['POLKU_MQTT_TOPICS']);
		}
		for (const t of topics) {
			try {
				checkTopicFilter(t, 'POLKU_MQTT_TOPICS');
			} catch (error) {
				throw envError('POLKU_MQTT_TOPICS', `must be MQTT topic filters (${(error as Error).message.replace(/^[^:]*: /, '')})`, env['POLKU_MQTT_TOPICS']);
			}
		}
		if (outputTopic !== undefined) {
			try {
				compileTopic(outputTopic, 'POLKU_MQTT_OUTPUT_TOPIC');
			} catch (error) {
				throw envError('POLKU_MQTT_OUTPUT_TOPIC', `must be an MQTT topic or template (${(error as Error).message.replace(/^[^:]*: /, '')})`, env['POLKU_MQTT_OUTPUT_TOPIC']);
			}
		}
		const clientId = value(env, 'POLKU_MQTT_CLIENT_ID') ?? defaultClientId();
		const sessionExpiry = integer(env, 'POLKU_MQTT_SESSION_EXPIRY_S', 3600, 1, 2 ** 32 - 1);
		const inFlight = integer(env, 'POLKU_MQTT_MAX_IN_FLIGHT', 1000, 1, 65_535);
		return {
			inputs: topics.length > 0 ? ['mqtt'] : [],
			outputs: outputTopic !== undefined ? ['mqtt'] : [],
			async apply({ builder, logger, onStop }) {
				const mqtt = await loadPeer<MqttModule & { default?: MqttModule }>('mqtt', 'POLKU_MQTT_URL');
				const connect = mqtt.connect ?? mqtt.default?.connect;
				const watch = (client: MqttLifecycle, role: string): void => {
					client.on('error', (error) => logger.warn({ err: error, role }, 'polku-gateway: MQTT client error'));
				};
				if (topics.length > 0) {
					// The input takes over acknowledgements before the client connects, so what the resumed session redelivers waits for the hub.
					const client = connect(broker, {
						protocolVersion: 5,
						clientId,
						clean: false,
						reconnectPeriod: 1000,
						properties: { sessionExpiryInterval: sessionExpiry, receiveMaximum: inFlight },
					});
					watch(client, 'input');
					builder.input(new MqttInput({ client, topics, qos: 1, name: 'mqtt', maxInFlight: inFlight, logger }));
					onStop(() => end(client));
				}
				if (outputTopic !== undefined) {
					const client = connect(broker, { protocolVersion: 5, clean: true, reconnectPeriod: 1000 });
					watch(client, 'output');
					builder.output(new MqttOutput({ client, topic: outputTopic, qos: 1, name: 'mqtt' }));
					onStop(() => end(client));
				}
				logger.info({ url: redact(broker), topics, outputTopic, clientId }, 'polku-gateway: MQTT configured');
			},
		};
	},
};

/** The URL without a password, for logs. */
function redact(raw: string): string {
	const u = new URL(raw);
	if (u.password !== '') u.password = '***';
	return u.href;
}

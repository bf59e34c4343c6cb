// MqttInput and MqttOutput against the conformance suite, on the Mosquitto at 127.0.0.1:1883. The
// independent peer is a bare MQTT.js client: it reads back what MqttOutput published (decoding the user
// properties with fromEnvelopeHeaders, the documented mapping) and publishes the input's poison message.
import { after, describe, it } from 'node:test';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { MqttInput, MqttOutput } from '../../src/adapters/mqtt/index.js';
import { fromEnvelopeHeaders, type EnvelopeHeader, type Input, type Message } from '../../src/index.js';
import { inputConformance, outputConformance, type ConformanceCase, type InputHarness, type OutputHarness } from '../../src/testing/index.js';
import { skipUnless } from '../support/services.js';
import { BROKER, clientId, connect, endAll, forgetSession, unique } from './helpers.js';

const skip = await skipUnless('mqtt');
/** How soon a failed delivery comes back: the input reconnects once in-flight deliveries settle, MQTT.js after reconnectPeriod. */
const RECONNECT_MS = 100;
/** The broker's window of unacknowledged QoS 1 messages to the input (its receive maximum), and the input's own bound. */
const IN_FLIGHT = 20;

function run(cases: readonly ConformanceCase[]): void {
	for (const c of cases) it(c.name, { skip: c.skip ?? false, timeout: c.timeoutMs }, () => c.run());
}

/** A message as the bare client sees it, decoded through the documented mapping. */
function decode(packet: IPublishPacket): Message {
	const headers: EnvelopeHeader[] = [];
	const props = packet.properties?.userProperties ?? {};
	for (const name of Object.getOwnPropertyNames(props)) {
		const value = props[name]!;
		for (const v of Array.isArray(value) ? value : [value]) headers.push([name, v]);
	}
	return fromEnvelopeHeaders(headers, packet.payload, { source: 'mqtt', messageType: packet.topic });
}

/** Reads a topic with a bare MQTT.js client; `received(count)` resolves once `count` messages are there. */
async function reader(topic: string): Promise<{ client: MqttClient; received(count: number, timeoutMs: number): Promise<Message[]> }> {
	// A large receive maximum: Mosquitto queues at most 1000 messages per client beyond its in-flight window, then drops.
	const client = await connect({ properties: { receiveMaximum: 65_535 } });
	const got: Message[] = [];
	client.on('message', (_topic, _payload, packet) => got.push(decode(packet)));
	await client.subscribeAsync(topic, { qos: 1 });
	return {
		client,
		async received(count, timeoutMs) {
			const deadline = Date.now() + timeoutMs;
			while (got.length < count) {
				if (Date.now() > deadline) throw new Error(`read ${got.length} of ${count} messages from ${topic} within ${timeoutMs} ms`);
				await new Promise((r) => setTimeout(r, 10));
			}
			return got.slice();
		},
	};
}

const outputHarness: OutputHarness = {
	name: 'MqttOutput',
	features: { ordering: 'total', envelope: true },
	async setup() {
		const topic = unique('conformance-out');
		const read = await reader(topic);
		const publisher = await connect();
		let stray: MqttClient | undefined;
		return {
			output: new MqttOutput({ client: publisher, topic, qos: 1 }),
			received: (count, timeoutMs) => read.received(count, timeoutMs),
			// Port 9 (discard) is closed on loopback: MQTT.js keeps retrying, the output gives up after timeoutMs.
			unreachable: () => {
				stray = mqtt.connect('mqtt://127.0.0.1:9', { protocolVersion: 5, reconnectPeriod: 200, connectTimeout: 1000 });
				stray.on('error', () => {});
				return new MqttOutput({ client: stray, topic, timeoutMs: 2000 });
			},
			teardown: async () => {
				await Promise.all([read.client.endAsync(true), publisher.endAsync(), stray?.endAsync(true)]);
			},
		};
	},
};

/**
 * MqttInput: every input of a fixture is a new MQTT.js client with the fixture's client id and a persistent
 * session (clean: false), so a new input resumes the session of the stopped one and gets what it left
 * unacknowledged. The fixture creates the session and its subscription up front (the broker keeps QoS 1
 * messages for a session's subscriptions, connected or not), so publish() need not wait for an input. An
 * input's client is ended (gracefully: its last PUBACKs are written first) when its run() returns, as an
 * application ends its client after hub.stop(). `mqtt.topic` is left out of metadata (topicMetadataKey:
 * false) so the envelope compares exactly.
 */
const inputHarness: InputHarness = {
	name: 'MqttInput',
	features: { ordering: 'total', envelope: true, redelivery: true, backpressure: true, poison: true, maxInFlight: IN_FLIGHT, redeliveryMs: 2000 },
	async setup() {
		const topic = unique('conformance-in');
		const id = clientId('conformance-in');
		const options = { protocolVersion: 5 as const, clientId: id, clean: false, reconnectPeriod: RECONNECT_MS, properties: { sessionExpiryInterval: 120, receiveMaximum: IN_FLIGHT } };
		const session = await mqtt.connectAsync(BROKER, options);
		await session.subscribeAsync(topic, { qos: 1 });
		await session.endAsync();
		const publisher = await connect();
		const output = new MqttOutput({ client: publisher, topic, qos: 1 });
		const clients = new Set<MqttClient>();
		return {
			createInput(name?: string): Input {
				const client = mqtt.connect(BROKER, options);
				client.on('error', () => {});
				clients.add(client);
				const input = new MqttInput({ client, topics: topic, name: name ?? 'mqtt', topicMetadataKey: false, maxInFlight: IN_FLIGHT });
				return {
					name: input.name,
					async run(sink, signal) {
						try {
							await input.run(sink, signal);
						} finally {
							await client.endAsync();
							clients.delete(client);
						}
					},
				};
			},
			publish: (messages) => output.send(messages),
			async publishPoison() {
				await publisher.publishAsync(topic, 'poison', { qos: 1, properties: { userProperties: { 'polku-id': 'poison-1', 'polku-timestamp': 'yesterday' } } });
			},
			async teardown() {
				await Promise.all([...clients].map((c) => c.endAsync(true)));
				await publisher.endAsync();
				await forgetSession(id);
			},
		};
	},
};

describe('outputConformance(MqttOutput) on Mosquitto', { skip }, () => {
	after(endAll);
	run(outputConformance(outputHarness));
});

describe('inputConformance(MqttInput) on Mosquitto', { skip }, () => {
	after(endAll);
	run(inputConformance(inputHarness));
});

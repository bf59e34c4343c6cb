// MQTT in and out, against the Mosquitto on 127.0.0.1:1883 (run: node --import tsx examples/mqtt-sensors.ts).
// expect: delivered 6 readings, 1 redelivered after a failed delivery
// expect: alerts topic got 2 messages with the polku envelope
//
//   sensors publish plain MQTT (QoS 1) → MqttInput (acks only after delivery; persistent session)
//     → router: every reading to "store", readings above 30 °C also to "alerts"
//     → outputs: "store" (fails once: the broker redelivers), and "alerts", an MqttOutput → example/<run>/alerts/<sensor>
import mqtt from 'mqtt';
import { Hub, payloadText, router, type Message, type Output } from 'polku';
import { MqttInput, MqttOutput } from 'polku/mqtt';

const BROKER = 'mqtt://127.0.0.1:1883';
const run = `example/${process.pid}-${Date.now()}`;

// The input's client: a stable client id and a persistent session, so what polku has not acknowledged
// survives a disconnect. Create the input right after mqtt.connect(), before the client has connected.
const inputClient = mqtt.connect(BROKER, {
	protocolVersion: 5,
	clientId: `polku-example-${process.pid}`,
	clean: false,
	reconnectPeriod: 200,
	properties: { sessionExpiryInterval: 60, receiveMaximum: 100 },
});
const sensors = new MqttInput({
	client: inputClient,
	topics: `${run}/sensors/+/temperature`,
	source: '{-2}', // sensors/<id>/temperature → source <id>
	messageType: 'temperature',
});

// A store that fails its first write: the input leaves those messages unacknowledged, reconnects, and the
// broker sends them again.
class Store implements Output {
	readonly name = 'store';
	readonly rows: Message[] = [];
	#failures = 1;
	async send(batch: readonly Message[]): Promise<void> {
		if (this.#failures-- > 0) throw new Error('database briefly unavailable');
		this.rows.push(...batch);
	}
}
const store = new Store();

const outputClient = mqtt.connect(BROKER, { protocolVersion: 5 });
const alerts = new MqttOutput({ client: outputClient, name: 'alerts', topic: `${run}/alerts/{source}`, qos: 1 });

const hub = Hub.builder()
	.flushInterval(5)
	.input(sensors)
	.middleware(router([{ when: (m) => Number(payloadText(m)) > 30, to: ['store', 'alerts'] }], { default: 'store' }))
	.output(store, { retry: false })
	.output(alerts, { retry: { attempts: 5 } })
	.build();
await hub.start();

// Someone reading the alerts, and the sensors themselves (plain MQTT clients).
const reader = await mqtt.connectAsync(BROKER, { protocolVersion: 5 });
const received: mqtt.IPublishPacket[] = [];
reader.on('message', (_topic, _payload, packet) => received.push(packet));
await reader.subscribeAsync(`${run}/alerts/#`, { qos: 1 });
const devices = await mqtt.connectAsync(BROKER, { protocolVersion: 5 });
await sensors.ready; // subscribed: the broker now keeps what is published for this session
const readings: [string, string][] = [['s1', '21.5'], ['s2', '31.0'], ['s1', '22.0'], ['s3', '35.5'], ['s2', '29.9'], ['s3', '24.1']];
const publish = ([sensor, value]: [string, string]) =>
	devices.publishAsync(`${run}/sensors/${sensor}/temperature`, value, { qos: 1, properties: { userProperties: { unit: 'C' } } });
const until = async (done: () => boolean): Promise<void> => {
	const deadline = Date.now() + 10_000;
	while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
};
// The first reading meets the failing store: it comes back after the input reconnects.
await publish(readings[0]!);
await until(() => store.rows.length === 1);
for (const reading of readings.slice(1)) await publish(reading);
await until(() => store.rows.length === readings.length && received.length >= 2);
await hub.stop();
await Promise.all([inputClient.endAsync(), outputClient.endAsync(), reader.endAsync(), devices.endAsync()]);

const stats = sensors.stats();
console.log(`delivered ${store.rows.length} readings, ${stats.redeliveries} redelivered after a failed delivery`);
for (const row of store.rows) console.log(`  ${row.source} ${payloadText(row)} °C (topic ${row.metadata['mqtt.topic']})`);
// At least once: count distinct ids (polku-id travels as a user property).
const withEnvelope = new Set(received.map((p) => p.properties?.userProperties?.['polku-id']).filter((id) => id !== undefined));
console.log(`alerts topic got ${withEnvelope.size} messages with the polku envelope: ${received.map((p) => `${p.topic.split('/').at(-1)}=${p.payload.toString()}`).join(', ')}`);

// A persistent session outlives the client; remove this example's session from the broker.
const cleanup = await mqtt.connectAsync(BROKER, { protocolVersion: 5, clientId: `polku-example-${process.pid}`, clean: true, properties: { sessionExpiryInterval: 0 } });
await cleanup.endAsync();

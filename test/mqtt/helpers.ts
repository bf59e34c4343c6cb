// Helpers for the MQTT tests: real MQTT.js clients against the Mosquitto on 127.0.0.1:1883, with names
// unique per test (other engineers use the same broker at the same time).
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export const BROKER = 'mqtt://127.0.0.1:1883';

let counter = 0;

/** A name no other test (in this or another process) uses: for topics and client ids. */
export function unique(prefix: string): string {
	return `polku-test/${prefix}/${process.pid}-${Date.now().toString(36)}-${++counter}`;
}

/** Client ids must be short-ish and without slashes for readability in broker logs. */
export function clientId(prefix: string): string {
	return `polku-${prefix}-${process.pid}-${Date.now().toString(36)}-${++counter}`;
}

const clients = new Set<MqttClient>();

/** A connected MQTT 5 client (ended by `endAll`). */
export async function connect(options: IClientOptions = {}): Promise<MqttClient> {
	const client = await mqtt.connectAsync(BROKER, { protocolVersion: 5, reconnectPeriod: 100, connectTimeout: 5000, ...options });
	clients.add(client);
	return client;
}

/** A client that is still connecting (for an MqttInput to be created before its session resumes). */
export function open(options: IClientOptions = {}): MqttClient {
	const client = mqtt.connect(BROKER, { protocolVersion: 5, reconnectPeriod: 100, connectTimeout: 5000, ...options });
	clients.add(client);
	return client;
}

/** Options of a subscriber whose session outlives a disconnect. */
export function persistent(id: string, extra: IClientOptions['properties'] = {}): IClientOptions {
	return { clientId: id, clean: false, properties: { sessionExpiryInterval: 60, ...extra } };
}

/** Ends every client the test opened (force: no DISCONNECT handshake wait). */
export async function endAll(): Promise<void> {
	const all = [...clients];
	clients.clear();
	await Promise.all(all.map((c) => c.endAsync(true).catch(() => undefined)));
}

/** Removes a persistent session from the broker: connect with clean start and a zero expiry, then leave. */
export async function forgetSession(id: string): Promise<void> {
	const c = await mqtt.connectAsync(BROKER, { protocolVersion: 5, clientId: id, clean: true, properties: { sessionExpiryInterval: 0 }, reconnectPeriod: 0 });
	await c.endAsync();
}

/** Publishes texts in order at `qos` and waits for every acknowledgement. */
export async function publishAll(client: MqttClient, topic: string, payloads: readonly string[], qos: 0 | 1 | 2 = 1, userProperties?: Record<string, string>): Promise<void> {
	for (const p of payloads) await client.publishAsync(topic, p, { qos, ...(userProperties ? { properties: { userProperties } } : {}) });
}

/** Resolves when `check()` is true (polled every 10 ms); rejects after `timeoutMs` with `what`. */
export async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!check()) {
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 10));
	}
}

/**
 * Records the acknowledgements a client sends: `pubacks` are the PUBACKs polku writes to the socket itself,
 * `mqttjsPubacks` those MQTT.js sends (none, for messages the input took over), `pubrecs` MQTT.js's PUBRECs.
 */
export function recordAcks(client: MqttClient): { pubacks: number[]; mqttjsPubacks: number[]; pubrecs: number[] } {
	const seen = { pubacks: [] as number[], mqttjsPubacks: [] as number[], pubrecs: [] as number[] };
	client.on('packetsend', (packet) => {
		if (packet.cmd === 'pubrec') seen.pubrecs.push(packet.messageId!);
		if (packet.cmd === 'puback') seen.mqttjsPubacks.push(packet.messageId!);
	});
	// polku writes its PUBACKs straight to the socket: watch the stream of every connection.
	const watch = (): void => {
		const stream = client.stream as unknown as { write: (chunk: unknown, ...rest: unknown[]) => boolean; __polkuWatched?: boolean };
		if (stream.__polkuWatched) return;
		stream.__polkuWatched = true;
		const write = stream.write.bind(stream);
		stream.write = (chunk: unknown, ...rest: unknown[]) => {
			if (chunk instanceof Uint8Array && chunk.length >= 4 && chunk.length % 4 === 0 && chunk[0] === 0x40 && chunk[1] === 2) {
				for (let at = 0; at < chunk.length; at += 4) seen.pubacks.push((chunk[at + 2]! << 8) | chunk[at + 3]!);
			}
			return write(chunk, ...rest);
		};
	};
	watch();
	client.on('connect', watch);
	return seen;
}

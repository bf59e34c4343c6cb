import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MqttInput, MqttOutput } from '../../src/adapters/mqtt/index.js';
import { ConfigError, createMessage, Hub, payloadText, type DropEvent } from '../../src/index.js';
import { MemoryOutput } from '../../src/testing/index.js';
import { skipUnless } from '../support/services.js';
import { clientId, connect, endAll, forgetSession, open, persistent, publishAll, recordAcks, unique, until } from './helpers.js';

const skip = await skipUnless('mqtt');

describe('MqttInput', { skip }, () => {
	after(endAll);

	it('delivers plain messages with source and messageType from the topic, user properties as metadata and mqtt.topic', async () => {
		const topic = unique('plain');
		const client = await connect();
		const out = new MemoryOutput();
		const input = new MqttInput({ client, topics: `${topic}/+/temp`, source: '{-2}', messageType: 'sensor.{-1}' });
		const hub = Hub.builder().flushInterval(0).input(input).output(out).build();
		await hub.start();
		const pub = await connect();
		await input.ready;
		await publishAll(pub, `${topic}/dev-7/temp`, ['21.5', '22.0'], 1, { unit: 'C' });
		await out.waitFor(2);
		await hub.stop();
		const [a, b] = out.messages;
		assert.equal(payloadText(a!), '21.5');
		assert.equal(payloadText(b!), '22.0');
		assert.equal(a!.source, 'dev-7');
		assert.equal(a!.messageType, 'sensor.temp');
		assert.deepEqual({ ...a!.metadata }, { unit: 'C', 'mqtt.topic': `${topic}/dev-7/temp` });
		assert.notEqual(a!.id, b!.id);
		assert.ok(a!.timestamp > 0n);
		assert.equal(input.stats().acked, 2);
	});

	it('by default takes the source from the input name and the type from the topic', async () => {
		const topic = unique('defaults');
		const client = await connect();
		const out = new MemoryOutput();
		let input: MqttInput;
		const hub = Hub.builder().flushInterval(0).input((input = new MqttInput({ client, topics: `${topic}/#`, name: 'sensors', topicMetadataKey: false }))).output(out).build();
		await hub.start();
		await input.ready;
		await publishAll(await connect(), `${topic}/a/b`, ['x']);
		await out.waitFor(1);
		await hub.stop();
		assert.equal(out.messages[0]!.source, 'sensors');
		assert.equal(out.messages[0]!.messageType, `${topic}/a/b`);
		assert.deepEqual({ ...out.messages[0]!.metadata }, {});
	});

	it('restores the envelope MqttOutput wrote (id, ns timestamp, source, type, route, metadata) exactly', async () => {
		const topic = unique('envelope');
		const client = await connect();
		const out = new MemoryOutput('archive');
		let input: MqttInput;
		const hub = Hub.builder().flushInterval(0).input((input = new MqttInput({ client, topics: `${topic}/#` }))).output(out).output(new MemoryOutput('other')).build();
		await hub.start();
		await input.ready;
		const sent = createMessage({
			id: 'evt-1',
			timestamp: 1764216000123456789n,
			source: 'billing',
			messageType: 'invoice.paid',
			metadata: JSON.parse('{"tenant":"acme","weird key":"50%\\r\\n","__proto__":"data"}') as Record<string, string>,
			payload: new Uint8Array([0, 1, 2, 255]),
			routeTo: ['archive'],
		});
		await new MqttOutput({ client: await connect(), topic: `${topic}/50% off` }).send([sent]);
		await out.waitFor(1);
		await hub.stop();
		const got = out.messages[0]!;
		assert.equal(got.id, 'evt-1');
		assert.equal(got.timestamp, 1764216000123456789n);
		assert.equal(got.source, 'billing');
		assert.equal(got.messageType, 'invoice.paid');
		assert.deepEqual(got.routeTo, ['archive']);
		assert.deepEqual([...got.payload], [0, 1, 2, 255]);
		assert.equal(got.metadata['tenant'], 'acme');
		assert.equal(got.metadata['weird key'], '50%\r\n');
		assert.equal(Object.getOwnPropertyDescriptor(got.metadata, '__proto__')?.value, 'data');
		assert.equal(got.metadata['mqtt.topic'], `${topic}/50% off`, 'the topic as is (escaped and unescaped on the way)');
	});

	it('sends each PUBACK only after the hub delivered the message (QoS 1)', async () => {
		const topic = unique('puback');
		const client = await connect(persistent(clientId('puback')));
		const acks = recordAcks(client);
		const out = new MemoryOutput().hang();
		const input = new MqttInput({ client, topics: topic });
		const hub = Hub.builder().flushInterval(0).input(input).output(out).build();
		await hub.start();
		await input.ready;
		await publishAll(await connect(), topic, ['a', 'b', 'c']);
		await until(() => out.hanging > 0 && input.stats().inFlight === 3, 'the messages to reach the hanging output');
		await new Promise((r) => setTimeout(r, 100));
		assert.deepEqual(acks.pubacks, [], 'no PUBACK while the output has not confirmed');
		out.release();
		await until(() => acks.pubacks.length === 3, 'three PUBACKs');
		assert.deepEqual(acks.mqttjsPubacks, [], 'MQTT.js sent no PUBACK of its own');
		await hub.stop();
		assert.deepEqual(out.messages.map(payloadText), ['a', 'b', 'c']);
	});

	it('with a hanging output holds no more than the broker sends under receiveMaximum', async () => {
		const topic = unique('receive-max');
		const client = await connect(persistent(clientId('receive-max'), { receiveMaximum: 2 }));
		const out = new MemoryOutput().hang();
		const input = new MqttInput({ client, topics: topic });
		const hub = Hub.builder().flushInterval(0).input(input).output(out).build();
		await hub.start();
		await input.ready;
		await publishAll(await connect(), topic, ['1', '2', '3', '4', '5']);
		await new Promise((r) => setTimeout(r, 300));
		assert.equal(input.stats().received, 2, 'the broker stopped at the receive maximum');
		out.release();
		await out.waitFor(5);
		await hub.stop();
		assert.deepEqual(out.messages.map(payloadText), ['1', '2', '3', '4', '5']);
	});

	it('stops reading at maxInFlight and resumes when deliveries complete', async () => {
		const topic = unique('max-in-flight');
		const client = await connect(persistent(clientId('max-in-flight'), { receiveMaximum: 100 }));
		const out = new MemoryOutput().hang();
		const input = new MqttInput({ client, topics: topic, maxInFlight: 3 });
		const hub = Hub.builder().flushInterval(0).input(input).output(out).build();
		await hub.start();
		await input.ready;
		const payloads = Array.from({ length: 20 }, (_, i) => String(i));
		await publishAll(await connect(), topic, payloads);
		await new Promise((r) => setTimeout(r, 300));
		assert.equal(input.stats().inFlight, 3);
		assert.ok(input.stats().pauses >= 1);
		out.release();
		await out.waitFor(20);
		await hub.stop();
		assert.deepEqual(out.messages.map(payloadText), payloads);
		assert.equal(input.stats().acked, 20);
	});

	it('leaves a message whose delivery failed unacknowledged and reconnects, so the broker redelivers it', async () => {
		const topic = unique('redeliver');
		const client = await connect(persistent(clientId('redeliver')));
		const out = new MemoryOutput().failNext(1);
		const input = new MqttInput({ client, topics: topic });
		const hub = Hub.builder().flushInterval(0).retry(false).input(input).output(out).build();
		await hub.start();
		await input.ready;
		await publishAll(await connect(), topic, ['once']);
		await out.waitFor(1, 10_000);
		await hub.stop();
		assert.deepEqual(out.messages.map(payloadText), ['once']);
		const s = input.stats();
		assert.equal(s.failed, 1);
		assert.equal(s.redeliveries, 1);
		assert.equal(s.received, 2, 'received twice: the original and the redelivery');
		assert.equal(s.acked, 1);
	});

	it('a restarted subscriber with the same client id gets what was not acknowledged (clean: false)', async () => {
		const topic = unique('session');
		const id = clientId('session');
		const first = await connect(persistent(id));
		const hanging = new MemoryOutput().hang();
		const input1 = new MqttInput({ client: first, topics: topic, shutdownGraceMs: 0 });
		const hub1 = Hub.builder().flushInterval(0).input(input1).output(hanging).build();
		await hub1.start();
		await input1.ready;
		await publishAll(await connect(), topic, ['x', 'y']);
		await until(() => input1.stats().inFlight === 2, 'two messages in flight');
		await hub1.stop({ timeoutMs: 100 });
		await first.endAsync(true);
		assert.equal(input1.stats().acked, 0);

		const second = open(persistent(id)); // the input exists before the session resumes
		const out = new MemoryOutput();
		const input2 = new MqttInput({ client: second, topics: topic });
		const hub2 = Hub.builder().flushInterval(0).input(input2).output(out).build();
		await until(() => second.connected, 'the second connection');
		await new Promise((r) => setTimeout(r, 200)); // the session's redelivery arrives before the hub starts: it waits
		assert.equal(input2.stats().acked, 0);
		await hub2.start();
		await out.waitFor(2);
		await hub2.stop();
		assert.deepEqual(out.messages.map(payloadText), ['x', 'y']);
		await second.endAsync();
		await forgetSession(id);
	});

	it('delivers QoS 2 messages and sends PUBREC only after delivery', async () => {
		const topic = unique('qos2');
		const client = await connect(persistent(clientId('qos2')));
		const acks = recordAcks(client);
		const out = new MemoryOutput().hang();
		const input = new MqttInput({ client, topics: topic, qos: 2 });
		const hub = Hub.builder().flushInterval(0).input(input).output(out).build();
		await hub.start();
		await input.ready;
		const pub = await connect();
		const published = publishAll(pub, topic, ['p', 'q'], 2);
		await until(() => out.hanging > 0, 'the first message at the output');
		await new Promise((r) => setTimeout(r, 100));
		assert.deepEqual(acks.pubrecs, []);
		assert.equal(input.stats().received, 1, 'QoS 2 messages are delivered one at a time');
		out.release();
		await published;
		await out.waitFor(2);
		await until(() => acks.pubrecs.length === 2, 'two PUBRECs');
		await hub.stop();
		assert.deepEqual(out.messages.map(payloadText), ['p', 'q']);
	});

	it('works with an MQTT 3.1.1 client too (no user properties there)', async () => {
		const topic = unique('v311');
		const client = await connect({ ...persistent(clientId('v311')), protocolVersion: 4, properties: undefined });
		const acks = recordAcks(client);
		const out = new MemoryOutput().hang();
		const input = new MqttInput({ client, topics: topic });
		const hub = Hub.builder().flushInterval(0).input(input).output(out).build();
		await hub.start();
		await input.ready;
		await publishAll(await connect(), topic, ['a', 'b']);
		await until(() => input.stats().inFlight === 2, 'two messages in flight');
		assert.deepEqual(acks.pubacks, []);
		out.release();
		await until(() => acks.pubacks.length === 2, 'two PUBACKs');
		await hub.stop();
		assert.deepEqual(out.messages.map(payloadText), ['a', 'b']);
	});

	it('takes QoS 0 messages (at most once)', async () => {
		const topic = unique('qos0');
		const client = await connect();
		const out = new MemoryOutput();
		let input: MqttInput;
		const hub = Hub.builder().flushInterval(0).input((input = new MqttInput({ client, topics: topic, qos: 0 }))).output(out).build();
		await hub.start();
		await input.ready;
		await publishAll(await connect(), topic, ['a', 'b'], 0);
		await out.waitFor(2);
		await hub.stop();
		assert.deepEqual(out.messages.map(payloadText), ['a', 'b']);
	});

	it('acknowledges a poison message (malformed polku envelope) and records it with dropInvalid', async () => {
		const topic = unique('poison');
		const id = clientId('poison');
		const client = await connect(persistent(id));
		const out = new MemoryOutput();
		const input = new MqttInput({ client, topics: topic });
		const hub = Hub.builder().flushInterval(0).input(input).output(out).build();
		const drops: DropEvent[] = [];
		hub.on('drop', (e) => drops.push(e));
		await hub.start();
		await input.ready;
		const pub = await connect();
		await publishAll(pub, topic, ['bad'], 1, { 'polku-id': 'x', 'polku-timestamp': 'yesterday' });
		await publishAll(pub, topic, ['good']);
		await out.waitFor(1);
		await until(() => input.stats().acked === 2, 'both acknowledged');
		await hub.stop();
		assert.deepEqual(out.messages.map(payloadText), ['good']);
		assert.equal(hub.stats().dropped.invalid, 1);
		assert.equal(hub.stats().inputs['mqtt']!.invalid, 1);
		assert.equal(drops.length, 1);
		assert.equal(drops[0]!.reason, 'invalid');
		assert.equal(payloadText(drops[0]!.messages[0]!), 'bad');
		assert.match(drops[0]!.error!.message, /polku-timestamp/);
		// Not redelivered: a new session of the same client sees nothing.
		await client.endAsync();
		const again = await connect(persistent(id));
		let seen = 0;
		again.on('message', () => seen++);
		await new Promise((r) => setTimeout(r, 300));
		assert.equal(seen, 0);
		await again.endAsync();
		await forgetSession(id);
	});

	it('leaves messages on other subscriptions of the client to MQTT.js', async () => {
		const topic = unique('others');
		const client = await connect();
		const out = new MemoryOutput();
		let input: MqttInput;
		const hub = Hub.builder().flushInterval(0).input((input = new MqttInput({ client, topics: `${topic}/mine/#` }))).output(out).build();
		await hub.start();
		await input.ready;
		const theirs: string[] = [];
		client.on('message', (t, payload) => {
			if (t.startsWith(`${topic}/theirs`)) theirs.push(payload.toString());
		});
		await client.subscribeAsync(`${topic}/theirs`, { qos: 1 });
		const pub = await connect();
		await publishAll(pub, `${topic}/theirs`, ['t']);
		await publishAll(pub, `${topic}/mine/x`, ['m']);
		await out.waitFor(1);
		await until(() => theirs.length === 1, 'the other subscription');
		await hub.stop();
		assert.deepEqual(out.messages.map(payloadText), ['m']);
	});

	it('refuses bad options with a ConfigError naming the field', async () => {
		const client = await connect();
		assert.throws(() => new MqttInput({ client, topics: 'a/#/b' }), (e: unknown) => e instanceof ConfigError && /topics\[0\]/.test(e.field));
		assert.throws(() => new MqttInput({ client, topics: 'a/b+' }), ConfigError);
		assert.throws(() => new MqttInput({ client, topics: [] }), (e: unknown) => e instanceof ConfigError && /topics/.test(e.field));
		assert.throws(() => new MqttInput({ client, topics: 'a', qos: 3 as 1 }), (e: unknown) => e instanceof ConfigError && /qos/.test(e.field));
		assert.throws(() => new MqttInput({ client, topics: 'a', source: '{level}' }), (e: unknown) => e instanceof ConfigError && /source/.test(e.field));
		assert.throws(() => new MqttInput({ client: {} as never, topics: 'a' }), (e: unknown) => e instanceof ConfigError && /client/.test(e.field));
		const aliased = await connect({ properties: { topicAliasMaximum: 10 } });
		assert.throws(() => new MqttInput({ client: aliased, topics: 'a' }), /topicAliasMaximum/);
		assert.doesNotThrow(() => new MqttInput({ client, topics: ['$share/g/a/+', '#', 'a/+/c'] }));
	});
});

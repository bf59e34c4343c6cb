import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { IPublishPacket } from 'mqtt';
import { MqttOutput, type MqttPublisherClient, type MqttPublishOptions } from '../../src/adapters/mqtt/index.js';
import { ConfigError, createMessage, fromEnvelopeHeaders, OutputError, type Message } from '../../src/index.js';
import { skipUnless } from '../support/services.js';
import { connect, endAll, unique, until } from './helpers.js';

/** A client whose publish callbacks the test fires by hand. */
class FakeClient implements MqttPublisherClient {
	connected = true;
	readonly options = { protocolVersion: 5 };
	readonly published: { topic: string; payload: Uint8Array; options: MqttPublishOptions; done: (error?: Error) => void }[] = [];
	publish(topic: string, payload: Uint8Array, options: MqttPublishOptions, done: (error?: Error) => void): void {
		this.published.push({ topic, payload, options, done });
	}
}

const msg = (n: number, extra: Partial<Message> = {}): Message =>
	createMessage({ source: 'shop', messageType: 'order.created', payload: `p${n}`, metadata: { tenant: 'acme' }, ...extra });

describe('MqttOutput (contract, with a fake client)', () => {
	it('resolves a batch only when every publish was acknowledged', async () => {
		const client = new FakeClient();
		const output = new MqttOutput({ client, topic: 'orders' });
		let resolved = false;
		const sending = output.send([msg(1), msg(2)]).then(() => (resolved = true));
		assert.equal(client.published.length, 2);
		client.published[0]!.done();
		await new Promise((r) => setImmediate(r));
		assert.equal(resolved, false);
		client.published[1]!.done();
		await sending;
		assert.equal(resolved, true);
	});

	it('rejects the batch when the broker refused a publish', async () => {
		const client = new FakeClient();
		const output = new MqttOutput({ client, topic: 'orders' });
		const sending = output.send([msg(1), msg(2)]);
		client.published[0]!.done(new Error('Not authorized'));
		client.published[1]!.done();
		await assert.rejects(sending, (e: unknown) => e instanceof OutputError && /did not accept 1 of 2.*Not authorized/.test(e.message));
	});

	it('rejects a batch not acknowledged within timeoutMs, and when the hub abandons it', async () => {
		const client = new FakeClient();
		const output = new MqttOutput({ client, topic: 'orders', timeoutMs: 30 });
		await assert.rejects(output.send([msg(1)]), /1 of 1 publishes were not acknowledged within 30 ms/);
		const abort = new AbortController();
		const sending = output.send([msg(2)], abort.signal);
		abort.abort();
		await assert.rejects(sending, /abandoned by the hub/);
	});

	it('computes topics from a template, keeping wildcards out of substituted values', async () => {
		const client = new FakeClient();
		const output = new MqttOutput({ client, topic: 'events/{metadata.tenant}/{source}/{messageType}/{metadata.missing}' });
		const sending = output.send([msg(1), msg(2, { source: 'a+b#c' })]);
		for (const p of client.published) p.done();
		await sending;
		assert.deepEqual(
			client.published.map((p) => p.topic),
			['events/acme/shop/order.created/', 'events/acme/a_b_c/order.created/'],
		);
	});

	it('refuses an invalid topic before publishing anything', async () => {
		const client = new FakeClient();
		const output = new MqttOutput({ client, topic: (m) => (m.payload[1] === 0x32 ? 'bad/#' : 'ok') });
		await assert.rejects(output.send([msg(1), msg(2)]), (e: unknown) => e instanceof OutputError && /wildcards/.test(e.message));
		assert.equal(client.published.length, 0);
	});

	it('publishes the payload as is, the envelope as user properties, with the QoS and retain flag asked for', async () => {
		const client = new FakeClient();
		const output = new MqttOutput({ client, topic: 't', qos: 2, retain: (m) => m.messageType === 'state' });
		const m = msg(1, { messageType: 'state', routeTo: ['a', 'b'] });
		const sending = output.send([m]);
		client.published[0]!.done();
		await sending;
		const p = client.published[0]!;
		assert.equal(p.options.qos, 2);
		assert.equal(p.options.retain, true);
		assert.equal(Buffer.from(p.payload).toString(), 'p1');
		const back = fromEnvelopeHeaders(Object.entries(p.options.properties!.userProperties) as [string, string][], p.payload, { source: '', messageType: '' });
		assert.deepEqual({ ...back, metadata: { ...back.metadata }, payload: [...back.payload] }, { ...m, metadata: { ...m.metadata }, payload: [...m.payload] });
	});

	it('without the envelope publishes payloads only, on any protocol version', async () => {
		const client = new FakeClient();
		(client.options as { protocolVersion: number }).protocolVersion = 4;
		assert.throws(() => new MqttOutput({ client, topic: 't' }), (e: unknown) => e instanceof ConfigError && /protocolVersion: 5/.test(e.message));
		const output = new MqttOutput({ client, topic: 't', envelope: false });
		const sending = output.send([msg(1)]);
		client.published[0]!.done();
		await sending;
		assert.equal(client.published[0]!.options.properties, undefined);
	});

	it('reports health from the connection', () => {
		const client = new FakeClient();
		const output = new MqttOutput({ client, topic: 't' });
		assert.equal(output.health(), true);
		client.connected = false;
		assert.equal(output.health(), false);
	});

	it('refuses bad options with a ConfigError naming the field', () => {
		const client = new FakeClient();
		assert.throws(() => new MqttOutput({ client, topic: '' }), (e: unknown) => e instanceof ConfigError && /topic/.test(e.field));
		assert.throws(() => new MqttOutput({ client, topic: 'a/+' }), (e: unknown) => e instanceof ConfigError && /topic/.test(e.field));
		assert.throws(() => new MqttOutput({ client, topic: '{nope}' }), /unknown placeholder \{nope\}/);
		assert.throws(() => new MqttOutput({ client, topic: 't', qos: 5 as 1 }), (e: unknown) => e instanceof ConfigError && /qos/.test(e.field));
		assert.throws(() => new MqttOutput({ client: {} as never, topic: 't' }), (e: unknown) => e instanceof ConfigError && /client/.test(e.field));
	});
});

describe('MqttOutput (Mosquitto)', { skip: await skipUnless('mqtt') }, () => {
	after(endAll);

	it('publishes a batch at QoS 1 and resolves once the broker acknowledged it; subscribers see payload and envelope', async () => {
		const topic = unique('out');
		const sub = await connect();
		const got: IPublishPacket[] = [];
		sub.on('message', (_t, _p, packet) => got.push(packet));
		await sub.subscribeAsync(`${topic}/#`, { qos: 1 });
		const pub = await connect();
		const acked: number[] = [];
		pub.on('packetreceive', (p) => p.cmd === 'puback' && acked.push(p.messageId!));
		const output = new MqttOutput({ client: pub, topic: `${topic}/{messageType}` });
		const batch = [msg(1), msg(2), msg(3)];
		await output.send(batch);
		assert.equal(acked.length, 3, 'resolved after the three PUBACKs');
		await until(() => got.length === 3, 'three messages');
		assert.deepEqual(
			got.map((p) => p.payload.toString()),
			['p1', 'p2', 'p3'],
		);
		assert.equal(got[0]!.topic, `${topic}/order.created`);
		assert.equal(got[0]!.properties?.userProperties?.['polku-id'], batch[0]!.id);
		assert.equal(got[0]!.properties?.userProperties?.['tenant'], 'acme');
	});

	it('sets the retain flag: a later subscriber gets the retained message', async () => {
		const topic = unique('retain');
		const output = new MqttOutput({ client: await connect(), topic, retain: true, qos: 2 });
		await output.send([msg(7)]);
		const late = await connect();
		const got: string[] = [];
		late.on('message', (_t, payload, packet) => packet.retain && got.push(payload.toString()));
		await late.subscribeAsync(topic, { qos: 1 });
		await until(() => got.length === 1, 'the retained message');
		assert.deepEqual(got, ['p7']);
		await late.publishAsync(topic, '', { qos: 1, retain: true }); // clear it
	});

	it('QoS 0 resolves once written', async () => {
		const output = new MqttOutput({ client: await connect(), topic: unique('qos0'), qos: 0 });
		await output.send([msg(1), msg(2)]);
	});

	it('a batch published while disconnected fails after timeoutMs', async () => {
		const client = await connect({ reconnectPeriod: 0 });
		await client.endAsync();
		const output = new MqttOutput({ client, topic: unique('down'), timeoutMs: 200 });
		assert.equal(output.health(), false);
		await assert.rejects(output.send([msg(1)]), OutputError);
	});
});

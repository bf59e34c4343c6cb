// polku/nats behaviour beyond the conformance suite, against the real server: nak with delay, term,
// in-progress acks for slow deliveries, Nats-Msg-Id de-duplication of a retried batch, the envelope's
// tricky keys and values through NATS headers, plain messages, and queue groups.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { createMessage, Hub, type Message, type Output } from '../../src/index.js';
import { JetStreamInput, JetStreamOutput, NatsInput, NatsOutput } from '../../src/adapters/nats/index.js';
import { MemoryOutput } from '../../src/testing/index.js';
import { skipUnless } from '../support/services.js';
import { createStream, jsInputOptions, natsConnect, publishMessages, readStream, unique } from './support.js';

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
	const end = Date.now() + timeoutMs;
	while (!check()) {
		if (Date.now() > end) throw new Error(`timed out: ${what}`);
		await new Promise((r) => setTimeout(r, 20));
	}
}

const text = (m: Message): string => Buffer.from(m.payload).toString();

/** Metadata a header transport finds hard: prototype names, non-token keys, Nats-* keys, CR/LF, edge white space. */
const TRICKY = JSON.parse(
	JSON.stringify({
		__proto__x: 'placeholder',
		constructor: 'ctor',
		'a b': 'space key',
		'Nats-Msg-Id': 'not the transport id',
		'nats-rollup': 'sub',
		crlf: 'one\r\ntwo',
		nbsp: '\u00a0edge\u00a0',
		ls: '\u2028x\u3000',
		spaces: '  padded  ',
		pct: '100%',
	}).replace('__proto__x', '__proto__'),
) as Record<string, string>;

describe('polku/nats against the real server', { skip: await skipUnless('nats') }, () => {
	it('NatsOutput and JetStreamOutput carry tricky metadata keys and values exactly', async () => {
		const nc = await natsConnect();
		const js = jetstream(nc);
		const jsm = await jetstreamManager(nc);
		const { stream, subject, drop } = await createStream(jsm);
		try {
			const sent = createMessage({ source: 'src ✓', messageType: 'type', payload: 'p', metadata: TRICKY });
			assert.equal(Object.keys(sent.metadata).includes('__proto__'), true);
			await new JetStreamOutput({ js, subject }).send([sent]);
			await new NatsOutput({ nc, subject: `${stream}.core` }).send([sent]); // the stream stores it too
			const got = await readStream(js, stream, 2, 5_000);
			for (const m of got) {
				assert.equal(m.id, sent.id);
				assert.equal(m.timestamp, sent.timestamp);
				assert.deepEqual({ ...m.metadata }, { ...sent.metadata });
				assert.equal(m.metadata['__proto__'], '__proto__' in TRICKY ? TRICKY['__proto__'] : undefined);
			}
		} finally {
			await drop();
			await nc.close();
		}
	});

	it('a plain JetStream message gets its Nats-Msg-Id (or stream/sequence) as id, the subject as type, its headers as metadata', async () => {
		const nc = await natsConnect();
		const js = jetstream(nc);
		const jsm = await jetstreamManager(nc);
		const { stream, subject, drop } = await createStream(jsm);
		const out = new MemoryOutput('out');
		const hub = Hub.builder().input(new JetStreamInput(jsInputOptions(js, stream, 'plain'))).output(out).build();
		try {
			const h = headers();
			h.set('X-Trace', 'abc');
			await js.publish(subject, 'one', { headers: h, msgID: 'order-1' });
			await js.publish(subject, 'two');
			await hub.start();
			await until(() => out.messages.length === 2, 10_000, 'two messages');
			const [one, two] = out.messages;
			assert.deepEqual([one!.id, one!.source, one!.messageType, { ...one!.metadata }], ['order-1', 'nats', subject, { 'X-Trace': 'abc' }]);
			assert.equal(two!.id, `${stream}/2`);
		} finally {
			await hub.stop();
			await drop();
			await nc.close();
		}
	});

	it('JetStreamOutput sets Nats-Msg-Id: a retried batch is stored once', async () => {
		const nc = await natsConnect();
		const js = jetstream(nc);
		const jsm = await jetstreamManager(nc);
		const { stream, subject, drop } = await createStream(jsm);
		try {
			const output = new JetStreamOutput({ js, subject });
			// Publishes, then fails its first attempt after the stream has the batch: the hub retries it.
			let attempts = 0;
			const flaky: Output = {
				name: 'flaky',
				async send(batch) {
					await output.send(batch);
					if (++attempts === 1) throw new Error('lost the acks');
				},
			};
			const hub = Hub.builder().output(flaky, { retry: { attempts: 3, baseDelayMs: 10 }, batchSize: 100 }).build();
			await hub.start();
			const sent = Array.from({ length: 50 }, (_, i) => createMessage({ source: 't', messageType: 'n', payload: `d-${i}` }));
			const outcome = await hub.deliverBatch(sent);
			await hub.stop();
			assert.equal(outcome.delivered, 50);
			assert.equal(attempts, 2);
			const info = await jsm.streams.info(stream);
			assert.equal(info.state.messages, 50, 'the retry was de-duplicated by the stream');
			assert.deepEqual(output.stats(), { published: 50, duplicates: 50 });
		} finally {
			await drop();
			await nc.close();
		}
	});

	it('JetStreamInput naks a failed message with the backoff delay, and acks it once delivered', async () => {
		const nc = await natsConnect();
		const js = jetstream(nc);
		const jsm = await jetstreamManager(nc);
		const { stream, subject, drop } = await createStream(jsm);
		const input = new JetStreamInput(jsInputOptions(js, stream, 'nak', { nakDelayMs: 600 }));
		const naks: { at: number; delayMs: number; deliveryCount: number }[] = [];
		input.on('nak', (e) => naks.push({ at: Date.now(), delayMs: e.delayMs, deliveryCount: e.deliveryCount }));
		const out = new MemoryOutput('out').failNext(1);
		const hub = Hub.builder().input(input).output(out, { retry: false }).build();
		try {
			await publishMessages(js, subject, [createMessage({ source: 't', messageType: 'n', payload: 'x' })]);
			await hub.start();
			await until(() => out.messages.length === 1, 10_000, 'the redelivery arrives');
			const arrived = Date.now();
			assert.equal(naks.length, 1);
			assert.equal(naks[0]!.delayMs, 600);
			assert.ok(arrived - naks[0]!.at >= 500, `redelivered ${arrived - naks[0]!.at} ms after the nak (delay 600)`);
			await until(() => input.stats().acked === 1, 5_000, 'acked');
			let pending = -1;
			for (let i = 0; i < 50 && pending !== 0; i++) {
				pending = (await jsm.consumers.info(stream, 'nak')).num_ack_pending;
				if (pending !== 0) await new Promise((r) => setTimeout(r, 20));
			}
			assert.equal(pending, 0, 'the server has the ack');
		} finally {
			await hub.stop();
			await drop();
			await nc.close();
		}
	});

	it('JetStreamInput terminates a poison message (never redelivered) and keeps slow deliveries alive with working()', async () => {
		const nc = await natsConnect();
		const js = jetstream(nc);
		const jsm = await jetstreamManager(nc);
		const { stream, subject, drop } = await createStream(jsm);
		// Ack wait 1 s; the output takes 2.5 s: without in-progress acks the server would redeliver.
		const input = new JetStreamInput(jsInputOptions(js, stream, 'slow', { ackWaitMs: 1_000, workingIntervalMs: 300 }));
		const out = new MemoryOutput({ name: 'out', latencyMs: 2_500 });
		const hub = Hub.builder().input(input).output(out).build();
		try {
			const h = headers();
			h.set('polku-id', 'p');
			h.set('polku-timestamp', 'soon');
			await js.publish(subject, 'poison', { headers: h });
			await publishMessages(js, subject, [createMessage({ source: 't', messageType: 'n', payload: 'slow' })]);
			await hub.start();
			await until(() => out.messages.length === 1, 10_000, 'the slow delivery completes');
			await new Promise((r) => setTimeout(r, 1_500));
			const stats = input.stats();
			assert.equal(stats.terminated, 1);
			assert.equal(stats.received, 1, 'the slow message was not redelivered');
			assert.ok(stats.working >= 3, `in-progress acks sent: ${stats.working}`);
			assert.equal(out.messages.length, 1);
			assert.equal(hub.stats().dropped.invalid, 1);
			const info = await jsm.consumers.info(stream, 'slow');
			assert.deepEqual([info.num_ack_pending, info.num_redelivered], [0, 0]);
		} finally {
			await hub.stop();
			await drop();
			await nc.close();
		}
	});

	it('NatsInput inputs in one queue group share the messages', async () => {
		const nc = await natsConnect();
		const subject = unique('polku.q');
		const a = new NatsInput({ nc, subject, queue: 'polku' });
		const b = new NatsInput({ nc, subject, queue: 'polku' });
		const outA = new MemoryOutput('out');
		const outB = new MemoryOutput('out');
		const hubA = Hub.builder().input(a).output(outA).build();
		const hubB = Hub.builder().input(b).output(outB).build();
		try {
			await hubA.start();
			await hubB.start();
			await Promise.all([a.subscribed(), b.subscribed()]);
			const sent = Array.from({ length: 200 }, (_, i) => createMessage({ source: 't', messageType: 'n', payload: `q-${i}` }));
			await new NatsOutput({ nc, subject }).send(sent);
			await until(() => outA.messages.length + outB.messages.length === 200, 5_000, 'all 200');
			assert.ok(outA.messages.length > 0 && outB.messages.length > 0, `${outA.messages.length} + ${outB.messages.length}`);
			assert.equal(new Set([...outA.messages, ...outB.messages].map(text)).size, 200);
		} finally {
			await hubA.stop();
			await hubB.stop();
			await nc.close();
		}
	});
});

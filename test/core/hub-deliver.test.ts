import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeliveryError, Hub, MessageValidationError, reject } from '../../src/index.js';
import { MemoryInput, MemoryOutput } from '../../src/testing/index.js';
import { init, inits, turns } from '../support/hub.js';

describe('Hub.deliver', () => {
	it('resolves only after every routed output confirmed', async () => {
		const a = new MemoryOutput('a').hang();
		const b = new MemoryOutput('b');
		const hub = Hub.builder().flushInterval(0).output(a).output(b).build();
		await hub.start();
		let done = false;
		const delivering = hub.deliver(init(1)).then((o) => {
			done = true;
			return o;
		});
		await b.waitFor(1);
		await turns();
		assert.equal(done, false, 'a has not confirmed yet');
		a.release();
		const outcome = await delivering;
		assert.equal(outcome.status, 'delivered');
		assert.equal(outcome.id, a.messages[0]!.id);
		await hub.stop();
	});

	it('resolves filtered when a middleware filters the message', async () => {
		const hub = Hub.builder().middleware({ name: 'none', process: () => null }).output(new MemoryOutput()).build();
		await hub.start();
		assert.equal((await hub.deliver(init(1))).status, 'filtered');
		await hub.stop();
	});

	it('rejects with DeliveryError naming the reason and the output', async () => {
		const hub = Hub.builder()
			.flushInterval(0)
			.retry({ attempts: 1 })
			.middleware({ name: 'gate', process: (m) => (m.messageType === 'm9' ? reject('forbidden') : m) })
			.output(new MemoryOutput('ok'))
			.output(new MemoryOutput('bad').failNext(100), { deadLetter: 'dlq' })
			.output(new MemoryOutput('worse').failNext(100))
			.deadLetter(new MemoryOutput('dlq'))
			.build();
		await hub.start();
		const failure = (p: Promise<unknown>) =>
			p.then(
				() => assert.fail('should reject'),
				(e: unknown) => {
					assert.ok(e instanceof DeliveryError);
					return [e.reason, e.output];
				},
			);
		assert.deepEqual(await failure(hub.deliver(init(1, { routeTo: ['bad'] }))), ['dead-lettered', 'bad']);
		assert.deepEqual(await failure(hub.deliver(init(2, { routeTo: ['worse'] }))), ['output-failed', 'worse']);
		assert.deepEqual(await failure(hub.deliver(init(3, { routeTo: ['nowhere'] }))), ['unroutable', undefined]);
		assert.deepEqual(await failure(hub.deliver(init(9, { routeTo: ['ok'] }))), ['rejected', undefined]);
		assert.equal((await hub.deliver(init(4, { routeTo: ['ok'] }))).status, 'delivered');
		await hub.stop();
	});

	it('rejects with reason overflow when drop-oldest evicts the message before its output took it', async () => {
		const stuck = new MemoryOutput('stuck').hang();
		const hub = Hub.builder().bufferCapacity(1).batchSize(1).flushInterval(0).overflow('drop-oldest').output(stuck).build();
		await hub.start();
		const first = hub.deliver(init(0)); // taken into the hanging batch
		await turns();
		const second = hub.deliver(init(1)); // buffered
		await turns();
		const third = hub.deliver(init(2)); // evicts the second
		await assert.rejects(second, (e: unknown) => e instanceof DeliveryError && e.reason === 'overflow' && e.output === 'stuck');
		stuck.release();
		assert.equal((await first).status, 'delivered');
		assert.equal((await third).status, 'delivered');
		await hub.stop();
	});

	it('rejects in-flight deliveries with reason shutdown at the stop deadline', async () => {
		const hub = Hub.builder().flushInterval(0).output(new MemoryOutput('stuck').hang()).build();
		await hub.start();
		const pending = hub.deliver(init(1));
		await turns();
		await hub.stop({ timeoutMs: 10 });
		await assert.rejects(pending, (e: unknown) => e instanceof DeliveryError && e.reason === 'shutdown' && e.output === 'stuck');
	});

	it('rejects a value that is not a message without sending anything', async () => {
		const out = new MemoryOutput();
		const hub = Hub.builder().output(out).build();
		await hub.start();
		await assert.rejects(hub.deliver({ source: 1 } as never), MessageValidationError);
		await assert.rejects(hub.sendBatch([init(1), { source: 's', messageType: 't', metadata: { x: 2 } } as never]), {
			name: 'MessageValidationError',
			field: '[1].metadata.x',
		});
		await hub.stop();
		assert.equal(out.messages.length, 0);
		assert.equal(hub.stats().received, 0);
	});
});

describe('Hub.deliverBatch', () => {
	it('resolves with per-message failures and never rejects for delivery failures', async () => {
		const input = new MemoryInput();
		const hub = Hub.builder()
			.flushInterval(0)
			.retry({ attempts: 1 })
			.input(input)
			.middleware({ name: 'skip-m1', process: (m) => (m.messageType === 'm1' ? null : m) })
			.output(new MemoryOutput('ok'))
			.output(new MemoryOutput('bad').failNext(100))
			.build();
		await hub.start();
		const batch = [init(0, { routeTo: ['ok'] }), init(1), init(2, { routeTo: ['bad'] }), init(3), init(4, { routeTo: ['x'] })];
		const outcome = await input.deliver(batch);
		assert.equal(outcome.delivered, 1);
		assert.equal(outcome.filtered, 1);
		assert.deepEqual(
			outcome.failed.map((f) => [f.index, f.reason, f.output]).sort(),
			[
				[2, 'output-failed', 'bad'],
				[3, 'output-failed', 'bad'],
				[4, 'unroutable', undefined],
			].sort(),
		);
		assert.deepEqual(await input.deliver([]), { delivered: 0, filtered: 0, failed: [] });
		await hub.stop();
	});
});

describe('Hub.sendBatch', () => {
	it('counts every message in exactly one of accepted, filtered, dropped', async () => {
		const hub = Hub.builder()
			.middleware({ name: 'f', process: (m) => (m.messageType === 'm2' ? null : m) })
			.output(new MemoryOutput('o'))
			.build();
		await hub.start();
		const outcome = await hub.sendBatch([...inits(4), init(9, { routeTo: ['none'] })]);
		assert.equal(outcome.accepted + outcome.filtered + outcome.dropped.length, 5);
		assert.deepEqual([outcome.accepted, outcome.filtered, outcome.dropped.length], [3, 1, 1]);
		await hub.stop();
	});
});

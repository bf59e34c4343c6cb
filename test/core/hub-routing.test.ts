import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hub, withRoute } from '../../src/index.js';
import { MemoryInput, MemoryOutput } from '../../src/testing/index.js';
import { conservationErrors, init, recordDrops } from '../support/hub.js';

async function setup() {
	const input = new MemoryInput();
	const a = new MemoryOutput('a');
	const b = new MemoryOutput('b');
	const dlq = new MemoryOutput('dlq');
	const hub = Hub.builder().flushInterval(0).input(input).output(a, { deadLetter: 'dlq' }).output(b).deadLetter(dlq).build();
	const drops = recordDrops(hub);
	await hub.start();
	return { input, a, b, dlq, hub, drops };
}

describe('Hub routing', () => {
	it('delivers a message with an empty routeTo to every output but the dead-letter ones', async () => {
		const { input, a, b, dlq, hub } = await setup();
		await input.push(init(1));
		await hub.stop();
		assert.equal(a.messages.length, 1);
		assert.equal(b.messages.length, 1);
		assert.equal(dlq.messages.length, 0);
	});

	it('delivers only to the named outputs', async () => {
		const { input, a, b, hub } = await setup();
		await input.push([init(1, { routeTo: ['b'] }), init(2, { routeTo: ['a', 'b'] }), init(3, { routeTo: ['a'] })]);
		await hub.stop();
		assert.deepEqual(a.messages.map((m) => m.messageType), ['m2', 'm3']);
		assert.deepEqual(b.messages.map((m) => m.messageType), ['m1', 'm2']);
		assert.deepEqual(conservationErrors(hub.stats()), []);
	});

	it('drops a message that names no known output as unroutable, with an event', async () => {
		const { input, a, b, hub, drops } = await setup();
		const outcome = await input.push(init(1, { routeTo: ['nowhere'] }));
		assert.equal(outcome.status, 'dropped');
		assert.equal(outcome.status === 'dropped' && outcome.reason, 'unroutable');
		const viaDlqName = await input.push(init(2, { routeTo: ['dlq'] }));
		assert.equal(viaDlqName.status, 'dropped', 'dead-letter outputs are not routable');
		await hub.stop();
		assert.equal(a.messages.length + b.messages.length, 0);
		assert.equal(hub.stats().dropped.unroutable, 2);
		assert.deepEqual(
			drops.map((d) => [d.reason, d.output, d.messages.map((m) => m.messageType)]),
			[
				['unroutable', undefined, ['m1']],
				['unroutable', undefined, ['m2']],
			],
		);
	});

	it('ignores unknown names next to known ones', async () => {
		const { input, a, b, hub } = await setup();
		assert.equal((await input.push(init(1, { routeTo: ['nowhere', 'b'] }))).status, 'accepted');
		await hub.stop();
		assert.equal(a.messages.length, 0);
		assert.equal(b.messages.length, 1);
	});

	it('routes by what middleware set', async () => {
		const input = new MemoryInput();
		const a = new MemoryOutput('a');
		const b = new MemoryOutput('b');
		const hub = Hub.builder()
			.input(input)
			.middleware({ name: 'route', process: (m) => withRoute(m, m.messageType === 'm1' ? 'a' : 'b') })
			.output(a)
			.output(b)
			.build();
		await hub.start();
		await input.push([init(1), init(2)]);
		await hub.stop();
		assert.deepEqual(a.messages.map((m) => m.messageType), ['m1']);
		assert.deepEqual(b.messages.map((m) => m.messageType), ['m2']);
	});

	it('supports more than 32 outputs', async () => {
		const input = new MemoryInput();
		const outputs = Array.from({ length: 40 }, (_, i) => new MemoryOutput(`o${i}`));
		let builder = Hub.builder().input(input);
		for (const o of outputs) builder = builder.output(o);
		const hub = builder.build();
		await hub.start();
		await input.push([init(1), init(2, { routeTo: ['o3', 'o37'] })]);
		await hub.stop();
		outputs.forEach((o, i) => assert.equal(o.messages.length, i === 3 || i === 37 ? 2 : 1, o.name));
	});
});

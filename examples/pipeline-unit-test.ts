// Unit-testing a pipeline with polku/testing: an in-memory input, outputs with fault injection, and node:test.
// Run it like any test file (`node --import tsx --test examples/pipeline-unit-test.ts`) or directly
// (`node --import tsx examples/pipeline-unit-test.ts`): node:test runs the tests either way.
// expect: pass 4
// expect: fail 0
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hub, reject, router, type MessageInit, type Middleware } from 'polku';
import { MemoryInput, MemoryOutput } from 'polku/testing';

/** The pipeline under test: refuse orders without a customer, route refunds to billing, everything to the warehouse. */
function orderPipeline(input: MemoryInput, warehouse: MemoryOutput, billing: MemoryOutput, dlq: MemoryOutput): Hub {
	const requireCustomer: Middleware = {
		name: 'require-customer',
		process: (m) => (m.metadata['customer'] ? m : reject('no-customer')),
	};
	return Hub.builder()
		.flushInterval(0)
		.input(input)
		.middleware(requireCustomer, router([{ messageType: 'order.refunded', to: ['warehouse', 'billing'] }], { default: 'warehouse' }))
		.output(warehouse, { retry: { attempts: 3, baseDelayMs: 1 }, deadLetter: 'dlq' })
		.output(billing, { retry: { attempts: 2, baseDelayMs: 1 }, deadLetter: 'dlq' })
		.deadLetter(dlq)
		.build();
}

const order = (id: number, type = 'order.created', customer: string | null = 'c-1'): MessageInit => ({
	source: 'checkout',
	messageType: type,
	payload: JSON.stringify({ id }),
	metadata: customer === null ? {} : { customer: customer },
});

describe('the order pipeline', () => {
	it('delivers an order even when the warehouse fails twice (retries)', async () => {
		const [input, warehouse, billing, dlq] = [new MemoryInput(), new MemoryOutput('warehouse').failNext(2), new MemoryOutput('billing'), new MemoryOutput('dlq')];
		const hub = orderPipeline(input, warehouse, billing, dlq);
		await hub.start();
		const outcome = await input.deliver(order(1));
		await hub.stop();
		assert.equal(outcome.status, 'delivered');
		assert.equal(warehouse.messages.length, 1);
		assert.equal(hub.stats().outputs['warehouse']?.retries, 2);
	});

	it('dead-letters what billing keeps refusing, with the error in its metadata', async () => {
		const [input, warehouse, billing, dlq] = [new MemoryInput(), new MemoryOutput('warehouse'), new MemoryOutput('billing').failNext(10, new Error('billing is down')), new MemoryOutput('dlq')];
		const hub = orderPipeline(input, warehouse, billing, dlq);
		await hub.start();
		await input.push(order(2, 'order.refunded'));
		await dlq.waitFor(1);
		await hub.stop();
		assert.equal(warehouse.messages.length, 1);
		assert.equal(billing.messages.length, 0);
		assert.equal(dlq.messages[0]?.metadata['polku.dlq.output'], 'billing');
		assert.match(dlq.messages[0]?.metadata['polku.dlq.error'] ?? '', /billing is down/);
	});

	it('refuses an order without a customer, counted under the label', async () => {
		const [input, warehouse, billing, dlq] = [new MemoryInput(), new MemoryOutput('warehouse'), new MemoryOutput('billing'), new MemoryOutput('dlq')];
		const hub = orderPipeline(input, warehouse, billing, dlq);
		await hub.start();
		const outcome = await input.push(order(3, 'order.created', null));
		await hub.stop();
		assert.equal(outcome.status, 'dropped');
		assert.equal(outcome.status === 'dropped' && outcome.reason, 'rejected');
		assert.equal(hub.stats().middleware['require-customer']?.counters['no-customer'], 1);
		assert.equal(warehouse.messages.length, 0);
	});

	it('keeps order under a flaky warehouse (30 % of sends fail, seeded)', async () => {
		let seed = 42;
		const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
		const [input, warehouse, billing, dlq] = [new MemoryInput(), new MemoryOutput({ name: 'warehouse', failRate: 0.3, random }), new MemoryOutput('billing'), new MemoryOutput('dlq')];
		const hub = orderPipeline(input, warehouse, billing, dlq);
		await hub.start();
		await input.push(Array.from({ length: 100 }, (_, i) => order(i)));
		await hub.stop();
		const delivered = warehouse.messages.map((m) => (JSON.parse(new TextDecoder().decode(m.payload)) as { id: number }).id);
		assert.equal(delivered.length + dlq.messages.length, 100, 'every order delivered or dead-lettered');
		assert.deepEqual(delivered, [...delivered].sort((a, b) => a - b), 'in order');
	});
});

// The input suite fails inputs that do not conform: each broken QueueInput fails the case meant to catch it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inputConformance, type ConformanceCase, type InputHarness } from '../../src/testing/index.js';
import { PREFETCH, QueueInput, type InputBreakage } from './broken-queue-input.js';
import { queueHarness } from './harnesses.js';

const harness = (breakage: InputBreakage): InputHarness => {
	const base = queueHarness((queue, name) => new QueueInput(queue, name ?? 'queue', breakage));
	return { ...base, features: { ...base.features, maxInFlight: PREFETCH } };
};

function caseOf(h: InputHarness, fragment: string): ConformanceCase {
	const found = inputConformance(h).filter((c) => c.name.includes(fragment));
	assert.equal(found.length, 1, `one case named like ${JSON.stringify(fragment)}`);
	return found[0]!;
}

const ROUND_TRIP = 'input round trip:';
const ACK_AFTER_DELIVER = 'input ack after deliver:';
const STOP_MID_STREAM = 'input stop mid-stream:';
const BACKPRESSURE = 'input backpressure:';
const POISON = 'input poison:';
const GRACEFUL = 'input graceful stop:';

describe('inputConformance on the unbroken test input', () => {
	for (const c of inputConformance(harness({}))) it(`passes: ${c.name}`, { skip: c.skip ?? false, timeout: c.timeoutMs }, () => c.run());
});

// Concurrent: the cases that catch a lost message wait out their whole time limit.
describe('inputConformance fails broken inputs', { concurrency: true }, () => {
	const broken: [string, InputBreakage, string, RegExp][] = [
		['an input that ignores the envelope headers', { ignoreHeaders: true }, ROUND_TRIP, /round trip: 9 of 9 messages missing .*; 9 messages that were never sent \(first: id "q\/1"/],
		['an input that acks before deliver()', { ackBeforeDeliver: true }, ACK_AFTER_DELIVER, /every message arrives although the first 2 sends failed.*not reached/],
		['an input that acks once the hub accepted (not delivered)', { ackOnAccept: true }, STOP_MID_STREAM, /a new input receives every message the stopped hub did not confirm: not reached/],
		['an input that keeps consuming after stop', { ignoreStop: true }, STOP_MID_STREAM, /the input's run\(\) returns after the hub stopped: not reached/],
		['an input that ignores backpressure and pulls everything', { ignoreBackpressure: true }, BACKPRESSURE, /the input handed \d+ of 200 messages to the blocked hub; at most .* = 65/],
		['an input that redelivers poison forever', { redeliverPoison: true }, POISON, /expected exactly one invalid drop after 2 × redeliveryMs, got \d+/],
		['an input that acks poison without reporting it', { silentPoison: true }, POISON, /the poison message is dropped with reason invalid: not reached/],
		['an input that abandons its in-flight deliveries on stop', { abandonOnStop: true }, GRACEFUL, /messages the stopped hub delivered came again/],
	];
	for (const [what, breakage, fragment, message] of broken) {
		it(`${what}: fails "${fragment}"`, { timeout: 120_000 }, async () => {
			await assert.rejects(caseOf(harness(breakage), fragment).run(), message);
		});
	}
});

describe('inputConformance skips what the features rule out', () => {
	it('no redelivery, no backpressure, no poison: only the round trip runs', () => {
		const base = harness({});
		const cases = inputConformance({ ...base, features: { ...base.features, redelivery: false, backpressure: false, poison: false } });
		assert.deepEqual(
			cases.map((c) => c.skip === undefined),
			[true, false, false, false, false, false],
		);
		assert.ok(cases.every((c) => c.name.startsWith('MemoryQueueInput: input ')));
	});

	it('features.poison without publishPoison() fails the poison case', { timeout: 60_000 }, async () => {
		const base = harness({});
		const without: InputHarness = {
			...base,
			async setup() {
				const { publishPoison: _, ...fixture } = await base.setup();
				return fixture;
			},
		};
		await assert.rejects(caseOf(without, POISON).run(), /features.poison is true but the fixture has no publishPoison\(\)/);
	});
});

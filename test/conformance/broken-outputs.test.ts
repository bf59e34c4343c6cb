// The output suite fails outputs that do not conform: each broken HeaderOutput fails the case meant to catch it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Output } from '../../src/index.js';
import { outputConformance, type ConformanceCase, type OutputHarness } from '../../src/testing/index.js';
import { headerHarness, type Breakage } from './header-store.js';

function caseOf(harness: OutputHarness, fragment: string): ConformanceCase {
	const found = outputConformance(harness).filter((c) => c.name.includes(fragment));
	assert.equal(found.length, 1, `one case named like ${JSON.stringify(fragment)}`);
	return found[0]!;
}

const ENVELOPE = 'output envelope:';
const PAYLOAD = 'output payload:';
const BATCHES = 'output batches:';
const UNREACHABLE = 'output unreachable:';
const CLOSE = 'output close:';
const ALREADY_ABORTED = 'already-aborted signal';
const ABORT_DURING = 'aborting a send to an unreachable destination';

describe('outputConformance on a header-carrying output (toEnvelopeHeaders → fromEnvelopeHeaders)', () => {
	for (const c of outputConformance(headerHarness())) it(`passes: ${c.name}`, { skip: c.skip ?? false, timeout: c.timeoutMs }, () => c.run());
});

describe('outputConformance fails broken outputs', () => {
	const broken: [string, Breakage, string, RegExp][] = [
		['an output that drops metadata', { dropMetadata: true }, ENVELOPE, /metadata: .*missing "tenant"/],
		['an output that rounds the timestamp through ms', { msTimestamp: true }, ENVELOPE, /timestamp: expected \d+ ns, got \d+000000 ns/],
		['an output that collects headers in a plain object (loses __proto__)', { headersAsObject: true }, ENVELOPE, /metadata: missing "__proto__"/],
		['an output that truncates large payloads', { truncatePayload: true }, PAYLOAD, /payload differs at byte 1000000/],
		['an output that loses a message of big batches', { loseFromBigBatches: true }, BATCHES, /batches: the destination did not hold the 10000 messages sent .*9980 of 10000/],
		['an output that reorders batches', { reverseBatches: true }, BATCHES, /out of order/],
		['an output that resolves before the destination has the data (close() loses it)', { resolveEarly: true }, CLOSE, /after close\(\): the destination did not hold the 25 messages sent/],
		['an output whose close() is not idempotent', { closeOnce: true }, CLOSE, /already closed/],
		['an output that resolves sends to an unreachable destination', { swallowUnreachable: true }, UNREACHABLE, /resolved, so the hub would count the batch as delivered/],
		['an output whose health() stays true when unreachable', { alwaysHealthy: true }, UNREACHABLE, /health\(\) of an output whose destination is unreachable turns false: not reached/],
		['an output that ignores an already-aborted signal', { ignoreSignal: true }, ALREADY_ABORTED, /resolved; it must reject/],
		['an output that ignores an abort during a send', { ignoreSignal: true }, ABORT_DURING, /did not settle within 1000 ms of its signal aborting/],
	];
	for (const [what, breakage, fragment, message] of broken) {
		it(`${what}: fails "${fragment}"`, { timeout: 60_000 }, async () => {
			await assert.rejects(caseOf(headerHarness(breakage), fragment).run(), message);
		});
	}

	it('an output whose send() takes no signal: fails both abort cases', { timeout: 60_000 }, async () => {
		const hide = (o: Output): Output => ({ name: o.name, send: (batch) => o.send(batch), close: () => o.close!() });
		for (const fragment of [ALREADY_ABORTED, ABORT_DURING]) {
			await assert.rejects(caseOf(headerHarness({}, {}, hide), fragment).run(), /does not declare its signal parameter/);
		}
	});

	it('a fixture without unreachable() fails the unreachable cases unless features.unreachable is false', { timeout: 60_000 }, async () => {
		const base = headerHarness();
		const without: OutputHarness = {
			...base,
			async setup() {
				const { unreachable: _, ...fixture } = await base.setup();
				return fixture;
			},
		};
		await assert.rejects(caseOf(without, UNREACHABLE).run(), /the fixture has no unreachable\(\)/);
		const skipped = outputConformance({ ...without, features: { ...without.features, unreachable: false } }).filter((c) => c.skip !== undefined);
		assert.deepEqual(skipped.map((c) => c.name.includes(UNREACHABLE) || c.name.includes(ABORT_DURING)), [true, true]);
	});

	it('with features.envelope false, the envelope case checks payloads only', { timeout: 60_000 }, async () => {
		await caseOf(headerHarness({ dropMetadata: true, msTimestamp: true }, { envelope: false }), ENVELOPE).run();
	});

	it('with features.duplicates, a batch written twice passes; without, it fails', { timeout: 60_000 }, async () => {
		const twice = (o: Output): Output => ({
			name: o.name,
			send: async (batch, signal) => {
				await o.send(batch, signal);
				if (batch.length >= 500) await o.send(batch.slice(0, 10), signal);
			},
			close: () => o.close!(),
		});
		await assert.rejects(caseOf(headerHarness({}, {}, twice), BATCHES).run(), /duplicates, and the transport does not declare duplicates/);
		await caseOf(headerHarness({}, { duplicates: true }, twice), BATCHES).run();
	});

	it('with features.ordering none, reordered batches pass', { timeout: 60_000 }, async () => {
		await caseOf(headerHarness({ reverseBatches: true }, { ordering: 'none' }), BATCHES).run();
	});

	it('with features.maxPayloadBytes, the large payload is that size', { timeout: 60_000 }, async () => {
		await caseOf(headerHarness({ truncatePayload: true }, { maxPayloadBytes: 1_000_000 }), PAYLOAD).run();
	});
});

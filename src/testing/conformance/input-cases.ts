import type { Message } from '../../message/message.js';
import { MemoryOutput } from '../memory-output.js';
import { assertComplete, assertEnvelope, assertOrder, assertPayload, fail, match } from './assertions.js';
import type { ConformanceCase, InputHarness } from './harness.js';
import { countPresent, keyOf, rigDetail, startRig, withInputFixture, type Rig } from './input-rig.js';
import { DEFAULT_MAX_IN_FLIGHT, DEFAULT_REDELIVERY_MS, LIMITS } from './limits.js';
import { envelopeMessages, numberedMessages } from './messages.js';
import { eventually, sleep, within } from './wait.js';

/** Sends the output fails in the ack-after-deliver case. */
const FAILS = 2;
/** The backpressure case's hub: buffer capacity and output batch size. */
const TINY_BUFFER = 10;
const TINY_BATCH = 5;

function dropsOtherThan(rig: Rig, allowed: readonly string[]): string[] {
	return rig.drops.filter((d) => !allowed.includes(d.reason)).map((d) => `${d.messages.length} × ${d.reason}${d.error === undefined ? '' : ` (${d.error.message})`}`);
}

/**
 * The input conformance suite: the cases every polku input adapter must
 * pass, independent of the test runner. Each case sets up its own fixture
 * (`harness.setup()`), runs one or two hubs around inputs of it
 * (`fixture.createInput()`) delivering to a `MemoryOutput`, and always tears
 * everything down. Cases that need a feature the transport lacks carry a
 * `skip` reason. `R` below is `features.redeliveryMs`.
 *
 * The cases, by name (prefixed with the harness name):
 * - `input round trip: …`: messages with hard envelopes (see
 *   `outputConformance`) published into the source reach the output exactly
 *   (only the payload when `features.envelope` is false), once each, in order
 *   when `features.ordering` is `total`.
 * - `input ack after deliver: …` (redelivery): the output fails its first two
 *   sends (no retry, no dead letter); every message still arrives, because the
 *   input acks only after `deliver()` succeeded and the source redelivers.
 *   Duplicates are allowed.
 * - `input stop mid-stream: …` (redelivery): the hub's output hangs, the hub
 *   is stopped with a 500 ms deadline, the input's `run()` must return (within
 *   15 s), and a
 *   new input of the fixture in a new hub receives every message the first
 *   hub did not confirm.
 * - `input backpressure: …` (backpressure): with a buffer of 10, a batch size
 *   of 5 and a hanging output, the input hands the hub at most
 *   10 + 5 + `features.maxInFlight` messages (`stats().inputs[name].sent`,
 *   and at most `maxInFlight` waiting for admission) while blocked; after the
 *   output is released, everything arrives.
 * - `input poison: …` (poison): `fixture.publishPoison()` yields exactly one
 *   `drop` event with reason `invalid` (`stats().inputs[name].invalid` is 1 and
 *   stays 1 for 2 R: no endless redelivery), and a message published after it
 *   arrives.
 * - `input graceful stop: …` (redelivery): a hub whose output is slow is
 *   stopped (15 s deadline) while deliveries are in flight; a new input of the
 *   fixture then receives, within 1.5 R + 1 s, none of the messages the first
 *   hub delivered (they were acked before `stop()` returned), and together the
 *   two hubs received everything.
 *
 * @param harness - How to create the input and publish into its source.
 * @returns The cases, in a stable order with stable names.
 * @example
 * ```ts
 * import { describe, it } from 'node:test';
 * import { MemoryQueue, MemoryQueueInput, inputConformance } from 'polku/testing';
 *
 * describe('MemoryQueueInput conformance', () => {
 *   const cases = inputConformance({
 *     name: 'memory-queue',
 *     features: { ordering: 'total', envelope: true, redelivery: true, backpressure: true, poison: true, maxInFlight: 50, redeliveryMs: 1_000 },
 *     async setup() {
 *       const queue = new MemoryQueue({ ackWaitMs: 1_000 });
 *       return {
 *         createInput: (name) => new MemoryQueueInput({ queue, name, prefetch: 50, nackDelayMs: 50 }),
 *         publish: async (messages) => queue.publishMessages(messages),
 *         publishPoison: async () => void queue.publish('x', [['polku-id', 'p'], ['polku-timestamp', 'yesterday']]),
 *         teardown: async () => queue.close(),
 *       };
 *     },
 *   });
 *   for (const c of cases) it(c.name, { skip: c.skip ?? false, timeout: c.timeoutMs }, () => c.run());
 * });
 * ```
 */
export function inputConformance(harness: InputHarness): ConformanceCase[] {
	const f = harness.features;
	const name = harness.name;
	const R = f.redeliveryMs ?? DEFAULT_REDELIVERY_MS;
	const maxInFlight = f.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
	const key = keyOf(f.envelope);
	const noRedelivery = f.redelivery ? undefined : 'features.redelivery is false: the source does not keep unacked messages';
	const fixtureTime = 2 * LIMITS.fixtureMs;
	const stopTime = LIMITS.shortStopMs + LIMITS.closeMs;
	const skip = (reason: string | undefined): { skip?: string } => (reason === undefined ? {} : { skip: reason });

	return [
		{
			name: `${name}: input round trip: published messages reach the hub exactly, once, in order`,
			timeoutMs: fixtureTime + 2 * LIMITS.arrivalMs + stopTime,
			run: () =>
				withInputFixture(harness, async (fixture, cleanup) => {
					const rig = await startRig(fixture, cleanup, 'conformance', new MemoryOutput('conformance-out'));
					const sent = envelopeMessages();
					await within(fixture.publish(sent), LIMITS.arrivalMs, `${name}: publish()`);
					await eventually(() => rig.out.messages.length >= sent.length, LIMITS.arrivalMs, `${name}: every published message reaches the output`, () => rigDetail(rig));
					await sleep(200); // a duplicate right behind would show now
					const m = match(sent, rig.out.messages, f.envelope);
					assertComplete(m, sent, { duplicates: false, what: `${name}: round trip` });
					if (f.ordering === 'total') assertOrder(m, `${name}: round trip`);
					sent.forEach((expected, i) => {
						const label = `${name}: round trip: message #${i} (${expected.messageType})`;
						if (f.envelope) assertEnvelope(m.first[i]!, expected, label);
						else assertPayload(m.first[i]!, expected, label);
					});
					const drops = dropsOtherThan(rig, []);
					if (drops.length > 0) fail(`${name}: the hub dropped messages: ${drops.join(', ')}`);
				}),
		},
		{
			name: `${name}: input ack after deliver: messages whose delivery failed are redelivered, none lost`,
			...skip(noRedelivery),
			timeoutMs: fixtureTime + (FAILS + 1) * R + 2 * LIMITS.arrivalMs + stopTime,
			run: () =>
				withInputFixture(harness, async (fixture, cleanup) => {
					const out = new MemoryOutput('conformance-out').failNext(FAILS);
					const rig = await startRig(fixture, cleanup, 'conformance', out, { retry: false, batchSize: 10 });
					const sent = numberedMessages(20, 'redelivery');
					await within(fixture.publish(sent), LIMITS.arrivalMs, `${name}: publish()`);
					await eventually(
						() => countPresent(sent, out.messages, key) === sent.length,
						(FAILS + 1) * R + LIMITS.arrivalMs,
						`${name}: every message arrives although the first ${FAILS} sends failed (the input must ack only after deliver() succeeded, and the source redeliver)`,
						() => `${countPresent(sent, out.messages, key)} of ${sent.length} arrived; ${rigDetail(rig)}`,
					);
					if (out.failures !== FAILS) fail(`${name}: expected ${FAILS} failed sends, the output saw ${out.failures}`);
					if (!rig.drops.some((d) => d.reason === 'output-failed')) fail(`${name}: the hub reported no output-failed drop`);
					const m = match(sent, out.messages, f.envelope);
					assertComplete(m, sent, { duplicates: true, what: `${name}: ack after deliver` });
				}),
		},
		{
			name: `${name}: input stop mid-stream: a new input gets every message the stopped hub did not confirm`,
			...skip(noRedelivery),
			timeoutMs: fixtureTime + R + 3 * LIMITS.arrivalMs + 3 * stopTime + LIMITS.inputReturnMs,
			run: () =>
				withInputFixture(harness, async (fixture, cleanup) => {
					const outA = new MemoryOutput('conformance-out').hang();
					const a = await startRig(fixture, cleanup, 'conformance-a', outA, { batchSize: 10 });
					const sent = numberedMessages(30, 'stop');
					await within(fixture.publish(sent), LIMITS.arrivalMs, `${name}: publish()`);
					await eventually(() => outA.hanging > 0, LIMITS.arrivalMs, `${name}: a delivery reaches the (hanging) output`, () => rigDetail(a));
					await within(a.hub.stop({ timeoutMs: LIMITS.shortStopMs }), stopTime, `${name}: hub.stop({ timeoutMs: ${LIMITS.shortStopMs} })`);
					await eventually(() => a.hub.stats().inputs[a.input.name]?.running === false, LIMITS.inputReturnMs, `${name}: the input's run() returns after the hub stopped`);
					const confirmed = new Set(outA.messages.map(key));
					const rest = sent.filter((m) => !confirmed.has(key(m)));
					const b = await startRig(fixture, cleanup, 'conformance-b', new MemoryOutput('conformance-out'));
					await eventually(
						() => countPresent(rest, b.out.messages, key) === rest.length,
						R + LIMITS.arrivalMs,
						`${name}: a new input receives every message the stopped hub did not confirm`,
						() => `${countPresent(rest, b.out.messages, key)} of ${rest.length}; ${rigDetail(b)}`,
					);
				}),
		},
		{
			name: `${name}: input backpressure: stops pulling while the hub blocks, then delivers everything`,
			...skip(f.backpressure ? undefined : 'features.backpressure is false: the source cannot hold messages back'),
			timeoutMs: fixtureTime + 4 * LIMITS.arrivalMs + LIMITS.watchMs + stopTime,
			run: () =>
				withInputFixture(harness, async (fixture, cleanup) => {
					const bound = TINY_BUFFER + TINY_BATCH + maxInFlight;
					const total = Math.max(200, 2 * bound);
					const out = new MemoryOutput('conformance-out').hang();
					const rig = await startRig(fixture, cleanup, 'conformance', out, { bufferCapacity: TINY_BUFFER, batchSize: TINY_BATCH });
					const sent = numberedMessages(total, 'backpressure');
					const publishing = fixture.publish(sent);
					publishing.catch(() => {});
					await eventually(
						() => out.hanging > 0 && rig.hub.stats().buffer.size >= TINY_BUFFER,
						LIMITS.arrivalMs,
						`${name}: the pipeline blocks (output hanging, buffer full)`,
						() => rigDetail(rig),
					);
					let maxSent = 0;
					let maxAdmitting = 0;
					const until = performance.now() + LIMITS.watchMs;
					while (performance.now() < until) {
						const s = rig.hub.stats();
						maxSent = Math.max(maxSent, s.inputs[rig.input.name]?.sent ?? 0);
						maxAdmitting = Math.max(maxAdmitting, s.admitting);
						await sleep(20);
					}
					if (maxSent > bound) {
						fail(
							`${name}: the input handed ${maxSent} of ${total} messages to the blocked hub; at most buffer (${TINY_BUFFER}) + in-flight batch (${TINY_BATCH}) + features.maxInFlight (${maxInFlight}) = ${bound}`,
						);
					}
					if (maxAdmitting > maxInFlight) fail(`${name}: ${maxAdmitting} messages waited for admission; at most features.maxInFlight (${maxInFlight})`);
					out.release();
					await within(publishing, LIMITS.arrivalMs, `${name}: publish()`);
					await eventually(
						() => countPresent(sent, out.messages, key) === sent.length,
						2 * LIMITS.arrivalMs,
						`${name}: everything arrives once the output is released`,
						() => `${countPresent(sent, out.messages, key)} of ${sent.length}; ${rigDetail(rig)}`,
					);
					const drops = dropsOtherThan(rig, []);
					if (drops.length > 0) fail(`${name}: the hub dropped messages: ${drops.join(', ')}`);
				}),
		},
		{
			name: `${name}: input poison: dropped once with reason invalid, not redelivered, later messages arrive`,
			...skip(f.poison ? undefined : 'features.poison is false: the source cannot carry an undecodable message'),
			timeoutMs: fixtureTime + 4 * R + 3 * LIMITS.arrivalMs + stopTime,
			run: () =>
				withInputFixture(harness, async (fixture, cleanup) => {
					if (fixture.publishPoison === undefined) fail(`${name}: features.poison is true but the fixture has no publishPoison()`);
					const rig = await startRig(fixture, cleanup, 'conformance', new MemoryOutput('conformance-out'));
					const invalid = (): number => rig.drops.filter((d) => d.reason === 'invalid').reduce((n, d) => n + d.messages.length, 0);
					await within(fixture.publishPoison(), LIMITS.arrivalMs, `${name}: publishPoison()`);
					await eventually(() => invalid() >= 1, R + LIMITS.arrivalMs, `${name}: the poison message is dropped with reason invalid`, () => rigDetail(rig));
					const good = numberedMessages(1, 'after-poison');
					await within(fixture.publish(good), LIMITS.arrivalMs, `${name}: publish()`);
					await eventually(() => countPresent(good, rig.out.messages, key) === 1, R + LIMITS.arrivalMs, `${name}: a message published after the poison one arrives`, () =>
						rigDetail(rig),
					);
					await sleep(2 * R);
					const events = rig.drops.filter((d) => d.reason === 'invalid');
					if (events.length !== 1 || invalid() !== 1) {
						fail(`${name}: expected exactly one invalid drop after 2 × redeliveryMs, got ${invalid()} in ${events.length} events (redelivered poison?)`);
					}
					const stats = rig.hub.stats();
					const counted = stats.inputs[rig.input.name]?.invalid;
					if (counted !== 1) fail(`${name}: stats().inputs[${JSON.stringify(rig.input.name)}].invalid is ${String(counted)}, expected 1 (use sink.dropInvalid())`);
					if (stats.dropped.invalid !== 1) fail(`${name}: stats().dropped.invalid is ${stats.dropped.invalid}, expected 1`);
					const m = match(good, rig.out.messages, f.envelope);
					if (m.unknown.length > 0) fail(`${name}: ${m.unknown.length} unexpected messages reached the output (the poison message?)`);
				}),
		},
		{
			name: `${name}: input graceful stop: in-flight deliveries finish and are acked, nothing delivered comes again`,
			...skip(noRedelivery),
			timeoutMs: fixtureTime + 2 * R + 3 * LIMITS.arrivalMs + LIMITS.longStopMs + 2 * stopTime + LIMITS.inputReturnMs,
			run: () =>
				withInputFixture(harness, async (fixture, cleanup) => {
					const outA = new MemoryOutput({ name: 'conformance-out', latencyMs: 100 });
					const a = await startRig(fixture, cleanup, 'conformance-a', outA, { batchSize: TINY_BATCH });
					const sent = numberedMessages(40, 'graceful');
					await within(fixture.publish(sent), LIMITS.arrivalMs, `${name}: publish()`);
					await eventually(
						() => outA.messages.length > 0 && (a.hub.stats().outputs[outA.name]?.inFlight ?? 0) > 0,
						LIMITS.arrivalMs,
						`${name}: deliveries in flight at the slow output`,
						() => rigDetail(a),
					);
					await within(a.hub.stop({ timeoutMs: LIMITS.longStopMs }), LIMITS.longStopMs + LIMITS.closeMs, `${name}: hub.stop({ timeoutMs: ${LIMITS.longStopMs} })`);
					await eventually(() => a.hub.stats().inputs[a.input.name]?.running === false, LIMITS.inputReturnMs, `${name}: the input's run() returns after the hub stopped`);
					const delivered = new Set(outA.messages.map(key));
					const b = await startRig(fixture, cleanup, 'conformance-b', new MemoryOutput('conformance-out'));
					await sleep(1.5 * R + 1000);
					const all = (): Message[] => [...outA.messages, ...b.out.messages];
					await eventually(
						() => countPresent(sent, all(), key) === sent.length,
						LIMITS.arrivalMs,
						`${name}: the two hubs together receive every message`,
						() => `${countPresent(sent, all(), key)} of ${sent.length}; first hub: ${rigDetail(a)}; second hub: ${rigDetail(b)}`,
					);
					const again = b.out.messages.filter((m) => delivered.has(key(m)));
					if (again.length > 0) {
						fail(`${name}: ${again.length} of the ${delivered.size} messages the stopped hub delivered came again: the input did not ack its in-flight deliveries before stop() returned`);
					}
				}),
		},
	];
}

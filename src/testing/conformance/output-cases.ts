import { Hub } from '../../hub/hub.js';
import type { Message } from '../../message/message.js';
import type { Output } from '../../output/output.js';
import { MemoryInput } from '../memory-input.js';
import { assertComplete, assertEnvelope, assertOrder, assertPayload, fail, match, payloadKey } from './assertions.js';
import type { ConformanceCase, OutputFixture, OutputHarness } from './harness.js';
import { DEFAULT_MAX_PAYLOAD, LIMITS } from './limits.js';
import { envelopeMessages, numberedMessages, payloadMessages } from './messages.js';
import { Cleanup, eventually, settleWithin, sleep, within } from './wait.js';

/** How many messages the bulk case sends, and in which batch size. */
const BULK = 10_000;
const BULK_BATCH = 500;

/** Runs `body` with a fresh fixture, always tearing it down (bounded). */
async function withFixture(harness: OutputHarness, body: (fixture: OutputFixture, cleanup: Cleanup) => Promise<void>): Promise<void> {
	const fixture = await within(harness.setup(), LIMITS.fixtureMs, `${harness.name}: setup()`);
	const cleanup = new Cleanup();
	cleanup.add(() => within(fixture.teardown(), LIMITS.fixtureMs, `${harness.name}: teardown()`));
	await cleanup.around(() => body(fixture, cleanup));
}

/** Calls `send` as the hub does: with a signal when it declares one. */
function send(output: Output, batch: readonly Message[], signal?: AbortSignal): Promise<void> {
	try {
		return output.send.length >= 2 ? output.send(batch, signal ?? new AbortController().signal) : output.send(batch);
	} catch (error) {
		return Promise.reject(error);
	}
}

/** Fails unless `output.send` declares the signal parameter (the hub passes one only then). */
function requireSignal(output: Output, name: string): void {
	if (output.send.length < 2) {
		fail(`${name}: send() does not declare its signal parameter (send(batch, signal)), so the hub never passes one and an abort cannot be honoured`);
	}
}

/** The unreachable output of the fixture, or a failure saying how to skip. */
async function unreachableOutput(fixture: OutputFixture, harness: OutputHarness, cleanup: Cleanup): Promise<Output> {
	if (fixture.unreachable === undefined) {
		fail(`${harness.name}: the fixture has no unreachable(); give one, or set features.unreachable to false to skip this case`);
	}
	const output = await within(Promise.resolve(fixture.unreachable()), LIMITS.fixtureMs, `${harness.name}: unreachable()`);
	cleanup.add(async () => {
		// Closing an output whose destination is gone must not hang either.
		if (output.close !== undefined) await within(output.close(), LIMITS.closeMs, `${harness.name}: close() of the unreachable output`);
	});
	return output;
}

/** What reached the destination; a rejection of `received()` fails the case naming what was expected. */
async function readBack(fixture: OutputFixture, count: number, timeoutMs: number, what: string): Promise<readonly Message[]> {
	try {
		return await fixture.received(count, timeoutMs);
	} catch (error) {
		fail(`${what}: the destination did not hold the ${count} messages sent within ${timeoutMs} ms (received() rejected: ${error instanceof Error ? error.message : String(error)})`);
	}
}

/** Fails unless `received` holds exactly `sent` (envelopes or payloads), in order when the transport promises it. */
function checkReceived(harness: OutputHarness, sent: readonly Message[], received: readonly Message[], what: string): void {
	const { envelope, ordering } = harness.features;
	const m = match(sent, received, envelope);
	assertComplete(m, sent, { duplicates: harness.features.duplicates === true, what });
	if (ordering === 'total') assertOrder(m, what);
	sent.forEach((expected, i) => {
		const label = `${what}: message #${i} (${expected.messageType})`;
		if (envelope) assertEnvelope(m.first[i]!, expected, label);
		else assertPayload(m.first[i]!, expected, label);
	});
}

/**
 * The output conformance suite: the cases every polku output adapter must
 * pass, independent of the test runner. Each case sets up its own fixture
 * with `harness.setup()` and always tears it down. What a case checks depends
 * on `harness.features`; a case the transport cannot support carries a
 * `skip` reason.
 *
 * The cases, by name (prefixed with the harness name):
 * - `output envelope: …`: a batch of messages with hard envelopes (metadata
 *   keys such as `__proto__`, `constructor`, `a b`, `polku-id`, unicode; values
 *   with CR/LF, `%`, NUL; ids that are not ULIDs; ns timestamps above 2^53)
 *   reads back with every field exact (`routeTo`, which names the outputs of
 *   one hub, is not checked). With `features.envelope` false, only the payload
 *   bytes are checked.
 * - `output payload: …`: empty, binary (non-UTF-8) and UTF-8 payloads, and
 *   one of min(1 MiB, `features.maxPayloadBytes`) bytes, arrive byte for byte.
 * - `output batches: …`: 10 000 messages through a real hub (batches of 500)
 *   all arrive (distinct ids counted when `features.duplicates`), in order
 *   when `features.ordering` is `total`.
 * - `output unreachable: …`: `send()` to an unreachable destination rejects
 *   with an `Error` within 10 s by itself, `health()` (when the output has it)
 *   turns false within 5 s, and `close()` settles within 10 s.
 * - `output close: …`: what was sent before `close()` is at the destination,
 *   and calling `close()` again (concurrently, and later) resolves.
 * - `output abort: already-aborted …`: `send()` with an aborted signal rejects
 *   within 1 s and delivers nothing.
 * - `output abort: during a send …`: aborting a send to an unreachable
 *   destination 100 ms after it started settles it within 1 s.
 *
 * @param harness - How to create the adapter and read back what reached its destination.
 * @returns The cases, in a stable order with stable names.
 * @example
 * ```ts
 * import { describe, it } from 'node:test';
 * import { MemoryOutput, outputConformance } from 'polku/testing';
 *
 * describe('MemoryOutput conformance', () => {
 *   const cases = outputConformance({
 *     name: 'memory',
 *     features: { ordering: 'total', envelope: true },
 *     async setup() {
 *       const output = new MemoryOutput();
 *       return {
 *         output,
 *         received: (count, timeoutMs) => output.waitFor(count, timeoutMs).then(() => output.messages.slice()),
 *         unreachable: () => new MemoryOutput().unreachable(3_000),
 *         teardown: async () => {},
 *       };
 *     },
 *   });
 *   for (const c of cases) it(c.name, { skip: c.skip ?? false, timeout: c.timeoutMs }, () => c.run());
 * });
 * ```
 */
export function outputConformance(harness: OutputHarness): ConformanceCase[] {
	const f = harness.features;
	const name = harness.name;
	const largeBytes = Math.min(DEFAULT_MAX_PAYLOAD, f.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD);
	const noUnreachable = f.unreachable === false ? 'features.unreachable is false: the harness has no unreachable destination' : undefined;
	const fixtureTime = 2 * LIMITS.fixtureMs;

	const cases: ConformanceCase[] = [
		{
			name: `${name}: output envelope: id, ns timestamp, source, type, metadata and payload round-trip exactly`,
			timeoutMs: fixtureTime + LIMITS.arrivalMs + 10_000,
			run: () =>
				withFixture(harness, async (fixture) => {
					const sent = envelopeMessages();
					await send(fixture.output, sent);
					const received = await readBack(fixture, sent.length, LIMITS.arrivalMs, `${name}: envelope`);
					checkReceived(harness, sent, received, `${name}: envelope`);
				}),
		},
		{
			name: `${name}: output payload: bytes arrive exactly (empty, binary, UTF-8 and 1 MiB or features.maxPayloadBytes)`,
			timeoutMs: fixtureTime + LIMITS.arrivalMs + 30_000,
			run: () =>
				withFixture(harness, async (fixture) => {
					const { small, large } = payloadMessages(largeBytes);
					await send(fixture.output, small);
					await send(fixture.output, [large]);
					const sent = [...small, large];
					const received = await readBack(fixture, sent.length, LIMITS.arrivalMs, `${name}: payload`);
					checkReceived(harness, sent, received, `${name}: payload`);
				}),
		},
		{
			name: `${name}: output batches: 10 000 messages through a hub in batches of 500, none lost, order kept`,
			timeoutMs: fixtureTime + 4 * LIMITS.arrivalMs,
			run: () =>
				withFixture(harness, async (fixture, cleanup) => {
					const input = new MemoryInput('conformance');
					const hub = Hub.builder()
						.bufferCapacity(4 * BULK_BATCH)
						.input(input)
						.output(fixture.output, { batchSize: BULK_BATCH, flushInterval: 5, retry: { attempts: 3, baseDelayMs: 50 } })
						.build();
					const drops: string[] = [];
					hub.on('drop', (e) => drops.push(`${e.messages.length} × ${e.reason}${e.error === undefined ? '' : `: ${e.error.message}`}`));
					await hub.start();
					cleanup.add(() => hub.stop({ timeoutMs: LIMITS.shortStopMs }));
					const sent = numberedMessages(BULK, 'bulk');
					const outcome = await within(input.deliver(sent), 2 * LIMITS.arrivalMs, `${name}: delivering ${BULK} messages through the hub`);
					if (outcome.failed.length > 0) {
						const first = outcome.failed[0]!;
						fail(`${name}: ${outcome.failed.length} of ${BULK} messages failed (first: ${first.reason}${first.error === undefined ? '' : `: ${first.error.message}`}; drops: ${drops.join(', ')})`);
					}
					const received = await readBack(fixture, BULK, 2 * LIMITS.arrivalMs, `${name}: batches`);
					const m = match(sent, received, f.envelope);
					assertComplete(m, sent, { duplicates: f.duplicates === true, what: `${name}: batches` });
					if (f.ordering === 'total') assertOrder(m, `${name}: batches`);
				}),
		},
		{
			name: `${name}: output unreachable: send rejects with an Error within 10 s and health() turns false`,
			...(noUnreachable === undefined ? {} : { skip: noUnreachable }),
			timeoutMs: fixtureTime + LIMITS.unreachableMs + LIMITS.healthMs + 2 * LIMITS.closeMs,
			run: () =>
				withFixture(harness, async (fixture, cleanup) => {
					const output = await unreachableOutput(fixture, harness, cleanup);
					const settled = await settleWithin(send(output, numberedMessages(1, 'unreachable')), LIMITS.unreachableMs);
					if (settled.status === 'pending') fail(`${name}: send() to an unreachable destination did not settle within ${LIMITS.unreachableMs} ms`);
					if (settled.status === 'fulfilled') fail(`${name}: send() to an unreachable destination resolved, so the hub would count the batch as delivered`);
					const error = settled.reason;
					if (!(error instanceof Error)) fail(`${name}: send() rejected with ${typeof error}, not an Error`);
					if (error.message.trim() === '') fail(`${name}: send() rejected with an Error without a message`);
					if (output.health === undefined) return;
					let last: unknown;
					await eventually(
						async () => {
							last = await output.health!();
							return last === false;
						},
						LIMITS.healthMs,
						`${name}: health() of an output whose destination is unreachable turns false`,
						() => `health() returned ${String(last)}`,
					);
				}),
		},
		{
			name: `${name}: output close: flushes what was sent, and a second close() resolves`,
			timeoutMs: fixtureTime + LIMITS.arrivalMs + 3 * LIMITS.closeMs,
			run: () =>
				withFixture(harness, async (fixture) => {
					const output = fixture.output;
					const first = numberedMessages(20, 'close');
					const second = numberedMessages(25, 'close-last').slice(20); // payloads 20-24: distinct from the first 20 when matched by payload
					await send(output, first);
					await send(output, second);
					if (output.close !== undefined) {
						await within(Promise.all([output.close(), output.close()]), LIMITS.closeMs, `${name}: two concurrent close() calls`);
						await within(output.close(), LIMITS.closeMs, `${name}: close() after close()`);
					}
					const sent = [...first, ...second];
					const received = await readBack(fixture, sent.length, LIMITS.arrivalMs, `${name}: after close()`);
					const m = match(sent, received, f.envelope);
					assertComplete(m, sent, { duplicates: f.duplicates === true, what: `${name}: after close()` });
				}),
		},
		{
			name: `${name}: output abort: send with an already-aborted signal rejects within 1 s and delivers nothing`,
			timeoutMs: fixtureTime + LIMITS.arrivalMs + LIMITS.abortMs + 5_000,
			run: () =>
				withFixture(harness, async (fixture) => {
					const output = fixture.output;
					requireSignal(output, name);
					const controller = new AbortController();
					controller.abort(new Error('aborted by the conformance suite before send()'));
					const victim = numberedMessages(1, 'aborted');
					const settled = await settleWithin(send(output, victim, controller.signal), LIMITS.abortMs);
					if (settled.status === 'pending') fail(`${name}: send() with an aborted signal did not settle within ${LIMITS.abortMs} ms`);
					if (settled.status === 'fulfilled') fail(`${name}: send() with an aborted signal resolved; it must reject`);
					// A marker sent afterwards proves the destination works; the aborted message must not be there.
					const marker = numberedMessages(2, 'after-abort').slice(1);
					await send(output, marker);
					const received = await readBack(fixture, 1, LIMITS.arrivalMs, `${name}: after the aborted send`);
					const key = (m: Message): string => (f.envelope ? m.id : payloadKey(m.payload));
					if (received.some((m) => key(m) === key(victim[0]!))) fail(`${name}: the message of the aborted send reached the destination`);
					if (!received.some((m) => key(m) === key(marker[0]!))) fail(`${name}: the message sent after the aborted one did not arrive`);
				}),
		},
		{
			name: `${name}: output abort: aborting a send to an unreachable destination settles it within 1 s`,
			...(noUnreachable === undefined ? {} : { skip: noUnreachable }),
			timeoutMs: fixtureTime + LIMITS.unreachableMs + 2 * LIMITS.closeMs,
			run: () =>
				withFixture(harness, async (fixture, cleanup) => {
					const output = await unreachableOutput(fixture, harness, cleanup);
					requireSignal(output, name);
					const controller = new AbortController();
					const sending = send(output, numberedMessages(1, 'abort-during'), controller.signal);
					sending.catch(() => {});
					await sleep(LIMITS.abortAfterMs);
					controller.abort(new Error('aborted by the conformance suite during send()'));
					const settled = await settleWithin(sending, LIMITS.abortMs);
					if (settled.status === 'pending') fail(`${name}: send() did not settle within ${LIMITS.abortMs} ms of its signal aborting`);
					if (settled.status === 'fulfilled') fail(`${name}: send() to an unreachable destination resolved after its signal aborted; it must reject`);
				}),
		},
	];
	return cases;
}

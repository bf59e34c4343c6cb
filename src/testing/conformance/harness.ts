import type { Input } from '../../input/input.js';
import type { Message } from '../../message/message.js';
import type { Output } from '../../output/output.js';

/**
 * One named case of a conformance suite, independent of any test runner: run
 * it with node:test, vitest, mocha, or a plain loop.
 *
 * @example
 * ```ts
 * import { describe, it } from 'node:test';
 * import { outputConformance } from 'polku/testing';
 *
 * describe('my output', () => {
 *   for (const c of outputConformance(harness)) it(c.name, { skip: c.skip ?? false, timeout: c.timeoutMs }, () => c.run());
 * });
 * ```
 */
export interface ConformanceCase {
	/** What the case checks, e.g. `round-trips every envelope field`. */
	readonly name: string;
	/** Set when the case does not apply (the harness lacks the feature it needs): the reason, to report as a skip. */
	readonly skip?: string;
	/** The longest the case may take, for the runner's timeout. */
	readonly timeoutMs: number;
	/** Runs the case; rejects with an `AssertionError` (or any error) when the adapter does not conform. */
	run(): Promise<void>;
}

/**
 * What the output transport can promise, so that the suite checks exactly
 * that much.
 *
 * @example
 * ```ts
 * const features: OutputFeatures = { ordering: 'total', envelope: true };
 * ```
 */
export interface OutputFeatures {
	/** `total`: messages sent in order reach the destination in that order (one partition, one stream, one queue). */
	readonly ordering: 'total' | 'none';
	/** The envelope (id, ns timestamp, source, type, metadata) travels with the payload through the documented mapping. */
	readonly envelope: boolean;
	/** The destination may hold a message more than once (an at-least-once retry): the suite counts distinct ids. @default false */
	readonly duplicates?: boolean;
	/** The largest payload the destination takes; the suite's large-payload case uses min(1 MiB, this). @default 1048576 */
	readonly maxPayloadBytes?: number;
	/**
	 * The fixture gives {@link OutputFixture.unreachable}. Set it to `false`
	 * (and say why in the harness) to skip the cases that need an unreachable
	 * destination (the unreachable case and the abort-during-send case); a
	 * fixture without `unreachable()` while this is not `false` fails them, so a
	 * skip is always deliberate. (Added with the suite: the cases are listed
	 * before any fixture exists, so the skip must be known from the features.)
	 * @default true
	 */
	readonly unreachable?: boolean;
}

/**
 * A fresh destination and an output writing to it, made by
 * {@link OutputHarness.setup} for one case.
 *
 * @example
 * ```ts
 * const fixture: OutputFixture = {
 *   output,
 *   received: (count, timeoutMs) => readBack(topic, count, timeoutMs),
 *   teardown: () => client.disconnect(),
 * };
 * ```
 */
export interface OutputFixture {
	/** The adapter under test, writing to a destination no other fixture uses (a unique topic, subject, queue, stream or key prefix). */
	readonly output: Output;
	/**
	 * What reached the destination, read back with an independent reader (the
	 * bare client, or the adapter's own input) and decoded through the
	 * documented mapping, in the destination's order. Resolves once at least
	 * `count` messages are there (with every message there at that moment);
	 * rejects when `timeoutMs` passes first.
	 */
	received(count: number, timeoutMs: number): Promise<readonly Message[]>;
	/**
	 * An output of the same adapter aimed at a destination that cannot be
	 * reached (a closed port, a stopped server). Its `send()` must reject within
	 * 10 s by itself; for the abort case to mean something, let it take longer
	 * than 1 s to give up (a connect timeout or a few retries), since the case
	 * aborts the send after 100 ms and expects it settled within 1 s. Leave it
	 * out and set {@link OutputFeatures.unreachable} to `false` to skip those
	 * cases, saying why in the harness docs.
	 */
	unreachable?(): Output | Promise<Output>;
	/** Releases the clients and deletes what the fixture created where it can. */
	teardown(): Promise<void>;
}

/**
 * How the output conformance suite ({@link outputConformance}) drives one
 * output adapter.
 *
 * @example
 * ```ts
 * import { outputConformance, type OutputHarness } from 'polku/testing';
 *
 * const harness: OutputHarness = {
 *   name: 'kafka',
 *   features: { ordering: 'total', envelope: true },
 *   async setup() {
 *     const topic = `conformance-${crypto.randomUUID()}`;
 *     const producer = kafka.producer();
 *     await producer.connect();
 *     return {
 *       output: new KafkaOutput({ producer, topic }),
 *       received: (count, timeoutMs) => consumeAll(topic, count, timeoutMs),
 *       teardown: () => producer.disconnect(),
 *     };
 *   },
 * };
 * const cases = outputConformance(harness);
 * ```
 */
export interface OutputHarness {
	/** The adapter's name, used in case names. */
	readonly name: string;
	readonly features: OutputFeatures;
	setup(): Promise<OutputFixture>;
}

/**
 * What the input transport can do, so that the suite checks exactly that
 * much.
 *
 * @example
 * ```ts
 * const features: InputFeatures = { ordering: 'total', envelope: true, redelivery: true, backpressure: true, poison: true };
 * ```
 */
export interface InputFeatures {
	/** `total`: messages published in order reach the hub in that order (while nothing is redelivered). */
	readonly ordering: 'total' | 'none';
	/** The envelope (id, ns timestamp, source, type, metadata) survives publish → input through the documented mapping. */
	readonly envelope: boolean;
	/**
	 * The source keeps what was not acked and gives it again (a broker): a
	 * failed delivery comes back, and a stopped input's unacked messages go to
	 * the next input of the same fixture.
	 */
	readonly redelivery: boolean;
	/** The source holds messages while the input does not take them (a broker), so the input can stop pulling under backpressure. */
	readonly backpressure: boolean;
	/** The source can carry something the input cannot decode ({@link InputFixture.publishPoison}). */
	readonly poison: boolean;
	/**
	 * Most messages the input takes from its source before the hub admitted
	 * them (its prefetch / pull batch / inflight bound). The backpressure case
	 * checks that the input never holds more than this beyond the hub's buffer.
	 * @default 1000
	 */
	readonly maxInFlight?: number;
	/** How long the source takes to redeliver a failed or abandoned message (nak delay, ack wait, session expiry). @default 5000 */
	readonly redeliveryMs?: number;
}

/**
 * A fresh source (a unique topic, subject, queue, stream) made by
 * {@link InputHarness.setup} for one case, and inputs consuming it.
 *
 * @example
 * ```ts
 * const fixture: InputFixture = {
 *   createInput: () => new JetStreamInput({ js, stream, consumer: durable }),
 *   publish: (messages) => publishAll(js, subject, messages),
 *   publishPoison: () => js.publish(subject, 'x', { headers: badEnvelope }),
 *   teardown: () => jsm.streams.delete(stream),
 * };
 * ```
 */
export interface InputFixture {
	/**
	 * A new input consuming the fixture's source. Inputs of one fixture share
	 * it as competing consumers (one consumer group, durable consumer, queue),
	 * so a second input takes over what the first left unacked. Configure
	 * short redelivery delays: the suite waits for redeliveries.
	 */
	createInput(name?: string): Input;
	/**
	 * Publishes messages into the source through the documented mapping (as
	 * the adapter's own output would), in order, and resolves once the source
	 * holds them. The suite calls it after `hub.start()`; for a source that
	 * keeps nothing for absent consumers (core NATS, MQTT QoS 0) it must first
	 * wait until the latest input is subscribed. Under backpressure (a blocked
	 * push-style input) it may resolve late: the suite does not await it
	 * before it checks the bound.
	 */
	publish(messages: readonly Message[]): Promise<void>;
	/** Publishes one message the input cannot decode (a malformed envelope, bytes where the input expects a format). */
	publishPoison?(): Promise<void>;
	/** Releases the clients and deletes what the fixture created where it can. */
	teardown(): Promise<void>;
}

/**
 * How the input conformance suite ({@link inputConformance}) drives one input
 * adapter.
 *
 * @example
 * ```ts
 * import { inputConformance, type InputHarness } from 'polku/testing';
 *
 * const harness: InputHarness = {
 *   name: 'jetstream',
 *   features: { ordering: 'total', envelope: true, redelivery: true, backpressure: true, poison: true, maxInFlight: 256 },
 *   setup: () => makeStreamFixture(),
 * };
 * const cases = inputConformance(harness);
 * ```
 */
export interface InputHarness {
	/** The adapter's name, used in case names. */
	readonly name: string;
	readonly features: InputFeatures;
	setup(): Promise<InputFixture>;
}

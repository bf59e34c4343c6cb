// Property: whatever the pipeline does (outputs failing, slow, hanging; any overflow policy; middleware that
// filters, rejects, throws or goes async; a stop deadline that cuts things short), every message is
// accounted for exactly once, every drop is announced by an event, and nothing is pending after stop().
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { dedup, DROP_REASONS, Hub, reject, type DropReason, type Message, type MessageInit, type OverflowPolicy } from '../../src/index.js';
import { MemoryInput, MemoryOutput } from '../../src/testing/index.js';
import { conservationErrors, fakeClock, sum } from '../support/hub.js';

type Behaviour = 'ok' | 'flaky' | 'slow' | 'hang-then-release' | 'hang-forever' | 'failing';

interface OutputSpec {
	behaviour: Behaviour;
	batchSize: number;
	flushInterval: number;
	attempts: number;
	deadLetter: boolean;
	/** maxPending as a fraction of the capacity (0 = none). */
	lag: number;
	maxInFlight: number;
	/** stall.afterMs, or 0 for stall: false. */
	stallAfterMs: number;
}

interface Op {
	kind: 'send' | 'sendBatch' | 'deliver' | 'deliverBatch';
	count: number;
	route: 'all' | 'one' | 'unknown' | 'mixed';
	gapMs: number;
}

const mulberry32 = (seed: number) => (): number => {
	seed = (seed + 0x6d2b79f5) | 0;
	let t = seed;
	t = Math.imul(t ^ (t >>> 15), t | 1);
	t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
	return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const outputSpec: fc.Arbitrary<OutputSpec> = fc.record({
	behaviour: fc.constantFrom<Behaviour>('ok', 'flaky', 'slow', 'hang-then-release', 'hang-forever', 'failing'),
	batchSize: fc.integer({ min: 1, max: 6 }),
	flushInterval: fc.integer({ min: 0, max: 20 }),
	attempts: fc.integer({ min: 1, max: 3 }),
	deadLetter: fc.boolean(),
	lag: fc.constantFrom(0, 0, 0.3, 0.6),
	maxInFlight: fc.constantFrom(1, 1, 2, 4),
	stallAfterMs: fc.constantFrom(0, 5, 40, 2000),
});

const scenario = fc.record({
	capacity: fc.integer({ min: 6, max: 24 }),
	overflow: fc.constantFrom<OverflowPolicy>('block', 'drop-newest', 'drop-oldest'),
	outputs: fc.array(outputSpec, { minLength: 1, maxLength: 4 }),
	deadLetterBehaviour: fc.constantFrom<Behaviour>('ok', 'flaky', 'hang-forever', 'failing'),
	deadLetterMaxInFlight: fc.constantFrom(1, 3),
	/** Put dedup (which tracks fates and holds repeats in flight) first, with ids repeating every n messages (0 = no dedup). */
	dedupEvery: fc.constantFrom(0, 0, 3, 7),
	middleware: fc.record({ filterEvery: fc.integer({ min: 0, max: 7 }), rejectEvery: fc.integer({ min: 0, max: 9 }), throwEvery: fc.integer({ min: 0, max: 11 }), asyncEvery: fc.integer({ min: 0, max: 5 }) }),
	ops: fc.array(
		fc.record({
			kind: fc.constantFrom<Op['kind']>('send', 'sendBatch', 'deliver', 'deliverBatch'),
			count: fc.integer({ min: 1, max: 12 }),
			route: fc.constantFrom<Op['route']>('all', 'all', 'one', 'unknown', 'mixed'),
			gapMs: fc.integer({ min: 0, max: 15 }),
		}),
		{ minLength: 1, maxLength: 25 },
	),
	stopAfterOp: fc.nat(),
	stopTimeoutMs: fc.integer({ min: 0, max: 300 }),
	seed: fc.integer(),
});

const makeOutput = (name: string, behaviour: Behaviour, random: () => number): MemoryOutput => {
	const out = new MemoryOutput({ name, random });
	if (behaviour === 'flaky') out.failRate(0.4);
	if (behaviour === 'slow') out.latency(7);
	if (behaviour === 'failing') out.failNext(Number.MAX_SAFE_INTEGER);
	if (behaviour === 'hang-then-release' || behaviour === 'hang-forever') out.hang();
	return out;
};

describe('Hub conservation (property)', () => {
	it('accounts for every message exactly once after stop(), for random pipelines', async () => {
		await fc.assert(
			fc.asyncProperty(scenario, async (sc) => {
				const clock = fakeClock();
				try {
					const random = mulberry32(sc.seed);
					const input = new MemoryInput();
					const outputs = sc.outputs.map((spec, i) => makeOutput(`o${i}`, spec.behaviour, random));
					const dlq = makeOutput('dlq', sc.deadLetterBehaviour, random);
					const capacity = sc.capacity;
					let builder = Hub.builder().bufferCapacity(capacity).overflow(sc.overflow).input(input);
					const mw = sc.middleware;
					if (sc.dedupEvery > 0) builder = builder.middleware(dedup({ ttlMs: 1_000 }));
					builder = builder.middleware({
						name: 'chaos',
						process: (m: Message) => {
							const n = Number(m.messageType);
							if (mw.throwEvery > 0 && n % mw.throwEvery === 1) throw new Error('chaos');
							if (mw.rejectEvery > 0 && n % mw.rejectEvery === 2) return reject('chaos');
							if (mw.filterEvery > 0 && n % mw.filterEvery === 3) return null;
							if (mw.asyncEvery > 0 && n % mw.asyncEvery === 0) return new Promise<Message>((r) => setTimeout(() => r(m), 3));
							return m;
						},
					});
					sc.outputs.forEach((spec, i) => {
						const batchSize = Math.min(spec.batchSize, capacity);
						builder = builder.output(outputs[i]!, {
							batchSize,
							...(spec.lag > 0 ? { maxPending: Math.max(batchSize, Math.floor(capacity * spec.lag)) } : {}),
							flushInterval: spec.flushInterval,
							maxInFlight: spec.maxInFlight,
							stall: spec.stallAfterMs === 0 ? false : { afterMs: spec.stallAfterMs },
							retry: { attempts: spec.attempts, baseDelayMs: 2, maxDelayMs: 10 },
							...(spec.deadLetter ? { deadLetter: 'dlq' } : {}),
						});
					});
					const hub = builder.deadLetter(dlq, { retry: { attempts: 2, baseDelayMs: 2 }, maxInFlight: sc.deadLetterMaxInFlight }).build();

					const announced = new Map<string, number>();
					hub.on('drop', (e) => {
						const key = `${e.reason}/${e.output ?? ''}`;
						announced.set(key, (announced.get(key) ?? 0) + e.messages.length);
					});
					await hub.start();

					let seq = 0;
					let issued = 0;
					const settled: Promise<unknown>[] = [];
					const message = (route: Op['route']): MessageInit => {
						const n = seq++;
						const routeTo =
							route === 'all' ? [] : route === 'one' ? [`o${n % outputs.length}`] : route === 'unknown' ? ['nowhere'] : [`o${n % outputs.length}`, 'nowhere'];
						const id = sc.dedupEvery > 0 ? { id: `id-${n % sc.dedupEvery}` } : {};
						return { ...id, source: 'prop', messageType: String(n), payload: String(n), routeTo };
					};
					let stopping: Promise<unknown> | undefined;
					for (const [i, op] of sc.ops.entries()) {
						if (i === sc.stopAfterOp % sc.ops.length && stopping === undefined) stopping = hub.stop({ timeoutMs: sc.stopTimeoutMs });
						const batch = Array.from({ length: op.kind === 'send' || op.kind === 'deliver' ? 1 : op.count }, () => message(op.route));
						issued += batch.length;
						const p =
							op.kind === 'send'
								? input.push(batch[0]!)
								: op.kind === 'sendBatch'
									? input.push(batch)
									: op.kind === 'deliver'
										? input.deliver(batch[0]!).catch((e: unknown) => e)
										: input.deliver(batch);
						settled.push(p);
						await clock.tickAsync(op.gapMs);
					}
					stopping ??= hub.stop({ timeoutMs: sc.stopTimeoutMs });
					outputs.forEach((o, i) => {
						if (sc.outputs[i]!.behaviour === 'hang-then-release') o.release();
					});
					let stopped = false;
					void stopping.then(() => (stopped = true));
					for (let guard = 0; !stopped && guard < 10_000; guard++) await clock.tickAsync(5);
					assert.ok(stopped, 'stop() finished');
					let allSettled = false;
					void Promise.all(settled).then(() => (allSettled = true));
					await clock.tickAsync(1);
					assert.ok(allSettled, 'every send/deliver settled');

					const s = hub.stats();
					assert.deepEqual(conservationErrors(s), []);
					assert.equal(s.admitting, 0);
					assert.equal(s.received, issued, 'every message issued was received');
					for (const [name, o] of Object.entries(s.outputs)) {
						assert.equal(o.pending, 0, `${name} pending`);
						assert.equal(o.inFlight, 0, `${name} in flight`);
					}
					// Every counted drop was announced, and nothing else was.
					const counted = new Map<string, number>();
					for (const reason of DROP_REASONS) {
						if (s.dropped[reason] > 0) counted.set(`${reason}/`, s.dropped[reason]);
						for (const [name, o] of Object.entries(s.outputs)) {
							if (o.dropped[reason as DropReason] > 0) counted.set(`${reason}/${name}`, o.dropped[reason as DropReason]);
						}
					}
					assert.deepEqual(new Map([...announced].sort()), new Map([...counted].sort()));
					// What an output recorded is what the hub counted as delivered, plus at most the batch that was still
					// in flight at the stop deadline (counted as a shutdown drop; a slow send may still complete later).
					outputs.forEach((o, i) => {
						if (sc.outputs[i]!.behaviour.startsWith('hang')) return;
						const stats = s.outputs[o.name]!;
						assert.ok(o.messages.length >= stats.delivered, `${o.name}: recorded ${o.messages.length} < delivered ${stats.delivered}`);
						assert.ok(o.messages.length <= stats.delivered + stats.dropped.shutdown, `${o.name}: recorded more than delivered + cut off`);
					});
					assert.equal(s.outputs['dlq']!.routed, sum(Object.fromEntries(Object.entries(s.outputs).map(([n, o]) => [n, o.deadLettered]))));
				} finally {
					clock.uninstall();
				}
			}),
			{ numRuns: Number(process.env.POLKU_PROPERTY_RUNS ?? 150) },
		);
	});
});

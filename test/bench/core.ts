// Core pipeline benchmark: polku vs a hand-written ring-buffer loop vs Node streams, same work.
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createMessage, Hub, RingBuffer, withMetadata, type Message, type MessageInit, type Middleware, type Output } from '../../src/index.js';
import { MemoryInput } from '../../src/testing/index.js';
import { ulid } from 'ulid';
import { fmt, heapAfterGc, ratio, table } from './report.js';

const TOTAL = Number(process.env.BENCH_CORE_MESSAGES ?? 2_000_000);
const CHUNK = 1000;
const BATCH = 500;
const OUTPUTS = 3;

const payloads = Array.from({ length: 64 }, (_, i) => Buffer.alloc(256, i));
const init = (i: number): MessageInit => ({ source: 'bench', messageType: 'tick', payload: payloads[i & 63]! });

// The two sync middleware every variant applies.
const stamp = (m: Message): Message => withMetadata(m, { stage: 'stamped' });
const keepAll = (m: Message): Message | null => (m.payload.length === 0 ? null : m);
const middleware: Middleware[] = [
	{ name: 'stamp', process: stamp },
	{ name: 'keep', process: keepAll },
];

/** Pushes `total` messages into `input` in chunks of CHUNK, waiting for each chunk's admission. */
async function pushAll(input: MemoryInput, total: number): Promise<void> {
	for (let i = 0; i < total; ) {
		const chunk: MessageInit[] = new Array(CHUNK);
		for (let j = 0; j < CHUNK; j++, i++) chunk[j] = init(i);
		await input.push(chunk);
	}
}

class CountingOutput implements Output {
	count = 0;
	constructor(readonly name: string) {}
	async send(batch: readonly Message[]): Promise<void> {
		this.count += batch.length;
	}
}

async function runPolku(total: number): Promise<number> {
	const input = new MemoryInput();
	const outputs = Array.from({ length: OUTPUTS }, (_, i) => new CountingOutput(`out${i}`));
	let b = Hub.builder().bufferCapacity(100_000).batchSize(BATCH).flushInterval(5).input(input).middleware(...middleware);
	for (const o of outputs) b = b.output(o);
	const hub = b.build();
	await hub.start();
	const started = performance.now();
	await pushAll(input, total);
	await hub.stop();
	const ms = performance.now() - started;
	check('polku', outputs, total);
	return total / (ms / 1000);
}

async function runRawLoop(total: number): Promise<number> {
	const outputs = Array.from({ length: OUTPUTS }, (_, i) => new CountingOutput(`out${i}`));
	const ring = new RingBuffer<Message>(100_000);
	const flush = async (): Promise<void> => {
		while (ring.length > 0) {
			const batch = ring.drain(BATCH);
			await Promise.all(outputs.map((o) => o.send(batch)));
		}
	};
	const started = performance.now();
	for (let i = 0; i < total; ) {
		for (let j = 0; j < CHUNK; j++, i++) {
			const m = keepAll(stamp(createMessage(init(i))));
			if (m !== null) ring.push(m);
		}
		if (ring.length >= BATCH) await flush();
	}
	await flush();
	const ms = performance.now() - started;
	check('raw loop', outputs, total);
	return total / (ms / 1000);
}

async function runStreams(total: number): Promise<number> {
	const outputs = Array.from({ length: OUTPUTS }, (_, i) => new CountingOutput(`out${i}`));
	function* source(): Generator<Message> {
		for (let i = 0; i < total; i++) yield createMessage(init(i));
	}
	const map = (fn: (m: Message) => Message | null) =>
		new Transform({
			objectMode: true,
			highWaterMark: BATCH,
			transform(m: Message, _enc, cb) {
				cb(null, fn(m) ?? undefined);
			},
		});
	const sink = new Writable({
		objectMode: true,
		highWaterMark: BATCH,
		writev(chunks, cb) {
			const batch = chunks.map((c) => c.chunk as Message);
			Promise.all(outputs.map((o) => o.send(batch))).then(() => cb(), cb);
		},
	});
	const started = performance.now();
	await pipeline(Readable.from(source(), { objectMode: true, highWaterMark: BATCH }), map(stamp), map(keepAll), sink);
	const ms = performance.now() - started;
	check('streams', outputs, total);
	return total / (ms / 1000);
}

function check(name: string, outputs: CountingOutput[], total: number): void {
	for (const o of outputs) if (o.count !== total) throw new Error(`${name}: ${o.name} got ${o.count} of ${total}`);
}

/**
 * Throughput of the healthy outputs while a third output is healthy or hangs (drop-oldest). The
 * hanging one with default options (stall detection: after 2 s without a successful send it may
 * hold only capacity/16 of the buffer), with stall detection off (its lag bounded only by the shared
 * buffer), or with its own `maxPending`. Measured in the steady state: after a warm-up of
 * `warmupMs` (longer than the stall detection), over the next `total` messages.
 */
async function runStall(total: number, third: 'healthy' | 'default' | 'no-stall' | 'maxPending', warmupMs: number): Promise<number> {
	const input = new MemoryInput();
	const healthy = [new CountingOutput('a'), new CountingOutput('b')];
	const hanging: Output = { name: 'stalled', send: () => new Promise(() => {}) };
	const options = third === 'no-stall' ? { stall: false as const } : third === 'maxPending' ? { maxPending: 1000 } : {};
	const hub = Hub.builder()
		.bufferCapacity(100_000)
		.batchSize(BATCH)
		.flushInterval(5)
		.overflow('drop-oldest')
		.input(input)
		.middleware(...middleware)
		.output(healthy[0]!)
		.output(healthy[1]!)
		.output(third === 'healthy' ? new CountingOutput('c') : hanging, options)
		.build();
	hub.on('drop', () => {}); // a listener, so drop events are built as in production
	await hub.start();
	const warmEnd = performance.now() + warmupMs;
	let sent = 0;
	while (performance.now() < warmEnd) {
		await pushAll(input, 10 * CHUNK);
		sent += 10 * CHUNK;
	}
	while (healthy.some((o) => o.count < sent)) await new Promise((r) => setImmediate(r));
	const started = performance.now();
	await pushAll(input, total);
	while (healthy.some((o) => o.count < sent + total)) await new Promise((r) => setImmediate(r));
	const ms = performance.now() - started;
	await hub.stop({ timeoutMs: 10 });
	return total / (ms / 1000);
}

/** Heap bytes per buffered message: fill the buffer behind a hanging output and measure. */
async function heapPerMessage(count: number, distinctPayloads: boolean): Promise<{ heap: number; arrayBuffers: number }> {
	const input = new MemoryInput();
	const hub = Hub.builder()
		.bufferCapacity(count)
		.batchSize(BATCH)
		.input(input)
		.output({ name: 'hang', send: () => new Promise(() => {}) })
		.build();
	await hub.start();
	const before = heapAfterGc();
	for (let i = 0; i < count; ) {
		const chunk: MessageInit[] = new Array(CHUNK);
		for (let j = 0; j < CHUNK; j++, i++) {
			chunk[j] = distinctPayloads ? { source: 'bench', messageType: 'tick', payload: Buffer.allocUnsafe(256).fill(i) } : init(i);
		}
		await input.push(chunk);
	}
	const after = heapAfterGc();
	const buffered = hub.bufferSize + BATCH; // one batch is in flight in the hanging output
	const result = { heap: (after.heapUsed - before.heapUsed) / buffered, arrayBuffers: (after.arrayBuffers - before.arrayBuffers) / buffered };
	await hub.stop({ timeoutMs: 10 });
	return result;
}

/** createMessage() per second, against the `ulid` package's default `ulid()` (one id per call, fresh randomness). */
function messageCreation(): { create: number; ulid: number } {
	const rate = (n: number, fn: (i: number) => unknown): number => {
		for (let i = 0; i < 10_000; i++) fn(i);
		const started = performance.now();
		for (let i = 0; i < n; i++) fn(i);
		return n / ((performance.now() - started) / 1000);
	};
	let best = { create: 0, ulid: 0 };
	for (let round = 0; round < 3; round++) {
		best = {
			create: Math.max(best.create, rate(2_000_000, (i) => createMessage(init(i)))),
			ulid: Math.max(best.ulid, rate(20_000, () => ulid())),
		};
	}
	return best;
}

export async function run(): Promise<void> {
	const created = messageCreation();
	console.log('\n## message creation (createMessage with a 256-byte payload: monotonic ULID id, ns timestamp)');
	table(
		['what', 'per second', 'ratio'],
		[
			['createMessage()', fmt(created.create), ratio(created.create, created.ulid)],
			["the ulid package's ulid() alone (baseline)", fmt(created.ulid), '1.00x'],
		],
	);
	console.log(`target: ≥ 2,000,000 messages created per second (got ${fmt(created.create)})`);

	console.log(`\n## core pipeline: ${fmt(TOTAL)} messages, 256-byte payloads, 2 sync middleware, batches of ${BATCH}, ${OUTPUTS} outputs`);
	// Warm up every variant once, then measure alternately and keep each one's best of three.
	await runPolku(200_000);
	await runRawLoop(200_000);
	await runStreams(200_000);
	const best = { polku: 0, raw: 0, streams: 0 };
	for (let round = 0; round < 3; round++) {
		best.polku = Math.max(best.polku, await runPolku(TOTAL));
		best.raw = Math.max(best.raw, await runRawLoop(TOTAL));
		best.streams = Math.max(best.streams, await runStreams(TOTAL));
	}
	table(
		['variant', 'msgs/s', 'polku ÷ variant'],
		[
			['polku Hub', fmt(best.polku), '1.00x'],
			['raw ring-buffer loop', fmt(best.raw), ratio(best.polku, best.raw)],
			['Node streams (objectMode)', fmt(best.streams), ratio(best.polku, best.streams)],
		],
	);
	console.log(`targets: ≥ 0.60x the raw loop (got ${ratio(best.polku, best.raw)}), ≥ 2x Node streams (got ${ratio(best.polku, best.streams)})`);

	const stallTotal = Math.min(TOTAL, 1_000_000);
	const warmupMs = 2_500;
	console.log(`\n## stalled output: 2 healthy outputs + 1 (healthy | hanging), drop-oldest, ${fmt(stallTotal)} messages after a ${warmupMs} ms warm-up, best of 3`);
	const stall = { healthy: 0, default: 0, 'no-stall': 0, maxPending: 0 };
	for (let round = 0; round < 3; round++) {
		for (const k of Object.keys(stall) as (keyof typeof stall)[]) stall[k] = Math.max(stall[k], await runStall(stallTotal, k, warmupMs));
	}
	const lost = (x: number): string => `${(((stall.healthy - x) / stall.healthy) * 100).toFixed(1)}%`;
	table(
		['third output', 'healthy outputs msgs/s', 'throughput lost'],
		[
			['healthy', fmt(stall.healthy), '—'],
			['hanging, default options (stalled after 2 s: bounded to capacity/16)', fmt(stall.default), lost(stall.default)],
			['hanging, stall: false (lag bounded only by the 100 000-message buffer)', fmt(stall['no-stall']), lost(stall['no-stall'])],
			['hanging, maxPending: 1000', fmt(stall.maxPending), lost(stall.maxPending)],
		],
	);
	console.log(`target: the healthy outputs lose ≤ 10% with the default options (got ${lost(stall.default)}). A hanging output that may keep`);
	console.log(`its view of the buffer full makes every message it retains survive young-generation GC and be promoted (the`);
	console.log(`stall: false row); stall detection bounds that view once the output is stalled, so retained messages die young.`);

	console.log('\n## heap per buffered message (1 000 000 messages held behind a hanging output)');
	const shared = await heapPerMessage(1_000_000, false);
	const distinct = await heapPerMessage(1_000_000, true);
	table(
		['payloads', 'heap B/msg', 'arrayBuffers B/msg'],
		[
			['shared 256-byte payloads', shared.heap.toFixed(0), shared.arrayBuffers.toFixed(0)],
			['own 256-byte payload each', distinct.heap.toFixed(0), distinct.arrayBuffers.toFixed(0)],
		],
	);
	console.log(`target: ≤ 450 B + payload per message (envelope cost: ${shared.heap.toFixed(0)} B)`);
}

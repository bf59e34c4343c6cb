// The per-send paths of the hub: the one-message loop a user writes (`await hub.send(msg)`) against a
// hand-written loop doing the same work, a burst of concurrent blocked senders at two scales, and the
// latency from hub.send() to Output.send() at a steady rate.
import { createMessage, Hub, RingBuffer, withMetadata, type Message, type MessageInit, type Middleware, type Output } from '../../src/index.js';
import { fmt, ratio, table } from './report.js';

const ONE_MESSAGES = Number(process.env.BENCH_ONE_MESSAGES ?? 500_000);
const OUTPUTS = 3;
const BATCH = 100;
const payload = Buffer.alloc(256, 7);
const metadata = { tenant: 'acme', region: 'eu-north-1' };
const init = (): MessageInit => ({ source: 'bench', messageType: 'order.created', payload, metadata });

// The two sync middleware of the README's first example: one edits metadata in the idiomatic spread style,
// one filters.
const spreadStamp = (m: Message): Message => ({ ...m, metadata: { ...m.metadata, stage: 'stamped' } });
const helperStamp = (m: Message): Message => withMetadata(m, { stage: 'stamped' });
const keep = (m: Message): Message | null => (m.payload.length === 0 ? null : m);

class CountingOutput implements Output {
	count = 0;
	constructor(readonly name: string) {}
	async send(batch: readonly Message[]): Promise<void> {
		this.count += batch.length;
	}
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

/** Runs `fn`, returning messages per second of process CPU time (steadier than wall time on a shared machine) and of wall time. */
async function rate(total: number, fn: () => Promise<void>): Promise<{ cpu: number; wall: number }> {
	gc();
	const cpu0 = process.cpuUsage();
	const wall0 = performance.now();
	await fn();
	const cpu = process.cpuUsage(cpu0);
	const wallMs = performance.now() - wall0;
	return { cpu: total / ((cpu.user + cpu.system) / 1e6), wall: total / (wallMs / 1000) };
}

async function hubLoop(total: number, stamp: (m: Message) => Message): Promise<{ cpu: number; wall: number }> {
	const outputs = Array.from({ length: OUTPUTS }, (_, i) => new CountingOutput(`out${i}`));
	const mw: Middleware[] = [
		{ name: 'stamp', process: stamp },
		{ name: 'keep', process: keep },
	];
	let b = Hub.builder().bufferCapacity(10_000).batchSize(BATCH).middleware(...mw);
	for (const o of outputs) b = b.output(o);
	const hub = b.build();
	await hub.start();
	const r = await rate(total, async () => {
		for (let i = 0; i < total; i++) await hub.send(init());
		await hub.stop();
	});
	for (const o of outputs) if (o.count !== total) throw new Error(`hub loop: ${o.name} got ${o.count} of ${total}`);
	return r;
}

/** The same work by hand: create, run the two functions, push into a ring, flush batches to the outputs; awaited per message like the user's loop. */
async function rawLoop(total: number, stamp: (m: Message) => Message): Promise<{ cpu: number; wall: number }> {
	const outputs = Array.from({ length: OUTPUTS }, (_, i) => new CountingOutput(`out${i}`));
	const ring = new RingBuffer<Message>(10_000);
	const flush = async (): Promise<void> => {
		while (ring.length > 0) {
			const batch = ring.drain(BATCH);
			await Promise.all(outputs.map((o) => o.send(batch)));
		}
	};
	const send = async (value: MessageInit): Promise<void> => {
		const m = keep(stamp(createMessage(value)));
		if (m !== null) ring.push(m);
		if (ring.length >= BATCH) await flush();
	};
	const r = await rate(total, async () => {
		for (let i = 0; i < total; i++) await send(init());
		await flush();
	});
	for (const o of outputs) if (o.count !== total) throw new Error(`raw loop: ${o.name} got ${o.count} of ${total}`);
	return r;
}

/** `senders` concurrent hub.send() calls into a 10 000-message buffer under `block` (collected, then Promise.all). */
async function burst(senders: number): Promise<{ cpu: number; wall: number }> {
	const out = new CountingOutput('out');
	const hub = Hub.builder().bufferCapacity(10_000).output(out).build();
	await hub.start();
	const r = await rate(senders, async () => {
		const pending: Promise<unknown>[] = new Array(senders);
		for (let i = 0; i < senders; i++) pending[i] = hub.send(init());
		await Promise.all(pending);
	});
	await hub.stop();
	if (out.count !== senders) throw new Error(`burst: ${out.count} of ${senders}`);
	return r;
}

/** Latency percentiles (µs) from hub.send() to Output.send() at a steady `perSecond` for `seconds`. */
async function latency(perSecond: number, seconds: number, batchSize: number | undefined): Promise<{ p50: number; p99: number; max: number; count: number }> {
	const sentAt: number[] = [];
	let next = 0;
	const samples: number[] = [];
	const output: Output = {
		name: 'timed',
		async send(batch) {
			const now = performance.now();
			for (let i = 0; i < batch.length; i++) samples.push(now - sentAt[next++]!);
		},
	};
	let b = Hub.builder().bufferCapacity(100_000);
	if (batchSize !== undefined) b = b.batchSize(batchSize);
	const hub = b.output(output).build();
	await hub.start();
	const total = perSecond * seconds;
	const started = performance.now();
	let sent = 0;
	while (sent < total) {
		const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * perSecond));
		while (sent < due) {
			sentAt.push(performance.now());
			void hub.send(init());
			sent++;
		}
		await new Promise((r) => setImmediate(r));
	}
	await hub.stop();
	const warm = samples.slice(Math.floor(samples.length / 10)).sort((a, b) => a - b); // drop the first 10% (JIT warm-up)
	const at = (q: number): number => warm[Math.min(warm.length - 1, Math.floor(q * warm.length))]! * 1000;
	return { p50: at(0.5), p99: at(0.99), max: warm[warm.length - 1]! * 1000, count: samples.length };
}

const best = (a: { cpu: number; wall: number }, b: { cpu: number; wall: number }): { cpu: number; wall: number } => ({ cpu: Math.max(a.cpu, b.cpu), wall: Math.max(a.wall, b.wall) });

export async function run(): Promise<void> {
	console.log(`\n## one message at a time: \`await hub.send(msg)\` × ${fmt(ONE_MESSAGES)}, 2 sync middleware, ${OUTPUTS} outputs, batches of ${BATCH}`);
	console.log('Rates are per second of process CPU time (the wall-clock rate, which other processes on the machine disturb, in brackets).');
	// Warm up, then alternate and keep each variant's best of 3.
	await hubLoop(100_000, spreadStamp);
	await rawLoop(100_000, spreadStamp);
	await hubLoop(100_000, helperStamp);
	await rawLoop(100_000, helperStamp);
	let hubSpread = { cpu: 0, wall: 0 };
	let rawSpread = { cpu: 0, wall: 0 };
	let hubHelper = { cpu: 0, wall: 0 };
	let rawHelper = { cpu: 0, wall: 0 };
	for (let round = 0; round < 3; round++) {
		hubSpread = best(hubSpread, await hubLoop(ONE_MESSAGES, spreadStamp));
		rawSpread = best(rawSpread, await rawLoop(ONE_MESSAGES, spreadStamp));
		hubHelper = best(hubHelper, await hubLoop(ONE_MESSAGES, helperStamp));
		rawHelper = best(rawHelper, await rawLoop(ONE_MESSAGES, helperStamp));
	}
	const cell = (r: { cpu: number; wall: number }): string => `${fmt(r.cpu)} (${fmt(r.wall)})`;
	table(
		['middleware edits metadata with', 'polku Hub msgs/s', 'hand-written loop msgs/s', 'polku ÷ hand-written'],
		[
			['a spread: `{ ...m, metadata: { ...m.metadata, k } }`', cell(hubSpread), cell(rawSpread), ratio(hubSpread.cpu, rawSpread.cpu)],
			['withMetadata(m, { k })', cell(hubHelper), cell(rawHelper), ratio(hubHelper.cpu, rawHelper.cpu)],
		],
	);
	console.log(`spread ÷ withMetadata through the hub: ${ratio(hubSpread.cpu, hubHelper.cpu)}`);
	console.log(`target: ≥ 0.60x the hand-written loop (got ${ratio(hubSpread.cpu, rawSpread.cpu)} with the spread, ${ratio(hubHelper.cpu, rawHelper.cpu)} with withMetadata)`);

	console.log('\n## a burst of concurrent senders blocked on a full buffer (block, 10 000-message buffer, collected then Promise.all)');
	await burst(20_000);
	let small = { cpu: 0, wall: 0 };
	let large = { cpu: 0, wall: 0 };
	for (let round = 0; round < 2; round++) {
		small = best(small, await burst(20_000));
		large = best(large, await burst(200_000));
	}
	table(
		['concurrent senders', 'msgs/s', 'µs per message'],
		[
			['20 000', cell(small), (1e6 / small.cpu).toFixed(2)],
			['200 000', cell(large), (1e6 / large.cpu).toFixed(2)],
		],
	);
	console.log(`target: the cost per message at 200 000 senders within 3x of the cost at 20 000 (got ${ratio(small.cpu, large.cpu)})`);

	console.log('\n## latency from hub.send() to Output.send(), a steady 50 000 msgs/s for 4 s (first 10% dropped as warm-up)');
	const rows: string[][] = [];
	for (const [label, batchSize] of [
		['batchSize 1', 1],
		['defaults (batchSize 100, flushInterval 10 ms)', undefined],
	] as const) {
		const l = await latency(50_000, 4, batchSize);
		rows.push([label, (l.p50 / 1000).toFixed(3), (l.p99 / 1000).toFixed(3), (l.max / 1000).toFixed(3), fmt(l.count)]);
	}
	table(['batching', 'p50 ms', 'p99 ms', 'max ms', 'messages'], rows);
	console.log('target: p99 ≤ 1 ms with batchSize 1');
}

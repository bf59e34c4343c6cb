// polku/prometheus: cost of a scrape, and what the send-duration listener costs the pipeline.
import * as client from 'prom-client';
import { attachMetrics, prometheusText, registerMetrics } from '../../src/adapters/prometheus/index.js';
import { Hub, type Message, type MessageInit, type Middleware, type Output } from '../../src/index.js';
import { MemoryInput } from '../../src/testing/index.js';
import { fmt, heapAfterGc, ratio, table } from './report.js';

const TOTAL = Number(process.env.BENCH_PROMETHEUS_MESSAGES ?? 1_000_000);
const CHUNK = 1000;
const payload = Buffer.alloc(256, 1);
const init: MessageInit = { source: 'bench', messageType: 'tick', payload };

class CountingOutput implements Output {
	count = 0;
	constructor(readonly name: string) {}
	async send(batch: readonly Message[]): Promise<void> {
		this.count += batch.length;
	}
}

/** A hub shaped like a busy gateway: 3 inputs, 4 middleware with 5 counters each, 8 outputs, some traffic through it. */
async function scrapeTarget(): Promise<Hub> {
	const inputs = ['grpc', 'http', 'kafka'].map((n) => new MemoryInput(n));
	const middleware: Middleware[] = Array.from({ length: 4 }, (_, i) => {
		let count: ((c: string) => void) | undefined;
		return {
			name: `mw${i}`,
			start: (ctx) => void (count = (c) => ctx.count(c)),
			process: (m: Message) => {
				count?.(`event${m.payload.length % 5}`);
				return m;
			},
		};
	});
	let builder = Hub.builder().batchSize(100).flushInterval(1).middleware(...middleware);
	for (const input of inputs) builder = builder.input(input);
	for (let i = 0; i < 8; i++) builder = builder.output(new CountingOutput(`out${i}`));
	const hub = builder.build();
	attachMetrics(hub);
	await hub.start();
	for (const input of inputs) {
		await input.push(Array.from({ length: 500 }, (_, i) => ({ ...init, payload: Buffer.alloc(i % 7) })));
	}
	return hub;
}

function perSecond(fn: () => unknown, minMs = 400): number {
	for (let i = 0; i < 50; i++) fn();
	let n = 0;
	const started = performance.now();
	let elapsed = 0;
	while (elapsed < minMs) {
		for (let i = 0; i < 20; i++) fn();
		n += 20;
		elapsed = performance.now() - started;
	}
	return n / (elapsed / 1000);
}

async function perSecondAsync(fn: () => Promise<unknown>, minMs = 400): Promise<number> {
	for (let i = 0; i < 50; i++) await fn();
	let n = 0;
	const started = performance.now();
	let elapsed = 0;
	while (elapsed < minMs) {
		await fn();
		n++;
		elapsed = performance.now() - started;
	}
	return n / (elapsed / 1000);
}

type Variant = 'none' | 'text' | 'registry';

/** Nanoseconds per `flush` event delivered to the metrics' listener (a no-op listener is the baseline). */
function flushEventCost(variant: 'noop' | 'text' | 'registry'): number {
	const hub = Hub.builder().output(new CountingOutput('out0')).build();
	if (variant === 'noop') hub.on('flush', () => {});
	if (variant === 'text') attachMetrics(hub);
	if (variant === 'registry') registerMetrics(hub, new client.Registry());
	const messages: Message[] = [];
	let i = 0;
	const rate = perSecond(() => hub.emit('flush', { output: 'out0', messages, durationMs: (i++ % 200) / 10, attempts: 1 }));
	return 1e9 / rate;
}

/** Messages per second through 3 outputs with batches of `batch`, with or without metrics listening to `flush`. */
async function throughput(variant: Variant, batch: number): Promise<number> {
	const input = new MemoryInput();
	const outputs = [0, 1, 2].map((i) => new CountingOutput(`out${i}`));
	let builder = Hub.builder().bufferCapacity(100_000).batchSize(batch).flushInterval(5).input(input);
	for (const o of outputs) builder = builder.output(o);
	const hub = builder.build();
	heapAfterGc();
	if (variant === 'text') attachMetrics(hub);
	const unregister = variant === 'registry' ? registerMetrics(hub, new client.Registry()) : undefined;
	await hub.start();
	const started = performance.now();
	for (let i = 0; i < TOTAL; i += CHUNK) await input.push(new Array<MessageInit>(CHUNK).fill(init));
	await hub.stop();
	const ms = performance.now() - started;
	for (const o of outputs) if (o.count !== TOTAL) throw new Error(`${o.name} got ${o.count} of ${TOTAL}`);
	unregister?.();
	return TOTAL / (ms / 1000);
}

export async function run(): Promise<void> {
	console.log('\n## prometheus: one scrape of a hub with 3 inputs, 4 middleware × 5 counters, 8 outputs (~170 series)');
	const hub = await scrapeTarget();
	const registry = new client.Registry();
	registerMetrics(hub, registry);
	const textBytes = prometheusText(hub).length;
	const rounds = { json: 0, text: 0, registry: 0 };
	for (let round = 0; round < 3; round++) {
		rounds.json = Math.max(rounds.json, perSecond(() => JSON.stringify(hub.stats())));
		rounds.text = Math.max(rounds.text, perSecond(() => prometheusText(hub)));
		rounds.registry = Math.max(rounds.registry, await perSecondAsync(() => registry.metrics()));
	}
	await hub.stop();
	table(
		['scrape', 'scrapes/s', 'µs per scrape', 'vs JSON.stringify(stats())'],
		[
			['JSON.stringify(hub.stats()) (baseline)', fmt(rounds.json), (1e6 / rounds.json).toFixed(1), '1.00x'],
			[`prometheusText(hub) (${fmt(textBytes)} bytes)`, fmt(rounds.text), (1e6 / rounds.text).toFixed(1), ratio(rounds.json, rounds.text)],
			['registerMetrics + registry.metrics()', fmt(rounds.registry), (1e6 / rounds.registry).toFixed(1), ratio(rounds.json, rounds.registry)],
		],
	);

	console.log('\n## prometheus: cost of one flush event (one per confirmed batch per output, never per message)');
	const cost = { noop: Infinity, text: Infinity, registry: Infinity };
	for (let round = 0; round < 3; round++) {
		for (const variant of ['noop', 'text', 'registry'] as const) cost[variant] = Math.min(cost[variant], flushEventCost(variant));
	}
	table(
		['flush listener', 'ns per event', 'extra ns vs no-op', 'extra ns per message at batch 100'],
		(['noop', 'text', 'registry'] as const).map((v) => [
			{ noop: 'no-op listener (baseline)', text: 'attachMetrics (text path)', registry: 'registerMetrics (prom-client)' }[v],
			cost[v].toFixed(0),
			(cost[v] - cost.noop).toFixed(0),
			((cost[v] - cost.noop) / 100).toFixed(2),
		]),
	);

	for (const batch of [500, 10]) {
		console.log(`\n## prometheus: pipeline throughput, ${fmt(TOTAL)} messages, batches of ${batch}, 3 outputs (best of 5, GC before each run; ±30% run-to-run noise on this machine)`);
		const best: Record<Variant, number> = { none: 0, text: 0, registry: 0 };
		await throughput('none', batch);
		for (let round = 0; round < 5; round++) {
			for (const variant of ['none', 'text', 'registry'] as const) best[variant] = Math.max(best[variant], await throughput(variant, batch));
		}
		table(
			['metrics', 'msgs/s', 'vs no metrics'],
			[
				['none (baseline)', fmt(best.none), '1.00x'],
				['attachMetrics (text path)', fmt(best.text), ratio(best.text, best.none)],
				['registerMetrics (prom-client)', fmt(best.registry), ratio(best.registry, best.none)],
			],
		);
	}
}

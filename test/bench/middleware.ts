// Built-in middleware benchmark: the per-message cost of each middleware's process() on pre-built
// messages, against an identity middleware measured in the same run; and a check that a hub
// pipeline of sync built-ins creates no promise per message.
import { createHook } from 'node:async_hooks';
import {
	aggregate,
	auth,
	createMessage,
	dedup,
	enrich,
	filter,
	Hub,
	json,
	maxSize,
	nonEmpty,
	rateLimit,
	router,
	sample,
	silentLogger,
	throttle,
	transform,
	validate,
	withMetadata,
	type Message,
	type MessageInit,
	type Middleware,
	type MiddlewareContext,
	type StandardSchemaV1,
} from '../../src/index.js';
import { MemoryInput, MemoryOutput } from '../../src/testing/index.js';
import { fmt, ratio, table } from './report.js';

const ITERATIONS = Number(process.env.BENCH_MIDDLEWARE_ITERATIONS ?? 300_000);
const REPEATS = 5;
const PIPELINE_MESSAGES = 100_000;
const PIPELINE_BATCH = 1000;

const context: MiddlewareContext = {
	emit: (m) => Promise.resolve({ status: 'accepted', id: m.id }),
	count: () => {},
	signal: new AbortController().signal,
	logger: silentLogger,
};

const ring = (n: number, make: (i: number) => MessageInit): Message[] => Array.from({ length: n }, (_, i) => createMessage(make(i)));
/** 1024 messages from 50 sources with JSON payloads and an authorization header. */
const common = ring(1024, (i) => ({
	source: `device-${i % 50}`,
	messageType: i % 2 === 0 ? 'reading.temperature' : 'reading.humidity',
	metadata: { authorization: 'Bearer ok', tenant: 'acme', region: i % 3 === 0 ? 'eu-north-1' : 'us-east-1' },
	payload: JSON.stringify({ id: `r-${i}`, value: i / 10, unit: 'c' }),
}));
/** Unique ids, for dedup's insert-and-evict path. */
const unique = ring(1 << 18, (i) => ({ id: `u-${i}`, source: 'bench', messageType: 'event', payload: 'x' }));

const readingSchema: StandardSchemaV1 = {
	'~standard': {
		version: 1,
		vendor: 'hand-written',
		validate: (v) => {
			const r = v as { id?: unknown; value?: unknown } | null;
			return r !== null && typeof r === 'object' && typeof r.id === 'string' && typeof r.value === 'number'
				? { value: v }
				: { issues: [{ message: 'Expected a reading', path: ['value'] }] };
		},
	},
};

interface Case {
	readonly label: string;
	readonly middleware: Middleware;
	readonly messages?: readonly Message[];
}

const cases = (): Case[] => [
	{ label: 'identity (baseline)', middleware: { name: 'identity', process: (m) => m } },
	{ label: 'filter', middleware: filter((m) => m.payload.length > 0) },
	{ label: 'transform (withMetadata, 1 key)', middleware: transform((m) => withMetadata(m, { stage: 'seen' })) },
	{ label: "router first ('reading.*' glob, 3 rules)", middleware: router([{ messageType: 'order.*', to: 'a' }, { source: /^svc-/, to: 'b' }, { messageType: 'reading.*', to: 'c' }]) },
	{ label: 'router all (glob + metadata RegExp)', middleware: router([{ messageType: 'reading.*', to: 'ts' }, { metadata: { region: /^eu-/ }, to: 'eu' }], { mode: 'all' }) },
	{ label: 'rateLimit drop (passing)', middleware: rateLimit({ perSecond: 1e12, burst: 1e12 }) },
	{ label: 'throttle (50 keys, passing)', middleware: throttle({ perSecond: 1e12, burst: 1e12 }) },
	{ label: 'sample random 0.5', middleware: sample({ rate: 0.5 }) },
	{ label: 'sample by key 0.5', middleware: sample({ rate: 0.5, key: 'source' }) },
	{ label: 'dedup unique ids (insert + evict, 10k)', middleware: dedup({ maxEntries: 10_000 }), messages: unique },
	{ label: 'dedup repeats (hit)', middleware: dedup({ ttlMs: Infinity }) },
	{ label: 'enrich sync lookup, no cache', middleware: enrich((m) => ({ site: m.source })) },
	{ label: 'enrich cache hit (sync)', middleware: enrich(async (m) => ({ site: m.source }), { cacheTtlMs: Infinity }) },
	{ label: 'validate nonEmpty + maxSize', middleware: validate([nonEmpty(), maxSize(4096)]) },
	{ label: 'validate json()', middleware: validate(json()) },
	{ label: 'validate Standard Schema', middleware: validate(readingSchema) },
	{ label: 'aggregate count 100 json-array', middleware: aggregate({ count: 100, windowMs: 0 }) },
	{ label: 'auth (sync, strip + principal)', middleware: auth((c) => (c === 'Bearer ok' ? 'device' : false)) },
];

/** A separately compiled loop per case, so every call site stays monomorphic. */
function compileLoop(): (mw: Middleware, messages: readonly Message[], n: number) => number {
	return new Function(
		'mw',
		'messages',
		'n',
		`let kept = 0;
		const mask = messages.length - 1;
		for (let i = 0; i < n; i++) if (mw.process(messages[i & mask]) !== null) kept++;
		return kept;`,
	) as (mw: Middleware, messages: readonly Message[], n: number) => number;
}

/** The fastest of REPEATS runs of ITERATIONS calls (the least disturbed by other processes), in ns per call, GC included. */
async function measure(c: Case): Promise<number> {
	const messages = c.messages ?? common;
	await c.middleware.start?.(context);
	const loop = compileLoop();
	loop(c.middleware, messages, Math.min(ITERATIONS, 200_000)); // warm up
	await new Promise((resolve) => setImmediate(resolve)); // lets async lookups settle and fill caches
	if (messages.slice(0, 64).some((m) => c.middleware.process(m) instanceof Promise)) throw new Error(`${c.label}: not synchronous after warm-up`);
	const runs: number[] = [];
	for (let r = 0; r < REPEATS; r++) {
		(globalThis as { gc?: () => void }).gc?.();
		const started = process.hrtime.bigint();
		const kept = loop(c.middleware, messages, ITERATIONS);
		runs.push(Number(process.hrtime.bigint() - started) / ITERATIONS);
		if (kept < 0) console.log(kept); // keeps the result observable
	}
	await c.middleware.stop?.();
	return Math.min(...runs);
}

async function pipeline(middleware: readonly Middleware[]): Promise<{ promisesPerMessage: number; perSecond: number }> {
	const input = new MemoryInput();
	const out = new MemoryOutput();
	const hub = Hub.builder().bufferCapacity(PIPELINE_MESSAGES).batchSize(PIPELINE_BATCH).flushInterval(5).input(input).middleware(...middleware).output(out).build();
	await hub.start();
	const batches: MessageInit[][] = [];
	for (let b = 0; b < PIPELINE_MESSAGES / PIPELINE_BATCH; b++) {
		batches.push(Array.from({ length: PIPELINE_BATCH }, (_, i) => ({ id: `p-${b}-${i}`, source: `device-${i % 50}`, messageType: 'reading.temperature', payload: '{"v":1}' })));
	}
	let promises = 0;
	const hook = createHook({
		init(_id, type) {
			if (type === 'PROMISE') promises++;
		},
	});
	const started = performance.now();
	hook.enable();
	for (const batch of batches) await input.push(batch);
	hook.disable();
	await hub.stop();
	const ms = performance.now() - started;
	if (out.messages.length !== PIPELINE_MESSAGES) throw new Error(`pipeline delivered ${out.messages.length} of ${PIPELINE_MESSAGES}`);
	return { promisesPerMessage: promises / PIPELINE_MESSAGES, perSecond: PIPELINE_MESSAGES / (ms / 1000) };
}

export async function run(): Promise<void> {
	console.log(`\n## middleware: process() cost per message (best of ${REPEATS} × ${fmt(ITERATIONS)} calls, pre-built messages)\n`);
	await measure(cases()[0]!); // warms the process up; the baseline is measured again below
	const results: [string, number][] = [];
	for (const c of cases()) results.push([c.label, await measure(c)]);
	const base = results[0]![1];
	table(
		['middleware', 'ns/msg', 'over identity', 'ratio'],
		results.map(([label, ns]) => [label, ns.toFixed(1), `${(ns - base).toFixed(1)} ns`, ratio(ns, base)]),
	);

	console.log(`\n## middleware: promises created in a hub pipeline (${fmt(PIPELINE_MESSAGES)} messages, batches of ${PIPELINE_BATCH})\n`);
	const none = await pipeline([]);
	const three = await pipeline([filter((m) => m.payload.length > 0), router([{ messageType: 'reading.*', to: 'memory' }]), dedup({ maxEntries: 10_000 })]);
	const asyncOne = await pipeline([{ name: 'async-identity', process: async (m) => m }]);
	table(
		['pipeline', 'promises/msg', 'msgs/s', 'vs no middleware'],
		[
			['no middleware', none.promisesPerMessage.toFixed(4), fmt(none.perSecond), '1.00x'],
			['filter + router + dedup (sync)', three.promisesPerMessage.toFixed(4), fmt(three.perSecond), ratio(three.perSecond, none.perSecond)],
			['async identity (control)', asyncOne.promisesPerMessage.toFixed(4), fmt(asyncOne.perSecond), ratio(asyncOne.perSecond, none.perSecond)],
		],
	);
	if (three.promisesPerMessage >= 0.05) throw new Error(`sync pipeline created ${three.promisesPerMessage} promises per message`);
}

// Soak: a hub under steady mixed traffic for a while (in-process producers and an HttpInput, sync and async
// middleware, a flaky output with retries and a dead-letter output, a stalling output with a lag bound), the
// heap sampled after a full GC. Flat = pass: after a warm-up, the last third of the samples may not average
// more than max(4 MiB, 10 %) above the first third. Conservation is checked at the end too.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Hub, reject, withMetadata, type Message, type Output } from '../../src/index.js';
import { HttpInput } from '../../src/adapters/http/index.js';
import { conservationErrors } from '../support/hub.js';
import { mulberry32 } from './chaos.js';
import { postJson } from '../http/helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

export interface SoakResult {
	readonly durationMs: number;
	readonly messages: number;
	readonly httpRequests: number;
	readonly samples: readonly number[];
	readonly minMiB: number;
	readonly maxMiB: number;
	readonly firstThirdMiB: number;
	readonly lastThirdMiB: number;
	readonly errors: readonly string[];
}

const MiB = 1024 * 1024;

function heapAfterGc(): number {
	gc();
	gc();
	return process.memoryUsage().heapUsed;
}

class SoakOutput implements Output {
	count = 0;
	constructor(
		readonly name: string,
		private readonly behave: () => Promise<void> | void,
	) {}
	async send(batch: readonly Message[]): Promise<void> {
		await this.behave();
		this.count += batch.length;
	}
}

/** Runs the soak for `durationMs`, sampling the heap every `sampleMs`; never throws for a finding (see `errors`). */
export async function soak(options: { durationMs: number; sampleMs: number; seed: number; onSample?: (mib: number, elapsedMs: number) => void }): Promise<SoakResult> {
	const random = mulberry32(options.seed);
	const outputs = [
		new SoakOutput('steady', () => {}),
		new SoakOutput('flaky', () => {
			if (random() < 0.1) throw new Error('flaky');
		}),
		new SoakOutput('stalls', () => (random() < 0.01 ? new Promise((r) => setTimeout(r, 30)) : undefined)),
	];
	const dlq = new SoakOutput('dlq', () => {});
	const http = new HttpInput({ address: '127.0.0.1:0' });
	const hub = Hub.builder()
		.bufferCapacity(20_000)
		.batchSize(200)
		.flushInterval(2)
		.input(http)
		.middleware(
			{ name: 'tag', process: (m: Message) => withMetadata(m, { soak: 'yes' }) },
			{ name: 'gate', process: (m: Message) => (m.payload[0] === 7 ? reject('seven') : m.payload[0] === 9 ? null : m) },
			{ name: 'async', process: (m: Message) => (m.payload[0] === 3 ? Promise.resolve(m) : m) },
		)
		.output(outputs[0]!)
		.output(outputs[1]!, { retry: { attempts: 3, baseDelayMs: 1 }, deadLetter: 'dlq' })
		.output(outputs[2]!, { maxPending: 5_000 })
		.deadLetter(dlq)
		.build();
	hub.on('drop', () => {});
	await hub.start();
	const { port } = await http.ready;

	let messages = 0;
	let httpRequests = 0;
	const errors: string[] = [];
	const started = performance.now();
	const until = started + options.durationMs;
	const producer = async (): Promise<void> => {
		while (performance.now() < until) {
			const batch = Array.from({ length: 100 }, () => ({ source: 'soak', messageType: 'tick', payload: new Uint8Array([Math.floor(random() * 10), 1, 2, 3]) }));
			messages += batch.length;
			if (random() < 0.2) await hub.deliverBatch(batch);
			else await hub.sendBatch(batch);
			await new Promise((r) => setImmediate(r));
		}
	};
	const httpClient = async (): Promise<void> => {
		while (performance.now() < until) {
			const events = Array.from({ length: 20 }, (_, i) => ({ source: 'soak-http', event_type: 'tick', payload: btoa(String(i)) }));
			const reply = await postJson(port, '/events', events);
			httpRequests++;
			messages += events.length;
			if (reply.status !== 202 && reply.status !== 207) errors.push(`HTTP ${reply.status}: ${reply.text.slice(0, 100)}`);
			await new Promise((r) => setTimeout(r, 5));
		}
	};
	const samples: number[] = [];
	const sampler = (async () => {
		while (performance.now() < until) {
			await new Promise((r) => setTimeout(r, options.sampleMs));
			const mib = heapAfterGc() / MiB;
			samples.push(mib);
			options.onSample?.(mib, performance.now() - started);
		}
	})();
	await Promise.all([producer(), producer(), httpClient(), sampler]);
	await hub.stop({ timeoutMs: 5_000 });
	const durationMs = performance.now() - started;

	const s = hub.stats();
	errors.push(...conservationErrors(s));
	if (s.received !== messages) errors.push(`received ${s.received} != sent ${messages}`);
	// Flatness: skip the first fifth (warm-up: JIT, pools, the buffer filling once).
	const steady = samples.slice(Math.floor(samples.length / 5));
	const third = Math.max(1, Math.floor(steady.length / 3));
	const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
	const firstThirdMiB = mean(steady.slice(0, third));
	const lastThirdMiB = mean(steady.slice(-third));
	if (steady.length >= 3 && lastThirdMiB - firstThirdMiB > Math.max(4, firstThirdMiB * 0.1)) {
		errors.push(`heap grew from ${firstThirdMiB.toFixed(1)} MiB to ${lastThirdMiB.toFixed(1)} MiB`);
	}
	return {
		durationMs,
		messages,
		httpRequests,
		samples,
		minMiB: Math.min(...steady),
		maxMiB: Math.max(...steady),
		firstThirdMiB,
		lastThirdMiB,
		errors,
	};
}

export function describeSoak(r: SoakResult): string[] {
	return [
		`soak: ${(r.durationMs / 1000).toFixed(0)} s, ${r.messages.toLocaleString('en-US')} messages (${Math.round(r.messages / (r.durationMs / 1000)).toLocaleString('en-US')}/s, ${r.httpRequests} HTTP requests); heap after GC over ${r.samples.length} samples (after warm-up): min ${r.minMiB.toFixed(1)} MiB, max ${r.maxMiB.toFixed(1)} MiB, first third ${r.firstThirdMiB.toFixed(1)} MiB, last third ${r.lastThirdMiB.toFixed(1)} MiB`,
		r.errors.length === 0 ? '  flat heap, conservation exact' : `  FINDINGS: ${r.errors.slice(0, 10).join(' | ')}`,
	];
}

// Conservation under chaos, with real timers: producers drive a hub through send / sendBatch / deliver /
// deliverBatch while outputs fail, slow down and hang, middleware filters, rejects, throws and goes async, and
// stop() cuts the drain short at a deadline. Afterwards every message must be accounted for exactly once
// (the identities of test/support/hub.ts), every counted drop announced, nothing pending, every call settled.
// `npm run reliability` runs it at 10^6 messages per overflow policy; test/reliability/reliability.test.ts runs
// a small seeded version.
import { DROP_REASONS, DeliveryError, Hub, reject, type Message, type OverflowPolicy, type Output } from '../../src/index.js';
import { conservationErrors, sum } from '../support/hub.js';

export const mulberry32 =
	(seed: number) =>
	(): number => {
		seed = (seed + 0x6d2b79f5) | 0;
		let t = seed;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};

type Behaviour = 'ok' | 'flaky' | 'slow' | 'stalls' | 'hangs-forever';

/** An output that counts what it confirms (no per-message storage, so 10^6 messages fit) and misbehaves on purpose. */
class ChaosOutput implements Output {
	confirmed = 0;
	sends = 0;
	#held: (() => void)[] = [];
	#releasedForever = false;
	constructor(
		readonly name: string,
		readonly behaviour: Behaviour,
		private readonly random: () => number,
	) {}

	/** Honours the hub's abort signal (timeoutMs, the stop deadline) like a well-behaved client: an aborted send confirms nothing. */
	async send(batch: readonly Message[], signal?: AbortSignal): Promise<void> {
		this.sends++;
		const r = this.random();
		switch (this.behaviour) {
			case 'flaky':
				if (r < 0.25) throw new Error(`${this.name}: injected failure`);
				break;
			case 'slow':
				await new Promise((resolve) => setTimeout(resolve, 1 + Math.floor(r * 3)));
				break;
			case 'stalls': // now and then a send hangs for up to 40 ms, or fails
				if (r < 0.02) await abortable(Math.floor(this.random() * 40), signal);
				else if (r < 0.05) throw new Error(`${this.name}: injected failure`);
				break;
			case 'hangs-forever':
				if (!this.#releasedForever) await new Promise<void>((resolve) => this.#held.push(resolve));
				break;
			case 'ok':
		}
		if (signal?.aborted) throw new Error(`${this.name}: aborted`);
		this.confirmed += batch.length;
	}

	/** Lets a hanging output finish its pending send (after the stop deadline: too late to count). */
	release(): void {
		this.#releasedForever = true;
		for (const resolve of this.#held.splice(0)) resolve();
	}
}

function abortable(ms: number, signal: AbortSignal | undefined): Promise<void> {
	return new Promise((resolve) => {
		const timer = setTimeout(done, ms);
		function done(): void {
			clearTimeout(timer);
			signal?.removeEventListener('abort', done);
			resolve();
		}
		signal?.addEventListener('abort', done, { once: true });
	});
}

export interface ChaosOptions {
	readonly messages: number;
	readonly overflow: OverflowPolicy;
	readonly seed: number;
	/** Concurrent producers. @default 8 */
	readonly producers?: number;
	/** stop() deadline. @default 200 */
	readonly stopTimeoutMs?: number;
	/** Called every few seconds with a progress line. */
	readonly progress?: (line: string) => void;
}

export interface ChaosResult {
	readonly overflow: OverflowPolicy;
	readonly issued: number;
	readonly durationMs: number;
	readonly received: number;
	readonly accepted: number;
	readonly filtered: number;
	readonly droppedBeforeBuffer: Readonly<Record<string, number>>;
	readonly outputs: Readonly<Record<string, { routed: number; delivered: number; deadLettered: number; dropped: number; confirmed: number }>>;
	readonly deliverFailures: number;
	/** Every violated identity or expectation; empty = conservation held. */
	readonly errors: readonly string[];
}

/** Runs one chaos scenario and checks conservation; never throws for a violation (it is in `errors`). */
export async function chaos(options: ChaosOptions): Promise<ChaosResult> {
	const random = mulberry32(options.seed);
	const capacity = 4_096;
	const outputs = [
		new ChaosOutput('ok', 'ok', random),
		new ChaosOutput('flaky', 'flaky', random),
		new ChaosOutput('slow', 'slow', random),
		new ChaosOutput('stalls', 'stalls', random),
		new ChaosOutput('hangs', 'hangs-forever', random),
	];
	const dlq = new ChaosOutput('dlq', 'stalls', random);
	const builder = Hub.builder()
		.bufferCapacity(capacity)
		.batchSize(256)
		.flushInterval(1)
		.overflow(options.overflow)
		.middleware({
			name: 'chaos',
			process: (m: Message) => {
				const n = m.payload[0]! | (m.payload[1]! << 8);
				if (n % 97 === 1) throw new Error('chaos: thrown');
				if (n % 89 === 2) return reject('chaos');
				if (n % 83 === 3) return null;
				if (n % 61 === 4) return Promise.resolve(m); // async now and then
				if (n % 1009 === 5) return new Promise<Message>((resolve) => setTimeout(() => resolve(m), 2));
				return m;
			},
		});
	builder.output(outputs[0]!, { batchSize: 512 });
	builder.output(outputs[1]!, { retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 4 }, deadLetter: 'dlq' });
	builder.output(outputs[2]!, { batchSize: 1024, retry: false });
	builder.output(outputs[3]!, { retry: { attempts: 2, baseDelayMs: 1 }, timeoutMs: 25, maxPending: 2_048 });
	// Without its lag bound a forever-hanging output would hold the buffer full: under `block` nothing would move.
	builder.output(outputs[4]!, { maxPending: 512, retry: false });
	const hub = builder.deadLetter(dlq, { retry: { attempts: 2, baseDelayMs: 1 } }).build();

	const announced = new Map<string, number>();
	hub.on('drop', (e) => {
		const key = `${e.reason}/${e.output ?? ''}`;
		announced.set(key, (announced.get(key) ?? 0) + e.messages.length);
	});
	hub.on('error', () => {});
	const started = performance.now();
	await hub.start();

	let issued = 0;
	let deliverFailures = 0;
	let seq = 0;
	const names = outputs.map((o) => o.name);
	// A deliver() waits until every output it is routed to confirms or gives up: one routed to the output that
	// hangs forever would wait as long as it holds the message (up to its maxPending), and enough of them would
	// leave no producer running. Like a real input with a deadline, deliveries avoid it; plain sends do not.
	const notHanging = names.filter((n) => n !== 'hangs');
	const next = (delivery = false): { source: string; messageType: string; payload: Uint8Array; routeTo: readonly string[] } => {
		const n = seq++;
		const r = n % 50;
		const pool = delivery ? notHanging : names;
		const one = pool[n % pool.length]!;
		const routeTo = r === 0 ? ['nowhere'] : r === 1 ? [one] : r === 2 ? [one, 'nowhere'] : delivery ? notHanging : [];
		return { source: 'chaos', messageType: 'm', payload: new Uint8Array([n & 0xff, (n >>> 8) & 0xff, 1, 2]), routeTo };
	};
	const producer = async (): Promise<void> => {
		while (issued < options.messages) {
			const r = random();
			const size = Math.min(options.messages - issued, 1 + Math.floor(random() * 200));
			if (r < 0.05) {
				issued++;
				await hub.send(next());
			} else if (r < 0.07) {
				issued++;
				await hub.deliver(next(true)).catch((e: unknown) => {
					if (!(e instanceof DeliveryError)) throw e;
					deliverFailures++;
				});
			} else if (r < 0.8) {
				issued += size;
				await hub.sendBatch(Array.from({ length: size }, () => next()));
			} else {
				issued += size;
				const outcome = await hub.deliverBatch(Array.from({ length: size }, () => next(true)));
				deliverFailures += outcome.failed.length;
			}
		}
	};
	const producing = Promise.all(Array.from({ length: options.producers ?? 8 }, producer));
	// Stop while the last sends are still in flight: some are cut off by the deadline.
	let reported = performance.now();
	while (issued < options.messages) {
		await new Promise((resolve) => setTimeout(resolve, 5));
		if (options.progress !== undefined && performance.now() - reported > 5_000) {
			reported = performance.now();
			const st = hub.stats();
			options.progress(`  ${options.overflow}: issued ${issued}, received ${st.received}, admitting ${st.admitting}, buffer ${st.buffer.size}/${st.buffer.capacity}, ${((reported - started) / 1000).toFixed(0)} s`);
		}
	}
	const stopped = hub.stop({ timeoutMs: options.stopTimeoutMs ?? 200 });
	const late = hub.sendBatch([next(), next()]); // after stop(): dropped as shutdown
	issued += 2;
	await stopped;
	await producing;
	await late;
	for (const o of outputs) o.release();
	const durationMs = performance.now() - started;

	const s = hub.stats();
	const errors = [...conservationErrors(s)];
	if (s.admitting !== 0) errors.push(`admitting ${s.admitting} after stop`);
	if (s.received !== issued) errors.push(`received ${s.received} != issued ${issued}`);
	for (const [name, o] of Object.entries(s.outputs)) {
		if (o.pending !== 0) errors.push(`${name}: pending ${o.pending} after stop`);
		if (o.inFlight !== 0) errors.push(`${name}: in flight ${o.inFlight} after stop`);
	}
	const counted = new Map<string, number>();
	for (const reason of DROP_REASONS) {
		if (s.dropped[reason] > 0) counted.set(`${reason}/`, s.dropped[reason]);
		for (const [name, o] of Object.entries(s.outputs)) if (o.dropped[reason] > 0) counted.set(`${reason}/${name}`, o.dropped[reason]);
	}
	for (const key of new Set([...counted.keys(), ...announced.keys()])) {
		if ((counted.get(key) ?? 0) !== (announced.get(key) ?? 0)) errors.push(`drops ${key}: counted ${counted.get(key) ?? 0}, announced ${announced.get(key) ?? 0}`);
	}
	const deadLettered = sum(Object.fromEntries(Object.entries(s.outputs).map(([n, o]) => [n, o.deadLettered])));
	if (s.outputs['dlq']!.routed !== deadLettered) errors.push(`dlq routed ${s.outputs['dlq']!.routed} != dead-lettered ${deadLettered}`);
	for (const o of [...outputs, dlq]) {
		const stats = s.outputs[o.name]!;
		// What an output confirmed is what the hub counted as delivered, plus batches cut off at the deadline
		// (counted as shutdown drops; the hanging output finishes them only after release()).
		if (o.confirmed < stats.delivered) errors.push(`${o.name}: confirmed ${o.confirmed} < delivered ${stats.delivered}`);
		if (o.confirmed > stats.delivered + stats.dropped.shutdown) errors.push(`${o.name}: confirmed ${o.confirmed} > delivered + cut off`);
	}
	if (s.received < options.messages) errors.push('the run did not issue every message');
	return {
		overflow: options.overflow,
		issued,
		durationMs,
		received: s.received,
		accepted: s.accepted,
		filtered: s.filtered,
		droppedBeforeBuffer: Object.fromEntries(Object.entries(s.dropped).filter(([, n]) => n > 0)),
		outputs: Object.fromEntries(
			[...outputs, dlq].map((o) => {
				const st = s.outputs[o.name]!;
				return [o.name, { routed: st.routed, delivered: st.delivered, deadLettered: st.deadLettered, dropped: sum(st.dropped), confirmed: o.confirmed }];
			}),
		),
		deliverFailures,
		errors,
	};
}

/** One line per figure, for the reliability report. */
export function describeChaos(r: ChaosResult): string[] {
	const rate = Math.round(r.issued / (r.durationMs / 1000));
	const lines = [
		`chaos ${r.overflow}: ${r.issued} messages in ${(r.durationMs / 1000).toFixed(1)} s (${rate.toLocaleString('en-US')} msg/s): received ${r.received}, accepted ${r.accepted}, filtered ${r.filtered}, dropped before the buffer ${JSON.stringify(r.droppedBeforeBuffer)}, deliver failures reported ${r.deliverFailures}`,
	];
	for (const [name, o] of Object.entries(r.outputs)) {
		lines.push(`  ${name}: routed ${o.routed}, delivered ${o.delivered}, dead-lettered ${o.deadLettered}, dropped ${o.dropped}, confirmed by the output ${o.confirmed}`);
	}
	lines.push(r.errors.length === 0 ? `  conservation: exact (every identity holds, every drop announced, nothing pending)` : `  CONSERVATION VIOLATED: ${r.errors.join('; ')}`);
	return lines;
}

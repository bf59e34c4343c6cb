// Load generator of the gRPC benchmark, run in its own process (forked by ../grpc.ts).
// Takes one job per IPC message and replies { events, acks, seconds, total }: the
// events acked during the measured window, and in the whole job (warm-up included).
//   { kind: 'stream', port, size, parallel, warmupMs, measureMs }: one StreamEvents
//     call writing batches of `size` events, at most `parallel` un-acked at a time.
//   { kind: 'unary', port, parallel, warmupMs, measureMs }: `parallel` concurrent
//     SendEvent loops.
// Requests are encoded once up front (256-byte payloads), so the client spends its
// time in grpc-js, not in encoding.
import { Client, credentials, type ServiceError } from '@grpc/grpc-js';
import { createMessage, type Message } from '../../../src/index.js';
import { encodeIngestBatch, encodeIngestEvent } from '../../../src/adapters/grpc/index.js';

export interface Job {
	readonly kind: 'stream' | 'unary';
	readonly port: number;
	readonly size: number;
	readonly parallel: number;
	readonly warmupMs: number;
	readonly measureMs: number;
}

export interface JobResult {
	readonly events: number;
	readonly acks: number;
	readonly seconds: number;
	/** Events acked over the whole job, warm-up and drain included. */
	readonly total: number;
}

const payload = Buffer.alloc(256, 7);
const event = (i: number): Message =>
	createMessage({ id: `bench-${i}`, source: 'bench', messageType: 'bench.event', metadata: { host: 'bench-1' }, payload });
const identity = (b: Buffer): Buffer => b;

/** Counts the event ids of an encoded Ack (field 1) without decoding strings. */
function countIds(ack: Buffer): number {
	let n = 0;
	let pos = 0;
	while (pos < ack.length) {
		const tag = ack[pos++]!;
		let b: number;
		if ((tag & 7) === 0) {
			do b = ack[pos++]!;
			while (b >= 0x80);
			continue;
		}
		let len = 0;
		let shift = 0;
		do {
			b = ack[pos++]!;
			len |= (b & 0x7f) << shift;
			shift += 7;
		} while (b >= 0x80);
		if (tag === 0x0a) n++;
		pos += len;
	}
	return n;
}

/** Counts acked events for `measureMs` after `warmupMs`. */
class Meter {
	counting = false;
	events = 0;
	acks = 0;
	seconds = 0;
	total = 0;

	add(ack: Buffer): void {
		const n = countIds(ack);
		this.total += n;
		if (!this.counting) return;
		this.events += n;
		this.acks++;
	}

	run(job: Job): Promise<void> {
		return new Promise((resolve) => {
			setTimeout(() => {
				this.counting = true;
				const startedAt = performance.now();
				setTimeout(() => {
					this.counting = false;
					this.seconds = (performance.now() - startedAt) / 1000;
					resolve();
				}, job.measureMs);
			}, job.warmupMs);
		});
	}
}

async function stream(client: Client, job: Job, meter: Meter): Promise<void> {
	const batches = Array.from({ length: 16 }, (_, b) => encodeIngestBatch(Array.from({ length: job.size }, (_, i) => event(b * job.size + i)), { source: 'bench', cluster: '' }));
	const call = client.makeBidiStreamRequest('/polku.v1.Gateway/StreamEvents', identity, identity);
	let inFlight = 0;
	let next = 0;
	let stop = false;
	const fill = (): void => {
		while (!stop && inFlight < job.parallel) {
			inFlight++;
			call.write(batches[next++ & 15]!);
		}
	};
	call.on('data', (ack: Buffer) => {
		inFlight--;
		meter.add(ack);
		fill();
	});
	const ended = new Promise<void>((resolve, reject) => call.on('end', resolve).on('error', reject));
	fill();
	await meter.run(job);
	stop = true;
	call.end();
	await ended;
}

async function unary(client: Client, job: Job, meter: Meter): Promise<void> {
	const requests = Array.from({ length: 64 }, (_, i) => encodeIngestEvent({ source: 'bench', event: event(i) }));
	let stop = false;
	const worker = async (w: number): Promise<void> => {
		for (let i = w; !stop; i += job.parallel) {
			const ack = await new Promise<Buffer>((resolve, reject) =>
				client.makeUnaryRequest('/polku.v1.Gateway/SendEvent', identity, identity, requests[i & 63]!, (error: ServiceError | null, value?: Buffer) =>
					error ? reject(error) : resolve(value!),
				),
			);
			meter.add(ack);
		}
	};
	const workers = Array.from({ length: job.parallel }, (_, w) => worker(w));
	await meter.run(job);
	stop = true;
	await Promise.all(workers);
}

process.on('message', async (job: Job) => {
	const client = new Client(`127.0.0.1:${job.port}`, credentials.createInsecure(), { 'grpc.max_receive_message_length': -1 });
	const meter = new Meter();
	await (job.kind === 'stream' ? stream(client, job, meter) : unary(client, job, meter));
	client.close();
	const result: JobResult = { events: meter.events, acks: meter.acks, seconds: meter.seconds, total: meter.total };
	process.send!(result);
});
process.on('disconnect', () => process.exit(0));

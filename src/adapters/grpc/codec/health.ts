import { WireReader } from './reader.js';
import { delimitedSize, stringFieldSize, varint64Size, WireWriter } from './writer.js';

/**
 * One component of a `polku.v1.HealthResponse`.
 *
 * @example
 * ```ts
 * const buffer: GrpcComponentHealth = { healthy: true, message: '12/10000' };
 * ```
 */
export interface GrpcComponentHealth {
	/** Whether this component works. */
	readonly healthy: boolean;
	/** Details, e.g. an error. @default '' */
	readonly message?: string;
}

/**
 * A `polku.v1.HealthResponse`.
 *
 * @example
 * ```ts
 * const report: GrpcHealthReport = { healthy: true, components: { kafka: { healthy: true } }, uptimeSeconds: 42, eventsProcessed: 1_000 };
 * ```
 */
export interface GrpcHealthReport {
	/** Whether the service as a whole is healthy. */
	readonly healthy: boolean;
	/** Per-component health, e.g. one entry per output. */
	/** @default {} */
	readonly components?: Readonly<Record<string, GrpcComponentHealth>>;
	/** Seconds since the service started. @default 0 */
	readonly uptimeSeconds?: number | bigint;
	/** Events processed so far. @default 0 */
	readonly eventsProcessed?: number | bigint;
}

const big = (n: number | bigint | undefined): bigint => (typeof n === 'bigint' ? n : BigInt(Math.max(0, Math.floor(n ?? 0))));

function componentSize(c: GrpcComponentHealth): number {
	return (c.healthy ? 2 : 0) + stringFieldSize(c.message ?? '');
}

/** Encodes a `polku.v1.HealthResponse`. */
export function encodeHealth(report: GrpcHealthReport): Buffer {
	const components = Object.entries(report.components ?? {});
	const uptime = big(report.uptimeSeconds);
	const processed = big(report.eventsProcessed);
	let size = report.healthy ? 2 : 0;
	for (const [name, c] of components) size += delimitedSize(stringFieldSize(name) + delimitedSize(componentSize(c)));
	if (uptime !== 0n) size += 1 + varint64Size(uptime);
	if (processed !== 0n) size += 1 + varint64Size(processed);
	const w = new WireWriter(size);
	if (report.healthy) {
		w.buf[w.pos++] = 0x08;
		w.buf[w.pos++] = 1;
	}
	for (const [name, c] of components) {
		const inner = componentSize(c);
		w.buf[w.pos++] = 0x12;
		w.uint(stringFieldSize(name) + delimitedSize(inner));
		w.stringField(1, name);
		w.buf[w.pos++] = 0x12;
		w.uint(inner);
		if (c.healthy) {
			w.buf[w.pos++] = 0x08;
			w.buf[w.pos++] = 1;
		}
		w.stringField(2, c.message ?? '');
	}
	if (uptime !== 0n) {
		w.buf[w.pos++] = 0x18;
		w.uint64(uptime);
	}
	if (processed !== 0n) {
		w.buf[w.pos++] = 0x20;
		w.uint64(processed);
	}
	return w.finish();
}

/**
 * A decoded `polku.v1.HealthResponse`, every field present, counters exact.
 *
 * @example
 * ```ts
 * const response: GrpcHealthResponse = { healthy: true, components: {}, uptimeSeconds: 60n, eventsProcessed: 1200n };
 * ```
 */
export interface GrpcHealthResponse {
	/** Whether the service as a whole is healthy. */
	readonly healthy: boolean;
	/** Per-component health. */
	readonly components: Readonly<Record<string, GrpcComponentHealth>>;
	/** Seconds since the service started. */
	readonly uptimeSeconds: bigint;
	/** Events processed so far (uint64). */
	readonly eventsProcessed: bigint;
}

/** Decodes a `polku.v1.HealthResponse` (counters as bigint); throws `WireError` when malformed. */
export function decodeHealth(bytes: Uint8Array): GrpcHealthResponse {
	const r = new WireReader(bytes);
	let healthy = false;
	const components = Object.create(null) as Record<string, GrpcComponentHealth>;
	let uptimeSeconds = 0n;
	let eventsProcessed = 0n;
	while (r.pos < r.end) {
		const tag = r.tag();
		if (tag === 0x08) healthy = r.bool();
		else if (tag === 0x12) readComponentEntry(r, components);
		else if (tag === 0x18) uptimeSeconds = r.int64();
		else if (tag === 0x20) eventsProcessed = r.uint64();
		else r.skip(tag);
	}
	return { healthy, components, uptimeSeconds, eventsProcessed };
}

function readComponentEntry(r: WireReader, into: Record<string, GrpcComponentHealth>): void {
	const n = r.length();
	const end = r.pos + n;
	const outer = r.end;
	r.end = end;
	let name = '';
	let healthy = false;
	let message = '';
	while (r.pos < end) {
		const tag = r.tag();
		if (tag === 0x0a) name = r.string();
		else if (tag === 0x12) {
			const m = r.length();
			const valueEnd = r.pos + m;
			r.end = valueEnd;
			while (r.pos < valueEnd) {
				const inner = r.tag();
				if (inner === 0x08) healthy = r.bool();
				else if (inner === 0x12) message = r.string();
				else r.skip(inner);
			}
			r.end = end;
		} else r.skip(tag);
	}
	r.end = outer;
	into[name] = { healthy, message };
}

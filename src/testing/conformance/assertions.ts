import { AssertionError } from 'node:assert';
import type { Message } from '../../message/message.js';

/** Fails the case with `message`. */
export function fail(message: string): never {
	throw new AssertionError({ message });
}

function bytes(payload: Uint8Array): Buffer {
	return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

/** A short printable description of a payload. */
function describePayload(payload: Uint8Array): string {
	const b = bytes(payload);
	const head = b.subarray(0, 24).toString('hex');
	return `${b.length} bytes${b.length === 0 ? '' : ` (${head}${b.length > 24 ? '…' : ''})`}`;
}

/** Whether two payloads hold the same bytes. */
export function samePayload(a: Uint8Array, b: Uint8Array): boolean {
	return a.byteLength === b.byteLength && bytes(a).equals(bytes(b));
}

/** A key naming a payload's bytes, to match messages by payload. */
export function payloadKey(payload: Uint8Array): string {
	return bytes(payload).toString('base64');
}

/** Fails unless `actual` carries exactly the bytes of `expected`; says where they first differ. */
export function assertPayload(actual: Message, expected: Message, label: string): void {
	if (!(actual.payload instanceof Uint8Array)) fail(`${label}: payload is not a Uint8Array (got ${typeof actual.payload})`);
	if (samePayload(actual.payload, expected.payload)) return;
	const a = bytes(actual.payload);
	const e = bytes(expected.payload);
	let at = 0;
	while (at < a.length && at < e.length && a[at] === e[at]) at++;
	fail(`${label}: payload differs at byte ${at}: expected ${describePayload(expected.payload)}, got ${describePayload(actual.payload)}`);
}

/** Metadata as sorted entries, whatever object it arrived in (own enumerable keys only). */
function entries(metadata: Readonly<Record<string, string>>): [string, string][] {
	return Object.keys(metadata)
		.sort()
		.map((k) => [k, metadata[k]!]);
}

/**
 * Fails unless `actual` carries the envelope of `expected` exactly: id, the
 * ns timestamp (a bigint, not rounded), source, type, every metadata key and
 * value (no more, no fewer), and the payload bytes.
 */
export function assertEnvelope(actual: Message, expected: Message, label: string): void {
	if (actual.id !== expected.id) fail(`${label}: id: expected ${JSON.stringify(expected.id)}, got ${JSON.stringify(actual.id)}`);
	if (typeof actual.timestamp !== 'bigint') fail(`${label}: timestamp must be a bigint (Unix ns), got ${typeof actual.timestamp}`);
	if (actual.timestamp !== expected.timestamp) {
		fail(`${label}: timestamp: expected ${expected.timestamp} ns, got ${actual.timestamp} ns (difference ${actual.timestamp - expected.timestamp} ns)`);
	}
	if (actual.source !== expected.source) fail(`${label}: source: expected ${JSON.stringify(expected.source)}, got ${JSON.stringify(actual.source)}`);
	if (actual.messageType !== expected.messageType) {
		fail(`${label}: messageType: expected ${JSON.stringify(expected.messageType)}, got ${JSON.stringify(actual.messageType)}`);
	}
	if (actual.metadata === null || typeof actual.metadata !== 'object') fail(`${label}: metadata is not an object`);
	const got = new Map(entries(actual.metadata));
	const want = entries(expected.metadata);
	const problems: string[] = [];
	for (const [key, value] of want) {
		if (!got.has(key)) problems.push(`missing ${JSON.stringify(key)}`);
		else if (got.get(key) !== value) problems.push(`${JSON.stringify(key)}: expected ${JSON.stringify(value)}, got ${JSON.stringify(got.get(key))}`);
		got.delete(key);
	}
	for (const key of got.keys()) problems.push(`unexpected ${JSON.stringify(key)}`);
	if (problems.length > 0) fail(`${label}: metadata: ${problems.join('; ')}`);
	assertPayload(actual, expected, label);
}

/** How the received messages matched the sent ones. */
export interface Matched {
	/** For each sent message (by index), the first received message that matches it, or undefined. */
	readonly first: (Message | undefined)[];
	/** Indexes of sent messages, in the order their first copy was received. */
	readonly order: number[];
	/** Received messages that match an already matched sent message. */
	readonly duplicates: number;
	/** Received messages that match no sent message. */
	readonly unknown: Message[];
}

/** Matches received messages to sent ones, by id (`byId`) or by payload. */
export function match(sent: readonly Message[], received: readonly Message[], byId: boolean): Matched {
	const index = new Map<string, number>();
	sent.forEach((m, i) => index.set(byId ? m.id : payloadKey(m.payload), i));
	const first: (Message | undefined)[] = new Array<Message | undefined>(sent.length).fill(undefined);
	const order: number[] = [];
	const unknown: Message[] = [];
	let duplicates = 0;
	for (const m of received) {
		const i = index.get(byId ? m.id : payloadKey(m.payload));
		if (i === undefined) unknown.push(m);
		else if (first[i] !== undefined) duplicates++;
		else {
			first[i] = m;
			order.push(i);
		}
	}
	return { first, order, duplicates, unknown };
}

/** Fails unless every sent message was received, nothing else was, and (unless allowed) nothing twice. */
export function assertComplete(m: Matched, sent: readonly Message[], options: { readonly duplicates: boolean; readonly what: string }): void {
	const problems: string[] = [];
	const missing = m.first.flatMap((x, i) => (x === undefined ? [i] : []));
	if (missing.length > 0) problems.push(`${missing.length} of ${sent.length} messages missing (first missing: #${missing.slice(0, 5).join(', #')})`);
	if (m.unknown.length > 0) {
		const first = m.unknown[0]!;
		problems.push(`${m.unknown.length} messages that were never sent (first: id ${JSON.stringify(first.id)}, type ${JSON.stringify(first.messageType)})`);
	}
	if (!options.duplicates && m.duplicates > 0) problems.push(`${m.duplicates} duplicates, and the transport does not declare duplicates`);
	if (problems.length > 0) fail(`${options.what}: ${problems.join('; ')}`);
}

/** Fails unless the first copies arrived in the order sent. */
export function assertOrder(m: Matched, what: string): void {
	for (let i = 1; i < m.order.length; i++) {
		if (m.order[i]! < m.order[i - 1]!) fail(`${what}: out of order: #${m.order[i]} arrived after #${m.order[i - 1]} (ordering is 'total')`);
	}
}

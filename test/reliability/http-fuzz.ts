// HTTP fuzzing through a real hub: seeded random requests (event-shaped JSON and its mutations, NDJSON, random
// text and bytes, prototype-pollution attempts, odd paths, methods, content types and credentials), with a
// good request every `goodEvery` cases that must be accepted and delivered. Nothing may crash, nothing may
// answer 500, every answer must be a documented status with a JSON body, Object.prototype must stay clean.
import fc from 'fast-check';
import { Hub, type Message, type Output } from '../../src/index.js';
import { HttpInput } from '../../src/adapters/http/index.js';
import { call } from '../http/helpers.js';

const TOKEN = 'fuzz-token';
const DOCUMENTED = new Set([202, 207, 400, 401, 404, 405, 413, 415]);

const jsonish = fc.jsonValue({ maxDepth: 4 });
const eventish = fc.record(
	{
		id: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
		source: fc.oneof(fc.string(), jsonish),
		event_type: fc.oneof(fc.string(), jsonish),
		timestamp_unix_ns: fc.oneof(fc.bigInt().map(String), fc.bigInt().map(Number), fc.string(), fc.double(), fc.constant('18446744073709551616')),
		metadata: fc.oneof(fc.dictionary(fc.string(), fc.oneof(fc.string(), jsonish)), jsonish),
		payload: fc.oneof(fc.base64String(), fc.string(), jsonish),
		payload_encoding: fc.constantFrom('base64', 'utf8', 'json', 'hex', 7),
		route_to: fc.oneof(fc.array(fc.string()), jsonish),
		severity: fc.oneof(fc.integer({ min: -1, max: 7 }), fc.string()),
		outcome: fc.oneof(fc.integer({ min: -1, max: 6 }), fc.constantFrom('success', 'OUTCOME_TIMEOUT', 'x')),
	},
	{ requiredKeys: [] },
);
const pollution = fc.constantFrom(
	'{"__proto__":{"polluted":"yes"},"source":"p","event_type":"t"}',
	'{"source":"p","event_type":"t","metadata":{"__proto__":"x","constructor":{"prototype":{"polluted":"yes"}}}}',
	'[{"source":"p","metadata":{"__proto__":{"polluted":"yes"}}},{"constructor":{"prototype":{"polluted":"yes"}}}]',
	'{"source":"p","event_type":"t","route_to":["__proto__","constructor","prototype"]}',
);
const body = fc.oneof(
	eventish.map((e) => JSON.stringify(e)),
	fc.array(eventish, { maxLength: 5 }).map((es) => JSON.stringify(es)),
	fc.array(eventish, { maxLength: 5 }).map((es) => es.map((e) => JSON.stringify(e)).join('\n')),
	fc.tuple(fc.array(eventish, { maxLength: 3 }), fc.nat(), fc.string({ maxLength: 3 })).map(([es, at, junk]) => {
		const text = JSON.stringify(es);
		const i = at % (text.length + 1);
		return text.slice(0, i) + junk + text.slice(i + 1);
	}),
	pollution,
	fc.nat({ max: 200 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
	fc.string(),
	fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
	fc.constant('x'.repeat(5000)), // over maxBodyBytes
);
const request = fc.record({
	body,
	method: fc.oneof({ weight: 12, arbitrary: fc.constant('POST') }, fc.constantFrom('PUT', 'GET', 'DELETE')),
	type: fc.constantFrom('application/json', 'application/x-ndjson', 'application/jsonl', 'text/plain', 'application/octet-stream', 'application/xml', 'application/json; charset=utf-8', ''),
	path: fc.oneof(
		{ weight: 6, arbitrary: fc.constant('/events') },
		{ weight: 4, arbitrary: fc.constantFrom('/events/src', '/events/src/type?id=x&route=a,b', '/events?source=q&type=t', '/events/__proto__/constructor') },
		fc.constantFrom('/nope', '/events/%zz', '/events/a/b/c', '/health'),
	),
	auth: fc.oneof({ weight: 8, arbitrary: fc.constant(`Bearer ${TOKEN}`) }, fc.constantFrom('Bearer wrong', 'Basic abc', '', `bearer ${TOKEN}`)),
});

export interface FuzzResult {
	readonly cases: number;
	readonly good: number;
	readonly statuses: Readonly<Record<string, number>>;
	readonly durationMs: number;
	readonly errors: readonly string[];
}

/** Runs `cases` fuzzed requests (seeded) plus a good one every `goodEvery`; never throws for a finding (see `errors`). */
export async function httpFuzz(options: { cases: number; seed: number; goodEvery?: number }): Promise<FuzzResult> {
	const goodEvery = options.goodEvery ?? 10;
	const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort().join();
	const delivered = new Set<string>();
	const output: Output = {
		name: 'out',
		async send(batch: readonly Message[]) {
			for (const m of batch) if (m.source === 'good') delivered.add(m.id);
		},
	};
	const input = new HttpInput({ address: '127.0.0.1:0', maxBodyBytes: 4096, auth: TOKEN });
	const hub = Hub.builder().bufferCapacity(100_000).flushInterval(1).input(input).output(output).build();
	await hub.start();
	const { port } = await input.ready;
	const errors: string[] = [];
	const statuses: Record<string, number> = {};
	const goodIds: string[] = [];
	const started = performance.now();
	const samples = fc.sample(request, { numRuns: options.cases, seed: options.seed });
	for (const [i, r] of samples.entries()) {
		const headers: Record<string, string> = {};
		if (r.type !== '') headers['content-type'] = r.type;
		if (r.auth !== '') headers['authorization'] = r.auth;
		try {
			const reply = await call(port, r.method, r.path, r.method === 'GET' ? undefined : r.body, headers);
			statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
			const health = r.method === 'GET' && r.path === '/health';
			if (!DOCUMENTED.has(reply.status) && !(health && reply.status === 200)) errors.push(`case ${i}: status ${reply.status} ${reply.text.slice(0, 200)}`);
			if (typeof reply.json !== 'object' || reply.json === null) errors.push(`case ${i}: not a JSON object: ${reply.text.slice(0, 100)}`);
		} catch (error) {
			errors.push(`case ${i}: request failed: ${String(error)}`);
		}
		if (i % goodEvery === 0) {
			const id = `good-${i}`;
			const reply = await call(port, 'POST', '/events', JSON.stringify([{ id, source: 'good', event_type: 'ok', payload: 'aGVq' }]), {
				'content-type': 'application/json',
				authorization: `Bearer ${TOKEN}`,
			});
			if (reply.status !== 202 || reply.json?.ids?.[0] !== id) errors.push(`good request ${i}: ${reply.status} ${reply.text.slice(0, 200)}`);
			else goodIds.push(id);
		}
	}
	const health = await call(port, 'GET', '/health');
	if (health.status !== 200) errors.push(`health after fuzzing: ${health.status}`);
	await hub.stop({ timeoutMs: 5_000 });
	const lost = goodIds.filter((id) => !delivered.has(id));
	if (lost.length > 0) errors.push(`${lost.length} good events accepted but not delivered: ${lost.slice(0, 5).join()}`);
	if (Object.getOwnPropertyNames(Object.prototype).sort().join() !== prototypeBefore || ({} as Record<string, unknown>)['polluted'] !== undefined) {
		errors.push('Object.prototype was polluted');
	}
	return { cases: samples.length, good: goodIds.length, statuses, durationMs: performance.now() - started, errors };
}

export function describeFuzz(name: string, r: FuzzResult): string[] {
	return [
		`${name} fuzz: ${r.cases} cases + ${r.good} good requests in ${(r.durationMs / 1000).toFixed(1)} s; answers ${JSON.stringify(r.statuses)}`,
		r.errors.length === 0 ? '  no crash, no 500 / INTERNAL, every good request accepted and delivered, Object.prototype clean' : `  FINDINGS (${r.errors.length}): ${r.errors.slice(0, 10).join(' | ')}`,
	];
}

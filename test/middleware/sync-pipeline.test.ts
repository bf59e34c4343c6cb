import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { describe, it } from 'node:test';
import {
	aggregate,
	auth,
	dedup,
	enrich,
	filter,
	Hub,
	nonEmpty,
	rateLimit,
	router,
	sample,
	throttle,
	transform,
	validate,
	withMetadata,
	type MessageInit,
	type Middleware,
} from '../../src/index.js';
import { MemoryInput, MemoryOutput } from '../../src/testing/index.js';

const BATCHES = 100;
const BATCH = 1000;

/** Sends BATCHES × BATCH messages through a hub with `middleware`; returns the promises created per message meanwhile. */
async function promisesPerMessage(middleware: readonly Middleware[]): Promise<{ perMessage: number; delivered: number }> {
	const input = new MemoryInput();
	const out = new MemoryOutput();
	const hub = Hub.builder().bufferCapacity(BATCHES * BATCH).batchSize(BATCH).flushInterval(5).input(input).middleware(...middleware).output(out).build();
	await hub.start();
	const batches: MessageInit[][] = Array.from({ length: BATCHES }, (_, b) =>
		Array.from({ length: BATCH }, (_, i) => ({
			id: `m-${b}-${i}`,
			source: `device-${i % 50}`,
			messageType: i % 2 === 0 ? 'reading.temperature' : 'reading.humidity',
			metadata: { authorization: 'Bearer ok', tenant: 'acme' },
			payload: `{"v":${i}}`,
		})),
	);
	let promises = 0;
	const hook = createHook({
		init(_id, type) {
			if (type === 'PROMISE') promises++;
		},
	});
	hook.enable();
	for (const batch of batches) await input.push(batch);
	hook.disable();
	await hub.stop();
	return { perMessage: promises / (BATCHES * BATCH), delivered: out.messages.length };
}

describe('sync built-in middleware in a hub pipeline', () => {
	it('filter, router and dedup create no promise per message', async () => {
		const { perMessage, delivered } = await promisesPerMessage([
			filter((m) => m.payload.length > 0),
			router([{ messageType: 'reading.*', to: 'memory' }]),
			dedup({ maxEntries: 10_000 }),
		]);
		assert.equal(delivered, BATCHES * BATCH);
		assert.ok(perMessage < 0.05, `${perMessage} promises per message`);
	});

	it('every built-in in its synchronous form creates no promise per message', async () => {
		const { perMessage, delivered } = await promisesPerMessage([
			auth((credential) => (credential === 'Bearer ok' ? 'device' : false)),
			validate(nonEmpty()),
			filter((m) => m.messageType !== 'debug'),
			transform((m) => withMetadata(m, { stage: 'seen' })),
			enrich((m) => ({ site: m.source.slice(0, 6) })),
			enrich(async () => ({ cached: 'yes' }), { name: 'cached-enrich', cacheTtlMs: 3_600_000 }),
			router([{ messageType: 'reading.*', to: 'memory' }], { mode: 'all' }),
			rateLimit({ perSecond: 1e9, burst: 1e9 }),
			throttle({ perSecond: 1e9, burst: 1e9 }),
			sample({ rate: 1, key: 'source' }),
			dedup(),
			aggregate({ count: 1, windowMs: 0 }),
		]);
		assert.equal(delivered, BATCHES * BATCH);
		// The cached enrich creates promises for its first miss per source (50 sources) only.
		assert.ok(perMessage < 0.05, `${perMessage} promises per message`);
	});

	it('control: an async middleware does create promises per message, so the count above can fail', async () => {
		const { perMessage } = await promisesPerMessage([{ name: 'async-identity', process: async (m) => m }]);
		assert.ok(perMessage >= 1, `${perMessage} promises per message`);
	});
});

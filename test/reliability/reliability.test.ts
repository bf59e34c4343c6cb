// The reliability suite in small and seeded (seconds, not minutes): the same code `npm run reliability` runs
// at 10^6 messages, 10 000 fuzz cases and a 5-minute soak (test/reliability/run.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chaos } from './chaos.js';
import { grpcFuzz } from './grpc-fuzz.js';
import { httpFuzz } from './http-fuzz.js';
import { soak } from './soak.js';

const SEED = 4242;

describe('reliability (seeded, small)', () => {
	for (const overflow of ['block', 'drop-newest', 'drop-oldest'] as const) {
		it(`Hub accounts for every one of 20 000 messages under chaos with overflow '${overflow}'`, async () => {
			const r = await chaos({ messages: 20_000, overflow, seed: SEED });
			assert.deepEqual(r.errors, []);
			assert.ok(r.received >= 20_000);
			// the chaos did happen: every kind of drop and failure occurred
			assert.ok(Object.keys(r.droppedBeforeBuffer).length >= 3, JSON.stringify(r.droppedBeforeBuffer));
			assert.ok(r.outputs['hangs']!.dropped > 0, 'the hanging output dropped its oldest (maxPending) or was cut off at the deadline');
			assert.ok(r.deliverFailures > 0, 'some deliver() calls reported a failure');
		});
	}

	it('HttpInput answers 600 fuzzed requests with documented statuses, and accepts the good ones in between', async () => {
		const r = await httpFuzz({ cases: 600, seed: SEED });
		assert.deepEqual(r.errors, []);
		assert.equal(r.good, 60);
	});

	it('GrpcInput answers 600 fuzzed calls without INTERNAL, and acks the good ones in between', async () => {
		const r = await grpcFuzz({ cases: 600, seed: SEED });
		assert.deepEqual(r.errors, []);
		assert.equal(r.good, 60);
	});

	it('a hub under steady traffic for 5 s keeps a flat heap and exact conservation', async () => {
		const r = await soak({ durationMs: 5_000, sampleMs: 200, seed: SEED });
		assert.deepEqual(r.errors, []);
		assert.ok(r.samples.length >= 5 && r.messages > 5_000, `${r.samples.length} samples, ${r.messages} messages`);
	});
});

// Issue 7, "also investigate": a per-output timeoutMs on an output whose send takes no signal let the
// retry overlap the send still running, so the batch was sent twice (three times with 3 attempts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hub, type Message, type Output } from '../../src/index.js';
import { MemoryInput } from '../../src/testing/index.js';

/** An output that cannot be cancelled (send takes no signal) and takes `ms` per batch. */
class SlowOutput implements Output {
	readonly name = 'slow';
	inFlight = 0;
	maxInFlight = 0;
	readonly received: string[][] = [];
	constructor(readonly ms: number) {}

	async send(batch: readonly Message[]): Promise<void> {
		this.inFlight++;
		this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
		await new Promise((resolve) => setTimeout(resolve, this.ms));
		this.received.push(batch.map((m) => m.id));
		this.inFlight--;
	}
}

describe('OutputLane timeoutMs on an output whose send takes no signal', () => {
	it(
		'never starts a retry while the timed-out send is still running (at most one send in flight per output, no duplicate)',
		async () => {
			const input = new MemoryInput();
			const out = new SlowOutput(150);
			const hub = Hub.builder()
				.flushInterval(0)
				.input(input)
				.output(out, { timeoutMs: 30, retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 10, jitter: 0 } })
				.build();
			await hub.start();
			try {
				await input.push([{ id: 'only', source: 's', messageType: 't' }]);
				await new Promise((resolve) => setTimeout(resolve, 600));
				assert.equal(out.maxInFlight, 1, `${out.maxInFlight} sends of the same batch ran at once`);
				assert.deepEqual(out.received, [['only']], 'the batch reached the output once');
			} finally {
				await hub.stop({ timeoutMs: 1000 });
			}
		},
	);
});

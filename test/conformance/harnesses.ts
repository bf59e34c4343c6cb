// The harnesses of the in-memory reference implementations, shared by the conformance tests.
import type { Message } from '../../src/index.js';
import {
	MemoryInput,
	MemoryOutput,
	MemoryQueue,
	MemoryQueueInput,
	type InputHarness,
	type OutputHarness,
} from '../../src/testing/index.js';

/** The destination of MemoryOutput is the output itself. */
export const memoryOutputHarness: OutputHarness = {
	name: 'MemoryOutput',
	features: { ordering: 'total', envelope: true },
	async setup() {
		const output = new MemoryOutput('memory');
		return {
			output,
			received: (count, timeoutMs) => output.waitFor(count, timeoutMs).then(() => output.messages.slice()),
			unreachable: () => new MemoryOutput('memory-unreachable').unreachable(3_000),
			teardown: async () => {},
		};
	},
};

/** How many messages the MemoryInput fixture pushes per call (its in-flight bound). */
const PUSH_CHUNK = 100;

/** MemoryInput: the publisher pushes into the latest input, in chunks it awaits (so a blocked hub holds it back). */
export const memoryInputHarness: InputHarness = {
	name: 'MemoryInput',
	features: { ordering: 'total', envelope: true, redelivery: false, backpressure: true, poison: false, maxInFlight: PUSH_CHUNK },
	async setup() {
		let latest: MemoryInput | undefined;
		return {
			createInput: (name) => (latest = new MemoryInput(name)),
			async publish(messages: readonly Message[]) {
				if (latest === undefined) throw new Error('publish() before createInput()');
				for (let i = 0; i < messages.length; i += PUSH_CHUNK) await latest.push(messages.slice(i, i + PUSH_CHUNK));
			},
			teardown: async () => latest?.end(),
		};
	},
};

/** The broker-style reference: MemoryQueue with short redelivery delays. */
export const QUEUE_PREFETCH = 50;
export const QUEUE_REDELIVERY_MS = 1_000;

export function queueHarness(createInput: (queue: MemoryQueue, name: string | undefined) => import('../../src/index.js').Input = defaultQueueInput): InputHarness {
	return {
		name: 'MemoryQueueInput',
		features: {
			ordering: 'total',
			envelope: true,
			redelivery: true,
			backpressure: true,
			poison: true,
			maxInFlight: QUEUE_PREFETCH,
			redeliveryMs: QUEUE_REDELIVERY_MS,
		},
		async setup() {
			const queue = new MemoryQueue({ name: 'conformance-queue', ackWaitMs: QUEUE_REDELIVERY_MS, redeliveryDelayMs: 50 });
			return {
				createInput: (name) => createInput(queue, name),
				publish: async (messages) => queue.publishMessages(messages),
				publishPoison: async () => {
					queue.publish('poison', [
						['polku-id', 'poison-1'],
						['polku-timestamp', 'yesterday'],
					]);
				},
				teardown: async () => queue.close(),
			};
		},
	};
}

function defaultQueueInput(queue: MemoryQueue, name: string | undefined): MemoryQueueInput {
	return new MemoryQueueInput({ queue, ...(name === undefined ? {} : { name }), prefetch: QUEUE_PREFETCH, batchSize: 20, nackDelayMs: 50 });
}

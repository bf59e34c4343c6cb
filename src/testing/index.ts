/**
 * In-memory inputs, outputs and a queue for unit-testing polku pipelines, and
 * the adapter conformance suite every input and output adapter passes.
 *
 * @module polku/testing
 * @packageDocumentation
 */
export { MemoryInput } from './memory-input.js';
export { MemoryOutput, type MemoryOutputOptions } from './memory-output.js';
export { MemoryQueue } from './memory-queue/memory-queue.js';
export { MemoryQueueInput, type MemoryQueueInputOptions, type MemoryQueueInputStats } from './memory-queue/memory-queue-input.js';
export type {
	DeadLetter,
	FetchOptions,
	MemoryQueueConsumer,
	MemoryQueueEvents,
	MemoryQueueOptions,
	MemoryQueueStats,
	QueueDelivery,
} from './memory-queue/types.js';
export type {
	ConformanceCase,
	InputFeatures,
	InputFixture,
	InputHarness,
	OutputFeatures,
	OutputFixture,
	OutputHarness,
} from './conformance/harness.js';
export { inputConformance } from './conformance/input-cases.js';
export { outputConformance } from './conformance/output-cases.js';

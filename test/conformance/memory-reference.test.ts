// The in-memory reference implementations pass every conformance case (the suite's own proof).
import { describe, it } from 'node:test';
import { inputConformance, outputConformance, type ConformanceCase } from '../../src/testing/index.js';
import { memoryInputHarness, memoryOutputHarness, queueHarness } from './harnesses.js';

function run(cases: readonly ConformanceCase[]): void {
	for (const c of cases) it(c.name, { skip: c.skip ?? false, timeout: c.timeoutMs }, () => c.run());
}

describe('outputConformance(MemoryOutput)', () => run(outputConformance(memoryOutputHarness)));
describe('inputConformance(MemoryInput)', () => run(inputConformance(memoryInputHarness)));
describe('inputConformance(MemoryQueueInput)', () => run(inputConformance(queueHarness())));

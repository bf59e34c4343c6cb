/**
 * In-memory inputs and outputs for unit-testing polku pipelines.
 *
 * @packageDocumentation
 */
export { MemoryInput } from './memory-input.js';
export { MemoryOutput, type MemoryOutputOptions } from './memory-output.js';

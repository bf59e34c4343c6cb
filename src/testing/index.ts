/**
 * In-memory inputs and outputs for unit-testing polku pipelines.
 *
 * @module polku/testing
 * @packageDocumentation
 */
export { MemoryInput } from './memory-input.js';
export { MemoryOutput, type MemoryOutputOptions } from './memory-output.js';

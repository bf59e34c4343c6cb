import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, Hub, HubStateError, type HubBuilder } from '../../src/index.js';
import { MemoryInput, MemoryOutput } from '../../src/testing/index.js';

const expectConfigError = (build: () => HubBuilder, field: string, pattern?: RegExp): void => {
	assert.throws(
		() => build().build(),
		(error: unknown) => {
			assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
			assert.equal(error.field, field);
			assert.equal(error.code, 'ERR_POLKU_CONFIG');
			if (pattern) assert.match(error.message, pattern);
			return true;
		},
	);
};

describe('HubBuilder.build', () => {
	const out = (name = 'out'): MemoryOutput => new MemoryOutput(name);

	it('builds a hub with defaults', () => {
		const hub = Hub.builder().output(out()).build();
		assert.equal(hub.state, 'created');
		assert.equal(hub.bufferCapacity, 10_000);
		assert.equal(hub.bufferSize, 0);
	});

	it('rejects a capacity below 1 or not an integer', () => {
		expectConfigError(() => Hub.builder().bufferCapacity(0).output(out()), 'bufferCapacity', />= 1|in \[1/);
		expectConfigError(() => Hub.builder().bufferCapacity(1.5).output(out()), 'bufferCapacity');
	});

	it('rejects a batch size above the capacity', () => {
		expectConfigError(() => Hub.builder().bufferCapacity(10).batchSize(11).output(out()), 'batchSize');
		expectConfigError(() => Hub.builder().bufferCapacity(10).output(out(), { batchSize: 11 }), 'output "out".batchSize');
	});

	it('rejects a negative flush interval and an unknown overflow policy', () => {
		expectConfigError(() => Hub.builder().flushInterval(-1).output(out()), 'flushInterval');
		expectConfigError(() => Hub.builder().overflow('sometimes' as never).output(out()), 'overflow', /block, drop-newest, drop-oldest/);
	});

	it('requires at least one output', () => {
		expectConfigError(() => Hub.builder(), 'outputs');
		expectConfigError(() => Hub.builder().deadLetter(out('dlq')), 'outputs');
	});

	it('rejects duplicate output names, dead-letter outputs included', () => {
		expectConfigError(() => Hub.builder().output(out('a')).output(out('a')), 'output "a"', /duplicate/);
		expectConfigError(() => Hub.builder().output(out('a')).deadLetter(out('a')), 'output "a"', /duplicate/);
	});

	it('rejects duplicate input names and malformed plugins', () => {
		expectConfigError(() => Hub.builder().input(new MemoryInput('i')).input(new MemoryInput('i')).output(out()), 'input "i"');
		expectConfigError(() => Hub.builder().input({ name: '', run: async () => {} }).output(out()), 'input #1.name');
		expectConfigError(() => Hub.builder().output({ name: 'x' } as never), 'output #1 "x".send');
		expectConfigError(() => Hub.builder().middleware({ name: 'm' } as never).output(out()), 'middleware #1 "m".process');
	});

	it('rejects a deadLetter name that is not registered with .deadLetter()', () => {
		expectConfigError(() => Hub.builder().output(out('a'), { deadLetter: 'dlq' }), 'output "a".deadLetter', /not registered/);
		expectConfigError(() => Hub.builder().output(out('a'), { deadLetter: 'b' }).output(out('b')), 'output "a".deadLetter');
	});

	it('validates retry options, per output and as the hub default', () => {
		expectConfigError(() => Hub.builder().output(out(), { retry: { attempts: 0 } }), 'output "out".retry.attempts');
		expectConfigError(() => Hub.builder().output(out(), { retry: { jitter: 2 } }), 'output "out".retry.jitter');
		expectConfigError(() => Hub.builder().output(out(), { retry: { baseDelayMs: 10, maxDelayMs: 5 } }), 'output "out".retry.maxDelayMs');
		expectConfigError(() => Hub.builder().retry({ attempts: -1 }).output(out()), 'retry.attempts');
	});

	it('validates input restart options', () => {
		expectConfigError(() => Hub.builder().input(new MemoryInput(), { restart: { attempts: -2 } }).output(out()), 'input "memory".restart.attempts');
	});
});

describe('Hub lifecycle misuse', () => {
	it('send before start rejects with HubStateError; start twice rejects', async () => {
		const hub = Hub.builder().output(new MemoryOutput()).build();
		await assert.rejects(hub.send({ source: 's', messageType: 't' }), HubStateError);
		await assert.rejects(hub.sendBatch([]), HubStateError);
		await hub.start();
		await assert.rejects(hub.start(), HubStateError);
		await hub.stop();
	});

	it('stop before start closes the outputs and leaves the hub stopped', async () => {
		const o = new MemoryOutput();
		const hub = Hub.builder().output(o).build();
		const result = await hub.stop();
		assert.equal(result.drained, true);
		assert.equal(hub.state, 'stopped');
		assert.equal(o.closed, true);
	});
});

describe('Hub.manifest', () => {
	it('describes inputs, middleware in order and outputs with their options, as JSON', () => {
		const hub = Hub.builder()
			.bufferCapacity(500)
			.batchSize(50)
			.overflow('drop-oldest')
			.input(new MemoryInput('in'), { restart: true })
			.middleware({ name: 'a', process: (m) => m }, { name: 'a', process: (m) => m })
			.output(new MemoryOutput('out'), { retry: { attempts: 5 }, deadLetter: 'dlq', timeoutMs: 100, circuitBreaker: { openMs: 5 } })
			.deadLetter(new MemoryOutput('dlq'), { flushInterval: 0 })
			.build();
		const manifest = JSON.parse(JSON.stringify(hub.manifest())) as unknown;
		assert.deepEqual(manifest, {
			state: 'created',
			buffer: { capacity: 500, overflow: 'drop-oldest' },
			inputs: [{ name: 'in', kind: 'MemoryInput', restart: true }],
			middleware: [
				{ name: 'a', kind: 'object' },
				{ name: 'a#2', kind: 'object' },
			],
			outputs: [
				{
					name: 'out',
					kind: 'MemoryOutput',
					deadLetter: false,
					batchSize: 50,
					flushInterval: 10,
					retry: { attempts: 5, baseDelayMs: 100, maxDelayMs: 10_000, jitter: 0.2 },
					deadLetterOutput: 'dlq',
					timeoutMs: 100,
					maxInFlight: 1,
					stall: { afterMs: 2000, maxPending: 50 },
					circuitBreaker: { failureThreshold: 5, successThreshold: 1, openMs: 5, whenOpen: 'wait' },
				},
				{
					name: 'dlq',
					kind: 'MemoryOutput',
					deadLetter: true,
					batchSize: 50,
					flushInterval: 0,
					retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 10_000, jitter: 0.2 },
					maxInFlight: 1,
					stall: false,
				},
			],
		});
	});
});

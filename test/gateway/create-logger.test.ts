import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, type LoggerOptions } from '../../src/gateway/index.js';

function capture(options: LoggerOptions): { lines: string[]; log: ReturnType<typeof createLogger> } {
	const lines: string[] = [];
	const log = createLogger({ ...options, stream: { write: (s: string) => lines.push(s) }, now: () => new Date('2025-01-02T03:04:05.678Z') });
	return { lines, log };
}

describe('createLogger', () => {
	it('writes one JSON object per line with level, time, msg and fields', () => {
		const { lines, log } = capture({});
		log.info({ port: 8080, ts: 1764216000123456789n }, 'listening');
		assert.equal(lines.length, 1);
		assert.ok(lines[0]!.endsWith('\n'));
		assert.deepEqual(JSON.parse(lines[0]!), { level: 'info', time: '2025-01-02T03:04:05.678Z', msg: 'listening', port: 8080, ts: '1764216000123456789' });
	});

	it('filters by level', () => {
		const { lines, log } = capture({ level: 'warn' });
		log.trace({}, 't');
		log.debug({}, 'd');
		log.info({}, 'i');
		log.warn({}, 'w');
		log.error({}, 'e');
		assert.deepEqual(lines.map((l) => JSON.parse(l).level), ['warn', 'error']);
		assert.equal(log.enabled('info'), false);
		assert.equal(log.enabled('error'), true);
		const silent = capture({ level: 'silent' });
		silent.log.error({}, 'x');
		assert.equal(silent.lines.length, 0);
		assert.equal(silent.log.enabled('error'), false);
		const trace = capture({ level: 'trace' });
		trace.log.trace({ a: 1 });
		assert.deepEqual(JSON.parse(trace.lines[0]!), { level: 'trace', time: '2025-01-02T03:04:05.678Z', a: 1 });
	});

	it('serialises errors and survives circular fields', () => {
		const { lines, log } = capture({});
		const err = Object.assign(new Error('boom'), { code: 'E_BOOM' });
		log.error({ err }, 'failed');
		const entry = JSON.parse(lines[0]!);
		assert.equal(entry.err.type, 'Error');
		assert.equal(entry.err.message, 'boom');
		assert.equal(entry.err.code, 'E_BOOM');
		assert.match(entry.err.stack, /boom/);
		const circular: Record<string, unknown> = {};
		circular['self'] = circular;
		log.warn(circular, 'loop');
		assert.deepEqual(JSON.parse(lines[1]!), { level: 'warn', time: '2025-01-02T03:04:05.678Z', msg: 'loop', logError: 'fields could not be serialised' });
	});

	it('writes pretty lines for humans', () => {
		const { lines, log } = capture({ format: 'pretty' });
		log.warn({ output: 'hook', count: 3, note: 'two words', err: new Error('down'), skip: undefined }, 'polku dropped messages');
		assert.equal(lines[0], '03:04:05.678 WARN  polku dropped messages output=hook count=3 note="two words" err="down"\n');
	});
});

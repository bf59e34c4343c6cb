import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, filter, type Message } from '../../src/index.js';
import { msg, texts, throughHub } from './support.js';

describe('filter()', () => {
	it('keeps the messages the predicate accepts and filters out the rest, synchronously', () => {
		const mw = filter((m) => m.messageType !== 'debug');
		const keep = msg({ messageType: 'order' });
		assert.equal(mw.process(keep), keep);
		assert.equal(mw.process(msg({ messageType: 'debug' })), null);
	});

	it('through a hub: filtered messages are not drops and show in the stats', async () => {
		const run = await throughHub(
			[filter((m) => !m.messageType.startsWith('debug.'), { name: 'no-debug' })],
			[
				{ source: 's', messageType: 'order', payload: 'a' },
				{ source: 's', messageType: 'debug.trace', payload: 'b' },
				{ source: 's', messageType: 'order', payload: 'c' },
			],
		);
		assert.deepEqual(texts(run.outputs[0]!.messages), ['a', 'c']);
		assert.deepEqual(
			run.outcomes.map((o) => o.status),
			['accepted', 'filtered', 'accepted'],
		);
		const stats = run.stats.middleware['no-debug']!;
		assert.equal(stats.processed, 3);
		assert.equal(stats.filtered, 1);
		assert.equal(stats.rejected, 0);
		assert.equal(run.stats.filtered, 1);
		assert.equal(run.drops.length, 0);
	});

	it('accepts an async predicate', async () => {
		const mw = filter(async (m) => m.source === 'ok');
		const ok = msg({ source: 'ok' });
		assert.equal(await mw.process(ok), ok);
		assert.equal(await mw.process(msg({ source: 'no' })), null);
		const run = await throughHub([filter(async (m: Message) => m.source === 'ok')], [{ source: 'ok', messageType: 't' }, { source: 'no', messageType: 't' }]);
		assert.equal(run.outputs[0]!.messages.length, 1);
		assert.equal(run.stats.filtered, 1);
	});

	it('a throwing predicate drops that message as middleware-error and the hub keeps going', async () => {
		const run = await throughHub(
			[
				filter((m) => {
					if (m.messageType === 'boom') throw new Error('predicate broke');
					return true;
				}),
			],
			[
				{ source: 's', messageType: 'boom' },
				{ source: 's', messageType: 'fine' },
			],
		);
		assert.equal(run.outputs[0]!.messages.length, 1);
		assert.equal(run.stats.dropped['middleware-error'], 1);
		assert.equal(run.stats.middleware['filter']!.errors, 1);
		assert.equal(run.drops[0]?.reason, 'middleware-error');
		assert.match(run.drops[0]?.error?.message ?? '', /predicate broke/);
	});

	it('validates its arguments with ConfigError naming the field', () => {
		assert.throws(() => filter('x' as never), (e) => e instanceof ConfigError && e.field === 'filter.predicate');
		assert.throws(() => filter(() => true, { name: '' }), (e) => e instanceof ConfigError && e.field === 'filter.name');
		assert.throws(() => filter(() => true, 5 as never), (e) => e instanceof ConfigError && e.field === 'filter.options');
	});
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, payloadText, transform, withMetadata, withPayload, type Message } from '../../src/index.js';
import { msg, texts, throughHub } from './support.js';

describe('transform()', () => {
	it('maps each message synchronously', () => {
		const mw = transform((m) => withPayload(m, payloadText(m).toUpperCase()), { name: 'upper' });
		assert.equal(mw.name, 'upper');
		const out = mw.process(msg({ payload: 'hej' })) as Message;
		assert.equal(payloadText(out), 'HEJ');
	});

	it('maps through a hub, sync and async, in order', async () => {
		const run = await throughHub(
			[
				transform((m) => withMetadata(m, { step: '1' })),
				transform(async (m) => withPayload(m, `${payloadText(m)}!`), { name: 'bang' }),
			],
			[
				{ source: 's', messageType: 't', payload: 'a' },
				{ source: 's', messageType: 't', payload: 'b' },
			],
		);
		const out = run.outputs[0]!.messages;
		assert.deepEqual(texts(out), ['a!', 'b!']);
		assert.ok(out.every((m) => m.metadata['step'] === '1'));
		assert.equal(run.stats.middleware['bang']!.processed, 2);
	});

	it('a result that is not a message is a middleware-error, not a crash', async () => {
		const run = await throughHub([transform(() => ({ nope: true }) as unknown as Message)], [{ source: 's', messageType: 't' }]);
		assert.equal(run.outputs[0]!.messages.length, 0);
		assert.equal(run.stats.dropped['middleware-error'], 1);
		assert.equal(run.drops[0]?.reason, 'middleware-error');
	});

	it('validates its arguments', () => {
		assert.throws(() => transform(undefined as never), (e) => e instanceof ConfigError && e.field === 'transform.fn');
		assert.throws(() => transform((m) => m, { name: 7 as never }), (e) => e instanceof ConfigError && e.field === 'transform.name');
	});
});

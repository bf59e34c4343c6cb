import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { auth, ConfigError, PRINCIPAL_KEY, RejectedError, Rejection, type Message } from '../../src/index.js';
import { msg, startHub } from './support.js';
import { assertInheritsNothing } from '../support/metadata.js';

const keys = new Map([['Bearer k-1', 'billing']]);

describe('auth()', () => {
	it('accepts a good credential, strips it, and stamps the principal the verifier names', () => {
		const mw = auth((credential) => keys.get(credential ?? '') ?? false);
		const out = mw.process(msg({ metadata: { authorization: 'Bearer k-1', tenant: 'acme' } }));
		assert.ok(!(out instanceof Promise) && !(out instanceof Rejection));
		const m = out as Message;
		assert.equal(m.metadata['authorization'], undefined);
		assert.equal(m.metadata[PRINCIPAL_KEY], 'billing');
		assert.equal(m.metadata['tenant'], 'acme');
		assertInheritsNothing(m.metadata);
	});

	it('refuses false, a missing credential, and non-true results with reject("unauthorized")', () => {
		const seen: (string | undefined)[] = [];
		const mw = auth((credential) => {
			seen.push(credential);
			return keys.has(credential ?? '');
		});
		for (const metadata of [{ authorization: 'Bearer wrong' }, {}] as Record<string, string>[]) {
			const r = mw.process(msg({ metadata }));
			assert.ok(r instanceof Rejection && r.label === 'unauthorized' && r.cause === undefined);
		}
		assert.deepEqual(seen, ['Bearer wrong', undefined]);
		for (const verdict of ['', undefined, null, 1, 0]) {
			assert.ok(auth(() => verdict as never).process(msg({ metadata: { authorization: 'x' } })) instanceof Rejection, String(verdict));
		}
	});

	it('a throwing or rejecting verifier refuses, with its error as the cause', async () => {
		const thrown = auth(() => {
			throw new Error('jwks unavailable');
		}).process(msg());
		assert.ok(thrown instanceof Rejection && thrown.label === 'unauthorized' && thrown.cause?.message === 'jwks unavailable');
		const rejected = await auth(async () => {
			throw new Error('timeout');
		}).process(msg());
		assert.ok(rejected instanceof Rejection && rejected.cause?.message === 'timeout');
	});

	it('an async verifier returns a promise of the same decisions', async () => {
		const mw = auth(async (credential) => (credential === 'good' ? 'svc' : false));
		const pending = mw.process(msg({ metadata: { authorization: 'good' } }));
		assert.ok(pending instanceof Promise);
		assert.equal(((await pending) as Message).metadata[PRINCIPAL_KEY], 'svc');
		assert.ok((await mw.process(msg({ metadata: { authorization: 'bad' } }))) instanceof Rejection);
	});

	it('removes a principal forged by the producer; keeps the credential with strip: false', () => {
		const forged = auth(() => true).process(msg({ metadata: { authorization: 'x', [PRINCIPAL_KEY]: 'admin' } })) as Message;
		assert.equal(forged.metadata[PRINCIPAL_KEY], undefined);
		const kept = auth(() => 'svc', { strip: false, key: 'x-api-key', principalKey: 'caller' }).process(msg({ metadata: { 'x-api-key': 'k', caller: 'forged' } })) as Message;
		assert.equal(kept.metadata['x-api-key'], 'k');
		assert.equal(kept.metadata['caller'], 'svc');
		const untouched = msg({ metadata: { other: '1' } });
		assert.equal(auth(() => true).process(untouched), untouched, 'nothing to strip or stamp: the same message');
	});

	it('through a hub: refused messages are rejected as unauthorized, counted and announced; secrets never reach the output', async () => {
		const run = await startHub([auth((credential) => keys.get(credential ?? '') ?? false)]);
		const outcome = await run.input.push([
			{ source: 's', messageType: 't', metadata: { authorization: 'Bearer k-1' } },
			{ source: 's', messageType: 't', metadata: { authorization: 'Bearer nope' } },
			{ source: 's', messageType: 't' },
		]);
		await run.hub.stop();
		assert.equal(outcome.accepted, 1);
		const out = run.outputs[0]!.messages;
		assert.equal(out.length, 1);
		assert.equal(out[0]!.metadata['authorization'], undefined);
		assert.equal(out[0]!.metadata[PRINCIPAL_KEY], 'billing');
		const stats = run.hub.stats().middleware['auth']!;
		assert.equal(stats.rejected, 2);
		assert.equal(stats.counters['unauthorized'], 2);
		assert.equal(run.hub.stats().dropped.rejected, 2);
		const error = run.drops[0]?.error;
		assert.ok(error instanceof RejectedError && error.label === 'unauthorized' && error.middleware === 'auth');
		assert.equal(
			run.drops.reduce((n, d) => n + d.messages.length, 0),
			2,
		);
	});

	it('validates its arguments with ConfigError naming the field', () => {
		const bad = (fn: () => unknown, field: string): void => assert.throws(fn, (e) => e instanceof ConfigError && e.field === field);
		bad(() => auth('token' as never), 'auth.verify');
		bad(() => auth(() => true, { key: '' }), 'auth.key');
		bad(() => auth(() => true, { principalKey: 3 as never }), 'auth.principalKey');
		bad(() => auth(() => true, { name: '' }), 'auth.name');
	});
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { install } from '@sinonjs/fake-timers';
import {
	createIdGenerator,
	createMessage,
	isMessage,
	MessageValidationError,
	nowNanos,
	payloadJson,
	payloadText,
	withMetadata,
	withPayload,
	withRoute,
} from '../../src/index.js';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

describe('createMessage', () => {
	it('fills id, timestamp, empty metadata and routeTo', () => {
		const before = BigInt(Date.now() - 5) * 1_000_000n;
		const msg = createMessage({ source: 'svc', messageType: 'created' });
		const after = BigInt(Date.now() + 5) * 1_000_000n;
		assert.match(msg.id, ULID);
		assert.equal(typeof msg.timestamp, 'bigint');
		assert.ok(msg.timestamp >= before && msg.timestamp <= after, `${msg.timestamp} within [${before}, ${after}]`);
		assert.deepEqual(Object.keys(msg.metadata), []);
		assert.deepEqual(msg.routeTo, []);
		assert.equal(msg.payload.length, 0);
	});

	it('encodes a string payload as UTF-8 and keeps bytes by reference', () => {
		assert.deepEqual([...createMessage({ source: 's', messageType: 't', payload: 'hä' }).payload], [0x68, 0xc3, 0xa4]);
		const bytes = new Uint8Array([1, 2, 3]);
		assert.equal(createMessage({ source: 's', messageType: 't', payload: bytes }).payload, bytes);
	});

	it('keeps a given id and an exact timestamp beyond 2^53', () => {
		const timestamp = 1_764_216_000_123_456_789n;
		const msg = createMessage({ id: 'custom-id', timestamp, source: 's', messageType: 't' });
		assert.equal(msg.id, 'custom-id');
		assert.equal(msg.timestamp, timestamp);
	});

	it('copies metadata into an object that inherits nothing, so __proto__ is data', () => {
		const metadata = JSON.parse('{"__proto__":"x","constructor":"y","region":"eu"}') as Record<string, string>;
		const msg = createMessage({ source: 's', messageType: 't', metadata });
		assert.deepEqual(Object.keys(msg.metadata).sort(), ['__proto__', 'constructor', 'region']);
		assert.equal(msg.metadata['__proto__'], 'x');
		assert.equal(msg.metadata['constructor'], 'y');
		assert.equal(msg.metadata['toString'], undefined);
		assert.equal(msg.metadata['hasOwnProperty'], undefined);
		metadata['region'] = 'changed';
		assert.equal(msg.metadata['region'], 'eu', 'metadata is copied');
	});

	it('copies and freezes routeTo', () => {
		const routeTo = ['a'];
		const msg = createMessage({ source: 's', messageType: 't', routeTo });
		routeTo.push('b');
		assert.deepEqual(msg.routeTo, ['a']);
		assert.ok(Object.isFrozen(msg.routeTo));
	});

	const invalid: [string, unknown, string][] = [
		['source', { messageType: 't' }, 'source'],
		['messageType', { source: 's', messageType: 3 }, 'messageType'],
		['id', { source: 's', messageType: 't', id: '' }, 'id'],
		['timestamp as number', { source: 's', messageType: 't', timestamp: 1 }, 'timestamp'],
		['metadata value', { source: 's', messageType: 't', metadata: { n: 1 } }, 'metadata.n'],
		['metadata array', { source: 's', messageType: 't', metadata: [] }, 'metadata'],
		['payload', { source: 's', messageType: 't', payload: 42 }, 'payload'],
		['routeTo entry', { source: 's', messageType: 't', routeTo: ['a', 2] }, 'routeTo[1]'],
		['routeTo string', { source: 's', messageType: 't', routeTo: 'a' }, 'routeTo'],
	];
	for (const [what, init, field] of invalid) {
		it(`throws MessageValidationError naming ${field} for a bad ${what}`, () => {
			assert.throws(
				() => createMessage(init as never),
				(error: unknown) => error instanceof MessageValidationError && error.field === field && error.message.startsWith(`${field}: `),
			);
		});
	}
});

describe('createIdGenerator', () => {
	it('makes strictly increasing ULIDs, across milliseconds', async () => {
		const next = createIdGenerator();
		const ids: string[] = [];
		for (let round = 0; round < 3; round++) {
			for (let i = 0; i < 5000; i++) ids.push(next());
			await new Promise((r) => setTimeout(r, 2));
		}
		for (const id of ids) assert.match(id, ULID);
		for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1]! < ids[i]!, `${ids[i - 1]} < ${ids[i]}`);
		assert.equal(new Set(ids).size, ids.length);
	});

	it('encodes the current time in the first 10 characters', () => {
		const before = Date.now();
		const id = createIdGenerator()();
		const after = Date.now();
		const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
		const ms = [...id.slice(0, 10)].reduce((acc, c) => acc * 32 + alphabet.indexOf(c), 0);
		assert.ok(ms >= before && ms <= after);
	});

	it('carries into higher random digits instead of repeating', () => {
		const next = createIdGenerator();
		const seen = new Set<string>();
		for (let i = 0; i < 200_000; i++) seen.add(next());
		assert.equal(seen.size, 200_000);
	});
});

describe('nowNanos', () => {
	it('is Unix time in nanoseconds, close to Date.now()', () => {
		const ns = nowNanos();
		const drift = Number(ns / 1_000_000n) - Date.now();
		assert.ok(Math.abs(drift) <= 5, `drift ${drift} ms`);
	});

	it('follows the wall clock when it steps (re-checked at most once a second)', async () => {
		await new Promise((r) => setTimeout(r, 1100)); // let the once-a-second check come due
		const clock = install({ toFake: ['Date'], now: Date.now() + 3_600_000 });
		try {
			const ns = nowNanos();
			const drift = Number(ns / 1_000_000n) - Date.now();
			assert.ok(Math.abs(drift) <= 5, `drift ${drift} ms after the wall clock jumped an hour`);
		} finally {
			clock.uninstall();
		}
		await new Promise((r) => setTimeout(r, 1100));
		assert.ok(Math.abs(Number(nowNanos() / 1_000_000n) - Date.now()) <= 5, 'and back');
	});
});

describe('message edits', () => {
	const base = createMessage({ source: 's', messageType: 't', metadata: { a: '1', b: '2' }, payload: 'x', routeTo: ['o'] });

	it('withMetadata merges, removes with undefined, and shares the payload', () => {
		const edited = withMetadata(base, { b: undefined, c: '3', __proto__: 'p' } as Record<string, string | undefined>);
		assert.deepEqual({ ...edited.metadata }, { a: '1', c: '3' });
		const proto = withMetadata(base, JSON.parse('{"__proto__":"p"}') as Record<string, string>);
		assert.equal(proto.metadata['__proto__'], 'p');
		assert.equal(edited.payload, base.payload);
		assert.equal(edited.id, base.id);
		assert.deepEqual({ ...base.metadata }, { a: '1', b: '2' }, 'original untouched');
		assert.throws(() => withMetadata(base, { n: 1 as unknown as string }), { field: 'metadata.n' });
	});

	it('withRoute replaces routeTo', () => {
		assert.deepEqual(withRoute(base, 'x').routeTo, ['x']);
		assert.deepEqual(withRoute(base, ['x', 'y']).routeTo, ['x', 'y']);
		assert.deepEqual(withRoute(base, []).routeTo, []);
	});

	it('withPayload, payloadText and payloadJson', () => {
		const m = withPayload(base, '{"n":1}');
		assert.equal(payloadText(m), '{"n":1}');
		assert.deepEqual(payloadJson(m), { n: 1 });
		assert.throws(() => payloadJson(base), SyntaxError);
	});

	it('isMessage tells messages from inits', () => {
		assert.equal(isMessage(base), true);
		assert.equal(isMessage({ ...base }), true);
		assert.equal(isMessage({ source: 's', messageType: 't' }), false);
		assert.equal(isMessage({ ...base, payload: 'x' }), false);
		assert.equal(isMessage(null), false);
	});
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metadata } from '@grpc/grpc-js';
import { bearerToken } from '../../src/adapters/grpc/index.js';
import { checkAuth } from '../../src/adapters/grpc/auth.js';

const call = { method: 'SendEvent', peer: '127.0.0.1:1' } as const;
const withHeader = (value?: string): Metadata => {
	const m = new Metadata();
	if (value !== undefined) m.set('authorization', value);
	return m;
};

describe('bearerToken', () => {
	it('accepts any listed token, case-insensitive scheme, and names what is wrong otherwise', () => {
		const auth = bearerToken(['a1', 'b2']);
		assert.equal(auth(withHeader('Bearer a1'), call), true);
		assert.equal(auth(withHeader('bearer   b2 '), call), true);
		assert.equal(auth(withHeader('Bearer a'), call), 'invalid bearer token');
		assert.equal(auth(withHeader('Basic a1'), call), 'missing bearer token');
		assert.equal(auth(withHeader(), call), 'missing bearer token');
	});

	it('takes a verification function, sync or async', async () => {
		assert.equal(bearerToken((t) => t === 'ok')(withHeader('Bearer ok'), call), true);
		assert.equal(await bearerToken(async (t) => t === 'ok')(withHeader('Bearer no'), call), 'invalid bearer token');
	});
});

describe('checkAuth', () => {
	it('stays synchronous for synchronous auth and maps results to a verdict', async () => {
		assert.equal(checkAuth(() => true, withHeader(), call), undefined);
		assert.equal(checkAuth(() => false, withHeader(), call), 'unauthenticated');
		assert.equal(checkAuth(() => 'no key', withHeader(), call), 'no key');
		assert.equal(checkAuth(() => '', withHeader(), call), 'unauthenticated');
		assert.match(checkAuth(() => { throw new Error('boom'); }, withHeader(), call) as string, /authentication failed: boom/);
		assert.equal(await checkAuth(async () => true, withHeader(), call), undefined);
		assert.match((await checkAuth(() => Promise.reject(new Error('down')), withHeader(), call))!, /authentication failed: down/);
	});
});

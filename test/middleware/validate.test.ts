import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
	ConfigError,
	INVALID_REASON_KEY,
	json,
	maxSize,
	MessageValidationError,
	nonEmpty,
	RejectedError,
	Rejection,
	validate,
	type Message,
	type PayloadCheck,
	type StandardSchemaIssue,
	type StandardSchemaV1,
} from '../../src/index.js';
import { fakeContext, msg, startHub, throughHub } from './support.js';
import { assertInheritsNothing } from '../support/metadata.js';

interface Order {
	id: string;
	items: { sku: string; qty: number }[];
}

/** A hand-written Standard Schema v1 validator, shaped like Zod's and Valibot's `~standard`. */
const orderSchema: StandardSchemaV1<unknown, Order> = {
	'~standard': {
		version: 1,
		vendor: 'hand-written',
		validate(value) {
			const issues: StandardSchemaIssue[] = [];
			if (typeof value !== 'object' || value === null) return { issues: [{ message: 'Expected object', path: [] }] };
			const v = value as Record<string, unknown>;
			if (typeof v['id'] !== 'string') issues.push({ message: 'Expected string', path: ['id'] });
			if (!Array.isArray(v['items'])) issues.push({ message: 'Expected array', path: [{ key: 'items' }] });
			else {
				v['items'].forEach((item: Record<string, unknown>, i) => {
					if (typeof item?.['sku'] !== 'string') issues.push({ message: 'Expected string', path: ['items', { key: i }, 'sku'] });
					const qty = item?.['qty'];
					if (typeof qty !== 'number' || !Number.isInteger(qty) || qty <= 0) issues.push({ message: 'Expected a positive integer', path: ['items', i, 'qty'] });
				});
			}
			return issues.length > 0 ? { issues } : { value: v as unknown as Order };
		},
	},
};

const asyncSchema: StandardSchemaV1 = {
	'~standard': {
		version: 1,
		vendor: 'hand-written-async',
		validate: async (value) => (value === 'ok' ? { value } : { issues: [{ message: 'Expected "ok"' }] }),
	},
};

const cause = (result: unknown): MessageValidationError => {
	assert.ok(result instanceof Rejection && result.label === 'invalid', `expected an invalid rejection, got ${String(result)}`);
	assert.ok(result.cause instanceof MessageValidationError);
	return result.cause;
};

describe('validate()', () => {
	it('built-in checks: nonEmpty(), maxSize(), json()', () => {
		const m = msg({ payload: '{"a":1}' });
		assert.equal(validate([nonEmpty(), maxSize(7), json()]).process(m), m);
		assert.equal(cause(validate(nonEmpty()).process(msg())).detail, 'is empty');
		const big = cause(validate(maxSize(3)).process(msg({ payload: 'abcd' })));
		assert.equal(big.field, 'payload');
		assert.match(big.detail, /4 bytes, over the limit of 3/);
		assert.match(cause(validate(json()).process(msg({ payload: '{nope' }))).detail, /^is not JSON/);
		assert.match(cause(validate(json()).process(msg())).detail, /^is not JSON/, 'an empty payload is not JSON');
	});

	it('the first problem decides, in the order given', () => {
		assert.equal(cause(validate([maxSize(1), nonEmpty()]).process(msg({ payload: 'xx' }))).detail.startsWith('is 2 bytes'), true);
		assert.equal(cause(validate([nonEmpty(), maxSize(1)]).process(msg())).detail, 'is empty');
	});

	it('a Standard Schema validates the parsed payload and names the path of the first issue', () => {
		const mw = validate(orderSchema);
		const good = msg({ payload: JSON.stringify({ id: 'o1', items: [{ sku: 'x', qty: 2 }] }) });
		const result = mw.process(good);
		assert.equal(result, good, 'synchronous when the schema is');
		const bad = cause(mw.process(msg({ payload: JSON.stringify({ id: 'o1', items: [{ sku: 'x', qty: 2 }, { sku: 'y', qty: 0 }] }) })));
		assert.equal(bad.field, 'payload.items.1.qty');
		assert.equal(bad.detail, 'Expected a positive integer');
		const two = cause(mw.process(msg({ payload: JSON.stringify({ items: [{ qty: 1 }] }) })));
		assert.equal(two.field, 'payload.id');
		assert.equal(two.detail, 'Expected string (and 1 more issue)');
		assert.match(cause(mw.process(msg({ payload: 'not json' }))).detail, /^is not JSON/);
	});

	it('an async Standard Schema makes the result a promise', async () => {
		const mw = validate([nonEmpty(), asyncSchema]);
		const ok = msg({ payload: '"ok"' });
		const pending = mw.process(ok);
		assert.ok(pending instanceof Promise);
		assert.equal(await pending, ok);
		assert.equal(cause(await mw.process(msg({ payload: '"no"' }))).detail, 'Expected "ok"');
	});

	it('parses the payload once for every check and schema that needs it', () => {
		const seen: unknown[] = [];
		const spy: PayloadCheck = { needsJson: true, check: (_, value) => void seen.push(value) };
		const spySchema: StandardSchemaV1 = { '~standard': { version: 1, vendor: 'spy', validate: (value) => (seen.push(value), { value }) } };
		validate([spy, json(), spySchema, spy]).process(msg({ payload: '{"a":[1]}' }));
		assert.equal(seen.length, 3);
		assert.ok(seen.every((v) => v === seen[0]));
		assert.deepEqual(seen[0], { a: [1] });
	});

	it("onInvalid 'tag' passes the message with the reason in metadata, counted as invalid", async () => {
		const mw = validate(orderSchema, { onInvalid: 'tag' });
		const { context, counters } = fakeContext();
		await mw.start?.(context);
		const out = mw.process(msg({ payload: '{"id":"o","items":[{"sku":"x","qty":-1}]}', metadata: { k: 'v' } })) as Message;
		assert.equal(out.metadata[INVALID_REASON_KEY], 'payload.items.0.qty: Expected a positive integer');
		assert.equal(out.metadata['k'], 'v');
		assertInheritsNothing(out.metadata);
		assert.equal(counters['invalid'], 1);
	});

	it('onInvalid { route } sends invalid messages to that output only', async () => {
		const run = await throughHub(
			[validate(json(), { onInvalid: { route: 'quarantine' } })],
			[
				{ source: 's', messageType: 't', payload: '{"ok":true}' },
				{ source: 's', messageType: 't', payload: 'garbage' },
			],
			['main', 'quarantine'],
		);
		const [main, quarantine] = run.outputs;
		assert.equal(main!.messages.length, 1);
		assert.equal(quarantine!.messages.length, 2, 'valid messages still reach every output');
		const invalid = quarantine!.messages.find((m) => m.routeTo.length > 0)!;
		assert.deepEqual(invalid.routeTo, ['quarantine']);
		assert.match(invalid.metadata[INVALID_REASON_KEY] ?? '', /^payload: is not JSON/);
		assert.equal(run.stats.middleware['validate']!.counters['invalid'], 1);
	});

	it("onInvalid 'drop' (the default) through a hub: rejected as invalid with the issue as cause", async () => {
		const run = await startHub([validate(orderSchema, { name: 'order-schema' })]);
		const outcome = await run.input.push({ source: 's', messageType: 't', payload: '{"id":5,"items":[]}' });
		await run.hub.stop();
		assert.equal(outcome.status, 'dropped');
		const stats = run.hub.stats().middleware['order-schema']!;
		assert.equal(stats.rejected, 1);
		assert.equal(stats.counters['invalid'], 1);
		const error = run.drops[0]?.error;
		assert.ok(error instanceof RejectedError && error.label === 'invalid');
		assert.ok(error.cause instanceof MessageValidationError && error.cause.field === 'payload.id');
	});

	it('validates its arguments with ConfigError naming the field', () => {
		const bad = (fn: () => unknown, field: string): void => assert.throws(fn, (e) => e instanceof ConfigError && e.field === field);
		bad(() => validate([]), 'validate.validators');
		bad(() => validate([json(), {} as never]), 'validate.validators[1]');
		bad(() => validate({ '~standard': { version: 2, vendor: 'x', validate: () => ({ value: 1 }) } } as never), 'validate.validators[0]');
		bad(() => validate(json(), { onInvalid: 'ignore' as never }), 'validate.onInvalid');
		bad(() => validate(json(), { onInvalid: { route: '' } }), 'validate.onInvalid.route');
		bad(() => maxSize(-1), 'maxSize.bytes');
	});
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ConfigError, router, type Message, type RouteRule } from '../../src/index.js';
import { compilePattern } from '../../src/middleware/internal/pattern.js';
import { msg, throughHub } from './support.js';

const routeOf = (result: unknown): readonly string[] => (result as Message).routeTo;

describe('router()', () => {
	it('first mode: the first matching rule decides; globs, RegExps, source, metadata and when', () => {
		const mw = router([
			{ messageType: 'order.*', metadata: { region: /^eu-/ }, to: 'orders-eu' },
			{ messageType: 'order.*', to: ['orders', 'audit'] },
			{ messageType: '*.failed', to: 'alerts' },
			{ source: 'billing', when: (m) => m.payload.length > 3, to: 'bulk' },
		]);
		assert.deepEqual(routeOf(mw.process(msg({ messageType: 'order.created', metadata: { region: 'eu-north-1' } }))), ['orders-eu']);
		assert.deepEqual(routeOf(mw.process(msg({ messageType: 'order.created', metadata: { region: 'us-east-1' } }))), ['orders', 'audit']);
		assert.deepEqual(routeOf(mw.process(msg({ messageType: 'order.failed' }))), ['orders', 'audit']);
		assert.deepEqual(routeOf(mw.process(msg({ messageType: 'payment.failed' }))), ['alerts']);
		assert.deepEqual(routeOf(mw.process(msg({ source: 'billing', messageType: 'x', payload: 'long' }))), ['bulk']);
		const unmatched = msg({ source: 'billing', messageType: 'x', payload: 'no' });
		assert.equal(mw.process(unmatched), unmatched, 'no match and no default: untouched, same object');
		const plural = msg({ messageType: 'orders' });
		assert.equal(mw.process(plural), plural, "'order.*' does not match 'orders'");
	});

	it('all mode: the union of every matching rule, in rule order without repeats, shared per combination', () => {
		const mw = router(
			[
				{ messageType: 'order.*', to: ['orders', 'audit'] },
				{ messageType: '*.failed', to: ['alerts', 'audit'] },
				{ metadata: { vip: 'yes' }, to: 'vip' },
			],
			{ mode: 'all', default: 'archive' },
		);
		const a = mw.process(msg({ messageType: 'order.failed', metadata: { vip: 'yes' } }));
		assert.deepEqual(routeOf(a), ['orders', 'audit', 'alerts', 'vip']);
		const b = mw.process(msg({ messageType: 'order.failed', metadata: { vip: 'yes' } }));
		assert.equal(routeOf(a), routeOf(b), 'the union array is computed once and shared');
		assert.ok(Object.isFrozen(routeOf(a)));
		assert.deepEqual(routeOf(mw.process(msg({ messageType: 'order.created' }))), ['orders', 'audit']);
		assert.deepEqual(routeOf(mw.process(msg({ messageType: 'user.created' }))), ['archive']);
	});

	it('all mode works beyond the cached-combination limit of 30 rules', () => {
		const rules: RouteRule[] = Array.from({ length: 40 }, (_, i) => ({ metadata: { [`k${i}`]: 'x' }, to: `out${i % 35}` }));
		const mw = router(rules, { mode: 'all' });
		const metadata = { k0: 'x', k35: 'x', k39: 'x' };
		assert.deepEqual(routeOf(mw.process(msg({ metadata }))), ['out0', 'out4']);
	});

	it('a global RegExp matches the same every time (no lastIndex state)', () => {
		const mw = router([{ source: /svc/g, to: 'x' }], { default: 'y' });
		for (let i = 0; i < 4; i++) assert.deepEqual(routeOf(mw.process(msg({ source: 'svc-a' }))), ['x']);
	});

	it('metadata conditions read own entries only, __proto__ included as data', () => {
		const condition = JSON.parse('{"__proto__":"p","constructor":"*"}') as Record<string, string>;
		assert.deepEqual(Object.keys(condition), ['__proto__', 'constructor']);
		const mw = router([{ metadata: condition, to: 'x' }], { default: 'none' });
		const metadata = JSON.parse('{"__proto__":"p","constructor":"c"}') as Record<string, string>;
		assert.deepEqual(routeOf(mw.process(msg({ metadata }))), ['x']);
		assert.deepEqual(routeOf(mw.process(msg({ metadata: { constructor: 'c' } }))), ['none'], '__proto__ is required like any key');
		const plain = { ...msg(), metadata: { other: 'v' } };
		assert.deepEqual(routeOf(mw.process(plain)), ['none'], 'an inherited constructor is not an entry');
	});

	it('keepExisting leaves routed messages alone; a message already routed there is returned as is', () => {
		const keep = router([{ to: 'x' }], { keepExisting: true });
		const routed = msg({ routeTo: ['y'] });
		assert.equal(keep.process(routed), routed);
		assert.deepEqual(routeOf(keep.process(msg())), ['x']);
		const same = msg({ routeTo: ['x'] });
		assert.equal(router([{ to: 'x' }]).process(same), same);
	});

	it('routes through a hub to the named outputs; an unknown output is an unroutable drop', async () => {
		const run = await throughHub(
			[router([{ messageType: 'order.*', to: 'orders' }, { messageType: 'ghost', to: 'nowhere' }], { default: 'archive' })],
			[
				{ source: 's', messageType: 'order.created' },
				{ source: 's', messageType: 'user.created' },
				{ source: 's', messageType: 'ghost' },
			],
			['orders', 'archive'],
		);
		const [orders, archive] = run.outputs;
		assert.deepEqual(orders!.messages.map((m) => m.messageType), ['order.created']);
		assert.deepEqual(archive!.messages.map((m) => m.messageType), ['user.created']);
		assert.equal(run.stats.dropped.unroutable, 1);
	});

	it('glob matching agrees with the equivalent regular expression', () => {
		const toRegExp = (glob: string): RegExp => new RegExp(`^${glob.split('*').map((p) => p.replace(/[.]/g, '\\.')).join('.*')}$`, 's');
		fc.assert(
			fc.property(fc.stringMatching(/^[ab.*]{0,8}$/), fc.stringMatching(/^[ab.]{0,12}$/), (glob, text) => {
				assert.equal(compilePattern('p', glob)(text), toRegExp(glob).test(text), `${glob} vs ${text}`);
			}),
			{ numRuns: 3000 },
		);
	});

	it('validates rules and options with ConfigError naming the field', () => {
		const bad = (fn: () => unknown, field: string): void => assert.throws(fn, (e) => e instanceof ConfigError && e.field === field);
		bad(() => router([]), 'router.rules');
		bad(() => router([{ to: [] }]), 'router.rules[0].to');
		bad(() => router([{ to: 'a' }, { to: ['a', ''] }]), 'router.rules[1].to');
		bad(() => router([{ messageType: 5 as never, to: 'a' }]), 'router.rules[0].messageType');
		bad(() => router([{ metadata: { k: null as never }, to: 'a' }]), 'router.rules[0].metadata.k');
		bad(() => router([{ when: 'x' as never, to: 'a' }]), 'router.rules[0].when');
		bad(() => router([{ to: 'a' }], { mode: 'some' as never }), 'router.mode');
		bad(() => router([{ to: 'a' }], { default: [''] }), 'router.default');
	});
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkTopicFilter, compileTopicRule, TopicMatcher } from '../../src/adapters/mqtt/topics.js';
import { ConfigError } from '../../src/index.js';

describe('TopicMatcher', () => {
	const cases: [string, string, boolean][] = [
		['a/b', 'a/b', true],
		['a/b', 'a/c', false],
		['a/+', 'a/b', true],
		['a/+', 'a/b/c', false],
		['a/+', 'a', false],
		['a/+/c', 'a/x/c', true],
		['a/#', 'a', true],
		['a/#', 'a/b/c', true],
		['a/#', 'b', false],
		['#', 'anything/at/all', true],
		['#', '$SYS/broker/uptime', false],
		['+/monitor', '$SYS/monitor', false],
		['$SYS/#', '$SYS/broker', true],
		['$share/group/a/+', 'a/b', true],
		['$share/group/a/+', '$share/group/a/b', false],
		['+', '', true],
		['a//b', 'a//b', true],
		['a/+/b', 'a//b', true],
	];
	for (const [filter, topic, expected] of cases) {
		it(`${JSON.stringify(filter)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(topic)}`, () => {
			assert.equal(new TopicMatcher([filter]).matches(topic), expected);
		});
	}
	it('matches any of several filters', () => {
		const m = new TopicMatcher(['a/+', 'b/#', 'c']);
		assert.deepEqual(['a/1', 'b/2/3', 'c', 'd'].map((t) => m.matches(t)), [true, true, true, false]);
	});
});

describe('checkTopicFilter', () => {
	for (const bad of ['', 'a/#/b', 'a#', 'a/b+', '+a', '$share/g', '$share//a', 'a\u0000b']) {
		it(`refuses ${JSON.stringify(bad)}`, () => assert.throws(() => checkTopicFilter(bad, 'f'), (e: unknown) => e instanceof ConfigError && e.field === 'f'));
	}
	for (const good of ['#', '+', 'a/+/b/#', '$share/g/#', '$SYS/#', 'a//b']) it(`accepts ${JSON.stringify(good)}`, () => assert.equal(checkTopicFilter(good, 'f'), good));
});

describe('compileTopicRule', () => {
	const topic = 'sensors/eu/7/temp';
	const rules: [string, string][] = [
		['{topic}', topic],
		['{1}', 'sensors'],
		['{2}.{4}', 'eu.temp'],
		['{-1}', 'temp'],
		['sensor.{-1}', 'sensor.temp'],
		['{9}', ''],
		['{-9}', ''],
		['fixed', 'fixed'],
	];
	for (const [rule, expected] of rules) it(`${rule} → ${JSON.stringify(expected)}`, () => assert.equal(compileTopicRule(rule, 'r')(topic), expected));
	it('takes a function', () => assert.equal(compileTopicRule((t) => t.toUpperCase(), 'r')('a/b'), 'A/B'));
	it('refuses unknown placeholders naming the option', () => {
		assert.throws(() => compileTopicRule('{0}', 'MqttInput.source'), (e: unknown) => e instanceof ConfigError && e.field === 'MqttInput.source');
		assert.throws(() => compileTopicRule('{level}', 'r'), /unknown placeholder \{level\}/);
	});
});

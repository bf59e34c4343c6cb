import { ConfigError } from '../../index.js';

const SHARE_PREFIX = '$share/';

/**
 * Checks an MQTT topic filter: non-empty, no NUL, `+` only as a whole level,
 * `#` only as the whole last level. `$share/<group>/<filter>` (a shared
 * subscription) is allowed. Throws `ConfigError` naming `field`.
 */
export function checkTopicFilter(filter: unknown, field: string): string {
	if (typeof filter !== 'string' || filter.length === 0) throw new ConfigError(field, 'must be a non-empty MQTT topic filter');
	if (filter.includes('\u0000')) throw new ConfigError(field, 'must not contain NUL');
	const bare = matchPart(filter);
	if (bare === '') throw new ConfigError(field, `must be $share/<group>/<filter>, got ${JSON.stringify(filter)}`);
	const levels = bare.split('/');
	levels.forEach((level, i) => {
		if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
			throw new ConfigError(field, `may use # only as the whole last level, got ${JSON.stringify(filter)}`);
		}
		if (level.includes('+') && level !== '+') throw new ConfigError(field, `may use + only as a whole level, got ${JSON.stringify(filter)}`);
	});
	return filter;
}

/** The filter a topic is matched against: without a `$share/<group>/` prefix. */
function matchPart(filter: string): string {
	if (!filter.startsWith(SHARE_PREFIX)) return filter;
	const slash = filter.indexOf('/', SHARE_PREFIX.length);
	return slash === -1 || slash === SHARE_PREFIX.length ? '' : filter.slice(slash + 1);
}

/**
 * Whether `topic` matches one of a set of filters, as a broker decides it:
 * `+` is one level, `#` the rest (including the parent level), and wildcards
 * in the first level never match a topic starting with `$`.
 */
export class TopicMatcher {
	readonly #exact: ReadonlySet<string>;
	readonly #patterns: readonly (readonly string[])[];
	readonly #any: boolean;

	constructor(filters: readonly string[]) {
		const exact = new Set<string>();
		const patterns: string[][] = [];
		let any = false;
		for (const f of filters) {
			const bare = matchPart(f);
			if (bare === '#') any = true;
			if (bare.includes('+') || bare.includes('#')) patterns.push(bare.split('/'));
			else exact.add(bare);
		}
		this.#exact = exact;
		this.#patterns = patterns;
		this.#any = any;
	}

	matches(topic: string): boolean {
		if (this.#exact.has(topic)) return true;
		if (this.#any && !topic.startsWith('$')) return true;
		if (this.#patterns.length === 0) return false;
		const levels = topic.split('/');
		for (const p of this.#patterns) if (matchLevels(p, levels)) return true;
		return false;
	}
}

function matchLevels(pattern: readonly string[], levels: readonly string[]): boolean {
	if (levels[0]!.startsWith('$') && (pattern[0] === '+' || pattern[0] === '#')) return false;
	for (let i = 0; i < pattern.length; i++) {
		const p = pattern[i]!;
		if (p === '#') return true;
		if (i >= levels.length) return false;
		if (p !== '+' && p !== levels[i]) return false;
	}
	return pattern.length === levels.length;
}

/**
 * How a plain MQTT message's `source` or `messageType` is derived from its
 * topic: a template or a function.
 *
 * A template is text with placeholders: `{topic}` (the whole topic), `{1}`,
 * `{2}`, … (topic levels, 1-based), `{-1}`, `{-2}`, … (counted from the
 * end). A level the topic does not have is empty. For `sensors/eu/7/temp`,
 * `'{2}'` is `eu`, `'sensor.{-1}'` is `sensor.temp`, `'{topic}'` is
 * `sensors/eu/7/temp`.
 *
 * @example
 * ```ts
 * import { MqttInput, type TopicRule } from 'polku/mqtt';
 *
 * const source: TopicRule = '{2}';
 * const messageType: TopicRule = (topic) => topic.split('/').slice(0, 2).join('.');
 * new MqttInput({ client, topics: 'devices/+/events/#', source, messageType });
 * ```
 */
export type TopicRule = string | ((topic: string) => string);

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** Compiles a {@link TopicRule} into a function; throws `ConfigError` naming `field` for an unknown placeholder. */
export function compileTopicRule(rule: TopicRule, field: string): (topic: string) => string {
	if (typeof rule === 'function') {
		return (topic) => {
			const value = rule(topic);
			if (typeof value !== 'string') throw new TypeError(`${field} returned ${typeof value}, not a string`);
			return value;
		};
	}
	if (typeof rule !== 'string') throw new ConfigError(field, 'must be a template string or a function (topic) => string');
	const parts: (string | number | 'topic')[] = [];
	let last = 0;
	for (const m of rule.matchAll(PLACEHOLDER)) {
		const name = m[1]!;
		if (m.index > last) parts.push(rule.slice(last, m.index));
		if (name === 'topic') parts.push('topic');
		else if (/^-?[1-9]\d*$/.test(name)) parts.push(Number(name));
		else throw new ConfigError(field, `has an unknown placeholder {${name}}; use {topic}, {1}, {2}, … or {-1}, {-2}, …`);
		last = m.index + m[0].length;
	}
	if (last < rule.length) parts.push(rule.slice(last));
	if (parts.length === 1 && parts[0] === 'topic') return (topic) => topic;
	if (parts.every((p) => typeof p === 'string' && p !== 'topic')) {
		const text = parts.join('');
		return () => text;
	}
	return (topic) => {
		let levels: string[] | undefined;
		let out = '';
		for (const p of parts) {
			if (p === 'topic') out += topic;
			else if (typeof p === 'string') out += p;
			else {
				levels ??= topic.split('/');
				out += (p > 0 ? levels[p - 1] : levels[levels.length + p]) ?? '';
			}
		}
		return out;
	};
}

/**
 * Remembers the last few hundred topics' derived values, so a rule runs once
 * per topic rather than once per message (topics repeat).
 */
export class TopicCache<T> {
	readonly #map = new Map<string, T>();
	readonly #derive: (topic: string) => T;
	readonly #max: number;

	constructor(derive: (topic: string) => T, max = 512) {
		this.#derive = derive;
		this.#max = max;
	}

	get(topic: string): T {
		let value = this.#map.get(topic);
		if (value === undefined) {
			value = this.#derive(topic);
			if (this.#map.size >= this.#max) this.#map.clear();
			this.#map.set(topic, value);
		}
		return value;
	}
}

import { ConfigError } from '../errors.js';
import type { Message } from '../message/message.js';
import { entry } from './internal/metadata.js';
import { checkFunction, checkOneOf, middlewareName, optionsObject } from './internal/options.js';
import { compilePattern, type TextMatcher, type TextPattern } from './internal/pattern.js';
import type { Middleware } from './middleware.js';

/**
 * One rule of {@link router}: every condition given must hold (a rule with no
 * condition matches every message); `to` names the outputs.
 *
 * @example
 * ```ts
 * import type { RouteRule } from 'polku';
 *
 * const rule: RouteRule = { messageType: 'order.*', metadata: { region: /^eu-/ }, to: ['orders-eu', 'audit'] };
 * ```
 */
export interface RouteRule {
	/** Matches `messageType`: exact, glob (`order.*`) or RegExp. */
	readonly messageType?: TextPattern;
	/** Matches `source`: exact, glob or RegExp. */
	readonly source?: TextPattern;
	/** Each key must be present in the metadata with a matching value. */
	readonly metadata?: Readonly<Record<string, TextPattern>>;
	/** Any other condition. */
	readonly when?: (message: Message) => boolean;
	/** The output name(s) to route to. */
	readonly to: string | readonly string[];
}

/**
 * Options of {@link router}.
 *
 * @example
 * ```ts
 * router(rules, { mode: 'all', default: 'archive' });
 * ```
 */
export interface RouterOptions {
	/** The name in stats and events. @default 'router' */
	readonly name?: string;
	/** `first`: the first matching rule decides; `all`: the union of every matching rule's outputs. @default 'first' */
	readonly mode?: 'first' | 'all';
	/** The route of messages no rule matches; when not set, their `routeTo` is left as it is. */
	readonly default?: string | readonly string[];
	/** Leave messages that already carry a `routeTo` untouched. @default false */
	readonly keepExisting?: boolean;
}

interface CompiledRule {
	readonly messageType: TextMatcher | undefined;
	readonly source: TextMatcher | undefined;
	readonly metadata: readonly (readonly [string, TextMatcher])[];
	readonly when: ((message: Message) => boolean) | undefined;
	readonly to: readonly string[];
}

/** Above this many rules, `all` mode computes unions without the per-combination cache. */
const MAX_MASK_RULES = 30;
const MAX_CACHED_UNIONS = 4096;

/**
 * Content-based routing: sets a message's `routeTo` from its type, source,
 * metadata or a predicate. Matching allocates nothing; a message already
 * routed where the rules send it is returned as is, otherwise one copy is
 * made (the route arrays are precomputed and shared). The hub drops messages
 * routed to no registered output with reason `unroutable`.
 *
 * @param rules - Tried in order.
 * @param options - See {@link RouterOptions}.
 * @example
 * ```ts
 * import { Hub, router } from 'polku';
 *
 * const routes = router(
 *   [
 *     { messageType: 'order.*', to: 'orders' },
 *     { messageType: '*.failed', to: ['alerts', 'audit'] },
 *     { metadata: { tenant: 'acme' }, when: (m) => m.payload.length > 1024, to: 'bulk' },
 *   ],
 *   { mode: 'all', default: 'archive' },
 * );
 * const hub = Hub.builder().middleware(routes).output(orders).output(alerts).output(audit).output(bulk).output(archive).build();
 * ```
 */
export function router(rules: readonly RouteRule[], options?: RouterOptions): Middleware {
	if (!Array.isArray(rules) || rules.length === 0) throw new ConfigError('router.rules', 'must be a non-empty array of rules');
	const o = optionsObject('router.options', options);
	const name = middlewareName('router.name', o.name, 'router');
	const mode = checkOneOf('router.mode', o.mode ?? 'first', ['first', 'all'] as const);
	const fallback = o.default === undefined ? undefined : routeList('router.default', o.default, true);
	const keepExisting = o.keepExisting === true;
	const compiled = rules.map((rule, i) => compileRule(`router.rules[${i}]`, rule));

	const unions = new Map<number, readonly string[]>();
	const unionOf = (mask: number, matched: readonly CompiledRule[]): readonly string[] => {
		let route = unions.get(mask);
		if (route === undefined) {
			route = Object.freeze([...new Set(matched.flatMap((r) => r.to))]);
			if (unions.size < MAX_CACHED_UNIONS) unions.set(mask, route);
		}
		return route;
	};

	const routeAll = (message: Message): readonly string[] | undefined => {
		if (compiled.length > MAX_MASK_RULES) {
			const matched = compiled.filter((r) => matches(r, message));
			return matched.length === 0 ? undefined : Object.freeze([...new Set(matched.flatMap((r) => r.to))]);
		}
		let mask = 0;
		let only: CompiledRule | undefined;
		for (let i = 0; i < compiled.length; i++) {
			const rule = compiled[i]!;
			if (!matches(rule, message)) continue;
			mask |= 1 << i;
			only = mask === 1 << i ? rule : undefined;
		}
		if (mask === 0) return undefined;
		if (only !== undefined) return only.to;
		return unions.get(mask) ?? unionOf(mask, compiled.filter((_, i) => (mask & (1 << i)) !== 0));
	};

	const routeFirst = (message: Message): readonly string[] | undefined => {
		for (let i = 0; i < compiled.length; i++) if (matches(compiled[i]!, message)) return compiled[i]!.to;
		return undefined;
	};

	const decide = mode === 'first' ? routeFirst : routeAll;
	return {
		name,
		process(message) {
			if (keepExisting && message.routeTo.length > 0) return message;
			const route = decide(message) ?? fallback;
			if (route === undefined || sameRoute(route, message.routeTo)) return message;
			return { ...message, routeTo: route };
		},
	};
}

function matches(rule: CompiledRule, message: Message): boolean {
	if (rule.messageType !== undefined && !rule.messageType(message.messageType)) return false;
	if (rule.source !== undefined && !rule.source(message.source)) return false;
	const metadata = rule.metadata;
	for (let i = 0; i < metadata.length; i++) {
		const condition = metadata[i]!;
		const value = entry(message.metadata, condition[0]);
		if (value === undefined || !condition[1](value)) return false;
	}
	return rule.when === undefined || Boolean(rule.when(message));
}

function sameRoute(a: readonly string[], b: readonly string[]): boolean {
	if (a.length !== b.length) return false;
	for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
	return true;
}

function compileRule(field: string, rule: RouteRule): CompiledRule {
	if (rule === null || typeof rule !== 'object') throw new ConfigError(field, 'must be an object');
	const meta = rule.metadata ?? {};
	if (meta === null || typeof meta !== 'object') throw new ConfigError(`${field}.metadata`, 'must be an object of patterns');
	return {
		messageType: rule.messageType === undefined ? undefined : compilePattern(`${field}.messageType`, rule.messageType),
		source: rule.source === undefined ? undefined : compilePattern(`${field}.source`, rule.source),
		metadata: Object.keys(meta).map((key) => [key, compilePattern(`${field}.metadata.${key}`, meta[key]!)] as const),
		when: rule.when === undefined ? undefined : checkFunction(`${field}.when`, rule.when),
		to: routeList(`${field}.to`, rule.to, false),
	};
}

function routeList(field: string, value: string | readonly string[], allowEmpty: boolean): readonly string[] {
	const list = typeof value === 'string' ? [value] : value;
	if (!Array.isArray(list) || (!allowEmpty && list.length === 0) || !list.every((n) => typeof n === 'string' && n.length > 0)) {
		throw new ConfigError(field, `must be an output name or a ${allowEmpty ? '' : 'non-empty '}list of output names`);
	}
	return Object.freeze([...new Set(list as readonly string[])]);
}

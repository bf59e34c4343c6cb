import { ConfigError, MessageValidationError } from '../errors.js';
import { payloadJson } from '../message/edit.js';
import type { Message } from '../message/message.js';
import { withEntry } from './internal/metadata.js';
import { middlewareName, optionsObject } from './internal/options.js';
import { isPromiseLike } from './internal/promise.js';
import { reject, type Middleware, type MiddlewareContext, type MiddlewareResult } from './middleware.js';
import { isStandardSchema, type StandardSchemaIssue, type StandardSchemaResult, type Validator } from './validators.js';

/**
 * The metadata key {@link validate} writes the reason into under
 * `onInvalid: 'tag'` or `{ route }`: `polku.invalid`.
 *
 * @example
 * ```ts
 * import { INVALID_REASON_KEY } from 'polku';
 *
 * const quarantine = { name: 'quarantine', send: async (batch) => batch.forEach((m) => log.warn(m.metadata[INVALID_REASON_KEY])) };
 * ```
 */
export const INVALID_REASON_KEY = 'polku.invalid';

/**
 * Options of {@link validate}.
 *
 * @example
 * ```ts
 * validate(orderSchema, { name: 'order-schema', onInvalid: { route: 'quarantine' } });
 * ```
 */
export interface ValidateOptions {
	/** The name in stats and events. @default 'validate' */
	readonly name?: string;
	/**
	 * What happens to an invalid message:
	 * - `drop`: `reject('invalid', cause)`, the cause a `MessageValidationError` naming the field;
	 * - `tag`: passed on with metadata `polku.invalid` set to the reason;
	 * - `{ route: 'name' }`: tagged the same way and routed to that output only.
	 * @default 'drop'
	 */
	readonly onInvalid?:
		| 'drop'
		| 'tag'
		| {
				/** The output invalid messages are routed to. */
				readonly route: string;
		  };
}

/** What is wrong: the field (`payload`, `payload.items.0.qty`) and the detail. */
interface Problem {
	readonly field: string;
	readonly detail: string;
}

type Step = (message: Message, json: unknown) => Problem | undefined | Promise<Problem | undefined>;

const UNPARSED = Symbol('unparsed');

/**
 * Validates messages with built-in checks ({@link json}, {@link nonEmpty},
 * {@link maxSize}, your own {@link PayloadCheck}) and Standard Schema
 * validators (Zod, Valibot, ArkType, … run on the JSON-parsed payload, parsed
 * once per message), in order; the first problem decides. Synchronous unless
 * a schema validates asynchronously. Invalid messages are counted under
 * `invalid` whatever `onInvalid` says.
 *
 * @param validators - One validator or a list.
 * @param options - See {@link ValidateOptions}.
 * @example
 * ```ts
 * import { z } from 'zod';
 * import { Hub, maxSize, validate } from 'polku';
 *
 * const Order = z.object({ id: z.string(), items: z.array(z.object({ sku: z.string(), qty: z.number().int().positive() })) });
 * const hub = Hub.builder()
 *   .middleware(validate([maxSize(64 * 1024), Order], { onInvalid: { route: 'quarantine' } }))
 *   .output(orders)
 *   .output(quarantine)
 *   .build();
 * ```
 */
export function validate(validators: Validator | readonly Validator[], options?: ValidateOptions): Middleware {
	const list: readonly Validator[] = Array.isArray(validators) ? validators : [validators as Validator];
	if (list.length === 0) throw new ConfigError('validate.validators', 'must name at least one validator');
	const o = optionsObject('validate.options', options);
	const name = middlewareName('validate.name', o.name, 'validate');
	const onInvalid = o.onInvalid ?? 'drop';
	let route: readonly string[] | undefined;
	if (typeof onInvalid === 'object' && onInvalid !== null) {
		if (typeof onInvalid.route !== 'string' || onInvalid.route.length === 0) throw new ConfigError('validate.onInvalid.route', 'must be an output name');
		route = Object.freeze([onInvalid.route]);
	} else if (onInvalid !== 'drop' && onInvalid !== 'tag') {
		throw new ConfigError('validate.onInvalid', `must be 'drop', 'tag' or { route: 'output' }, got ${String(onInvalid)}`);
	}
	const steps: Step[] = [];
	const needsJson: boolean[] = [];
	list.forEach((v, i) => {
		if (isStandardSchema(`validate.validators[${i}]`, v)) {
			const run = v['~standard'].validate;
			steps.push((_, value) => {
				const result = run(value);
				return isPromiseLike(result) ? Promise.resolve(result).then(schemaProblem) : schemaProblem(result);
			});
			needsJson.push(true);
		} else {
			steps.push((message, value) => {
				const detail = v.check(message, value);
				return detail === undefined ? undefined : { field: 'payload', detail };
			});
			needsJson.push(v.needsJson);
		}
	});
	let context: MiddlewareContext | undefined;

	const invalid = (message: Message, problem: Problem): MiddlewareResult => {
		if (onInvalid === 'drop') return reject('invalid', new MessageValidationError(problem.field, problem.detail));
		context?.count('invalid');
		const tagged = withEntry(message, INVALID_REASON_KEY, `${problem.field}: ${problem.detail}`);
		return route === undefined ? tagged : { ...tagged, routeTo: route };
	};

	const run = (message: Message, from: number, parsed: unknown): MiddlewareResult => {
		let json = parsed;
		for (let i = from; i < steps.length; i++) {
			if (needsJson[i] === true && json === UNPARSED) {
				try {
					json = payloadJson(message);
				} catch (error) {
					return invalid(message, { field: 'payload', detail: `is not JSON (${(error as Error).message})` });
				}
			}
			const problem = steps[i]!(message, json === UNPARSED ? undefined : json);
			if (isPromiseLike(problem)) {
				const next = i + 1;
				const value = json;
				return problem.then((p) => (p === undefined ? run(message, next, value) : invalid(message, p)));
			}
			if (problem !== undefined) return invalid(message, problem);
		}
		return message;
	};

	return {
		name,
		start(ctx) {
			context = ctx;
		},
		process: (message) => run(message, 0, UNPARSED),
	};
}

function schemaProblem(result: StandardSchemaResult<unknown>): Problem | undefined {
	const issues = result.issues;
	if (issues === undefined) return undefined;
	const first: StandardSchemaIssue | undefined = issues[0];
	if (first === undefined) return { field: 'payload', detail: 'is invalid' };
	const more = issues.length > 1 ? ` (and ${issues.length - 1} more issue${issues.length > 2 ? 's' : ''})` : '';
	return { field: issuePath(first), detail: `${first.message}${more}` };
}

function issuePath(issue: StandardSchemaIssue): string {
	let field = 'payload';
	for (const segment of issue.path ?? []) {
		const key = typeof segment === 'object' && segment !== null ? segment.key : segment;
		field += `.${String(key)}`;
	}
	return field;
}

import { ConfigError } from '../errors.js';
import type { Message } from '../message/message.js';
import { checkInteger } from './internal/options.js';

/**
 * A built-in check of {@link validate}: returns why a message is invalid, or
 * `undefined`. Write your own by implementing this interface.
 *
 * @example
 * ```ts
 * import type { PayloadCheck } from 'polku';
 *
 * const utf8Only: PayloadCheck = {
 *   needsJson: false,
 *   check: (msg) => (Buffer.from(msg.payload).toString('utf8').includes('\uFFFD') ? 'is not valid UTF-8' : undefined),
 * };
 * ```
 */
export interface PayloadCheck {
	/** Whether `check` needs the payload parsed as JSON (parsed once per message for every check and schema). */
	readonly needsJson: boolean;
	/**
	 * @param message - The message.
	 * @param json - The parsed payload when `needsJson`, else `undefined`.
	 * @returns What is wrong with the payload (e.g. `is empty`), or `undefined` when valid.
	 */
	check(message: Message, json: unknown): string | undefined;
}

/**
 * One path segment of a {@link StandardSchemaIssue} (Standard Schema v1).
 *
 * @example
 * ```ts
 * const segment: StandardSchemaPathSegment = { key: 'items' };
 * ```
 */
export interface StandardSchemaPathSegment {
	/** The property name or array index. */
	readonly key: PropertyKey;
}

/**
 * One problem reported by a Standard Schema validator.
 *
 * @example
 * ```ts
 * const issue: StandardSchemaIssue = { message: 'Expected number', path: ['items', 0, 'qty'] };
 * ```
 */
export interface StandardSchemaIssue {
	/** What is wrong, e.g. `Expected number`. */
	readonly message: string;
	/** Where in the value, outermost first; absent or empty for the value itself. */
	readonly path?: readonly (PropertyKey | StandardSchemaPathSegment)[] | undefined;
}

/**
 * What a Standard Schema validator returns: the (possibly transformed) value,
 * or the issues.
 *
 * @example
 * ```ts
 * const ok: StandardSchemaResult<number> = { value: 42 };
 * const bad: StandardSchemaResult<number> = { issues: [{ message: 'Expected number' }] };
 * ```
 */
export type StandardSchemaResult<Output> =
	| {
			/** The validated (possibly transformed) value. */
			readonly value: Output;
			/** Absent on success. */
			readonly issues?: undefined;
	  }
	| {
			/** Every problem found. */
			readonly issues: readonly StandardSchemaIssue[];
	  };

/**
 * The part of the Standard Schema v1 interface (https://standardschema.dev)
 * polku uses. Zod (3.24+), Valibot (1.0+), ArkType (2.0+) and others
 * implement it, so their schemas can be passed to {@link validate} as they
 * are; polku depends on none of them.
 *
 * @example
 * ```ts
 * import type { StandardSchemaV1 } from 'polku';
 *
 * const positive: StandardSchemaV1<unknown, number> = {
 *   '~standard': {
 *     version: 1,
 *     vendor: 'hand-written',
 *     validate: (v) => (typeof v === 'number' && v > 0 ? { value: v } : { issues: [{ message: 'Expected a positive number' }] }),
 *   },
 * };
 * ```
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
	/** The Standard Schema properties. */
	readonly '~standard': {
		/** The version of the Standard Schema interface: 1. */
		readonly version: 1;
		/** The library that made the schema, e.g. `zod`. */
		readonly vendor: string;
		/** Validates an unknown value. */
		readonly validate: (value: unknown) => StandardSchemaResult<Output> | Promise<StandardSchemaResult<Output>>;
		/** Type-level only: the schema's input and output types. */
		readonly types?:
			| {
					/** The type the schema accepts. */
					readonly input: Input;
					/** The type the schema produces. */
					readonly output: Output;
			  }
			| undefined;
	};
}

/**
 * What {@link validate} accepts: a built-in {@link PayloadCheck} or any
 * Standard Schema validator (run on the JSON-parsed payload).
 *
 * @example
 * ```ts
 * import { json, maxSize, type Validator } from 'polku';
 *
 * const checks: Validator[] = [maxSize(64 * 1024), json()];
 * ```
 */
export type Validator = PayloadCheck | StandardSchemaV1;

const jsonCheck: PayloadCheck = Object.freeze({ needsJson: true, check: () => undefined });
const nonEmptyCheck: PayloadCheck = Object.freeze({
	needsJson: false,
	check: (message: Message) => (message.payload.length === 0 ? 'is empty' : undefined),
});

/**
 * A {@link validate} check: the payload must be UTF-8 JSON.
 *
 * @example
 * ```ts
 * import { json, validate } from 'polku';
 *
 * validate(json());
 * ```
 */
export function json(): PayloadCheck {
	return jsonCheck;
}

/**
 * A {@link validate} check: the payload must not be empty.
 *
 * @example
 * ```ts
 * import { nonEmpty, validate } from 'polku';
 *
 * validate(nonEmpty(), { onInvalid: 'tag' });
 * ```
 */
export function nonEmpty(): PayloadCheck {
	return nonEmptyCheck;
}

/**
 * A {@link validate} check: the payload must be at most `bytes` long.
 *
 * @param bytes - The largest payload allowed, in bytes.
 * @example
 * ```ts
 * import { maxSize, validate } from 'polku';
 *
 * validate(maxSize(1024 * 1024));
 * ```
 */
export function maxSize(bytes: number): PayloadCheck {
	const limit = checkInteger('maxSize.bytes', bytes, 0);
	return Object.freeze({
		needsJson: false,
		check: (message: Message) => (message.payload.length > limit ? `is ${message.payload.length} bytes, over the limit of ${limit}` : undefined),
	});
}

/** True for a Standard Schema validator; throws `ConfigError` naming `field` for anything that is neither kind. */
export function isStandardSchema(field: string, validator: Validator): validator is StandardSchemaV1 {
	if (validator !== null && (typeof validator === 'object' || typeof validator === 'function')) {
		const standard = (validator as Partial<StandardSchemaV1>)['~standard'];
		if (standard !== undefined) {
			if (standard.version !== 1 || typeof standard.validate !== 'function') {
				throw new ConfigError(field, `is a Standard Schema of an unsupported version (${String(standard.version)}); polku supports version 1`);
			}
			return true;
		}
		const check = validator as Partial<PayloadCheck>;
		if (typeof check.check === 'function' && typeof check.needsJson === 'boolean') return false;
	}
	throw new ConfigError(field, 'must be a Standard Schema validator or a check such as json(), nonEmpty() or maxSize()');
}

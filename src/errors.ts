/**
 * Why a message left the pipeline without reaching an output.
 *
 * - `overflow`: the buffer was full under `drop-newest` (before the buffer) or
 *   `drop-oldest` (from one lagging output's view, naming that output).
 * - `unroutable`: `routeTo` named no registered output.
 * - `output-failed`: an output rejected the batch on every attempt and no
 *   dead-letter output was set (or the dead-letter output itself failed).
 * - `middleware-error`: a middleware threw, rejected or returned something that
 *   is not a message.
 * - `rejected`: a middleware refused the message on purpose by returning
 *   `reject(label)` (authentication, validation, rate limiting in drop mode);
 *   the error is a {@link RejectedError} carrying the label.
 * - `shutdown`: `stop()` reached its deadline while the message was still
 *   buffered, in flight or waiting for buffer space; or it was sent after
 *   `stop()` began.
 * - `invalid`: an input received something it could not turn into a message
 *   (a poison message: undecodable bytes, a malformed envelope) and gave up on
 *   it with `sink.dropInvalid()`; the message carries the raw bytes as payload.
 *
 * Filtering (a middleware returning `null`) is not a drop.
 *
 * @example
 * ```ts
 * import type { DropReason } from 'polku';
 *
 * const alertOn: ReadonlySet<DropReason> = new Set(['output-failed', 'shutdown']);
 * ```
 */
export type DropReason = 'overflow' | 'unroutable' | 'output-failed' | 'middleware-error' | 'rejected' | 'shutdown' | 'invalid';

/**
 * Every drop reason, in a fixed order (useful for metrics and dashboards).
 *
 * @example
 * ```ts
 * import { DROP_REASONS } from 'polku';
 *
 * const s = hub.stats();
 * for (const reason of DROP_REASONS) console.log(reason, s.dropped[reason]);
 * ```
 */
export const DROP_REASONS: readonly DropReason[] = Object.freeze([
	'overflow',
	'unroutable',
	'output-failed',
	'middleware-error',
	'rejected',
	'shutdown',
	'invalid',
]);

/**
 * Base class of every error polku throws or rejects with. `code` is stable and
 * safe to switch on.
 *
 * @example
 * ```ts
 * import { PolkuError } from 'polku';
 *
 * try {
 *   hub.start();
 * } catch (error) {
 *   if (error instanceof PolkuError) console.error(error.code, error.message);
 * }
 * ```
 */
export class PolkuError extends Error {
	/** A stable machine-readable code such as `ERR_POLKU_CONFIG`. */
	readonly code: string;

	constructor(code: string, message: string, options?: ErrorOptions) {
		super(message, options);
		this.name = new.target.name;
		this.code = code;
	}
}

/**
 * Thrown by `HubBuilder.build()` (and option parsers) for invalid
 * configuration. `field` names the offending option.
 *
 * @example
 * ```ts
 * import { ConfigError, Hub } from 'polku';
 *
 * try {
 *   Hub.builder().bufferCapacity(0).build();
 * } catch (error) {
 *   if (error instanceof ConfigError) console.error(error.field); // "bufferCapacity"
 * }
 * ```
 */
export class ConfigError extends PolkuError {
	/** The option that is wrong, e.g. `bufferCapacity` or `output "kafka".retry.attempts`. */
	readonly field: string;

	constructor(field: string, message: string) {
		super('ERR_POLKU_CONFIG', `${field}: ${message}`);
		this.field = field;
	}
}

/**
 * Thrown when something that should be a message is not one, e.g. a
 * `createMessage` init with a non-string `source`, or a middleware returning
 * an object without a `payload`. `field` names the offending field.
 *
 * @example
 * ```ts
 * import { createMessage, MessageValidationError } from 'polku';
 *
 * try {
 *   createMessage({ source: 'svc', messageType: 'x', metadata: { n: 1 as unknown as string } });
 * } catch (error) {
 *   if (error instanceof MessageValidationError) console.error(error.field); // "metadata.n"
 * }
 * ```
 */
export class MessageValidationError extends PolkuError {
	/** The message field that failed validation, e.g. `payload` or `metadata.region`. */
	readonly field: string;
	/** What is wrong with it, without the field name. */
	readonly detail: string;

	constructor(field: string, detail: string) {
		super('ERR_POLKU_INVALID_MESSAGE', `${field}: ${detail}`);
		this.field = field;
		this.detail = detail;
	}
}

/**
 * Rejection of `deliver()` / `deliverBatch()`: the message did not reach every
 * output it was routed to. `reason` says why; `output` names the output where
 * that happened, when there is one.
 *
 * `reason` is a {@link DropReason}, or `dead-lettered` when the message was
 * handed to a dead-letter output instead of its destination.
 *
 * @example
 * ```ts
 * import { DeliveryError } from 'polku';
 *
 * try {
 *   await hub.deliver({ source: 'orders', messageType: 'created', payload: '{}' });
 *   ack();
 * } catch (error) {
 *   if (error instanceof DeliveryError) nack(error.reason);
 * }
 * ```
 */
export class DeliveryError extends PolkuError {
	/** Why the message was not delivered. */
	readonly reason: DropReason | 'dead-lettered';
	/** The output where delivery failed, if the failure belongs to one output. */
	readonly output: string | undefined;

	constructor(reason: DropReason | 'dead-lettered', output: string | undefined, cause?: unknown) {
		const where = output === undefined ? '' : ` at output "${output}"`;
		super('ERR_POLKU_NOT_DELIVERED', `message not delivered: ${reason}${where}`, cause === undefined ? undefined : { cause });
		this.reason = reason;
		this.output = output;
	}
}

/**
 * Thrown or rejected when the hub is used in a state that does not allow the
 * call, such as `send()` before `start()` or `start()` twice.
 *
 * @example
 * ```ts
 * import { HubStateError } from 'polku';
 *
 * await hub.send(init).catch((error) => {
 *   if (error instanceof HubStateError) console.error('start the hub first');
 * });
 * ```
 */
export class HubStateError extends PolkuError {
	constructor(message: string) {
		super('ERR_POLKU_HUB_STATE', message);
	}
}

/**
 * The rejection polku records when an output's `send()` does not settle in
 * time, or when a send failed for a reason outside the output (for instance a
 * synchronous throw that was not an `Error`).
 *
 * @example
 * ```ts
 * import { OutputError } from 'polku';
 *
 * hub.on('drop', ({ error }) => {
 *   if (error instanceof OutputError) console.error(error.output, error.message);
 * });
 * ```
 */
export class OutputError extends PolkuError {
	/** The output whose send failed. */
	readonly output: string;

	constructor(output: string, message: string, options?: ErrorOptions, code = 'ERR_POLKU_OUTPUT') {
		super(code, `output "${output}": ${message}`, options);
		this.output = output;
	}
}

/**
 * Why a middleware rejected a message (drop reason `rejected`): `label` is the
 * middleware's own reason, such as `unauthorized` or `invalid`.
 *
 * @example
 * ```ts
 * import { RejectedError } from 'polku';
 *
 * hub.on('drop', ({ reason, error }) => {
 *   if (reason === 'rejected' && error instanceof RejectedError) console.warn(error.middleware, error.label);
 * });
 * ```
 */
export class RejectedError extends PolkuError {
	/** The middleware's reason, e.g. `unauthorized`, `invalid`, `rate-limited`. */
	readonly label: string;
	/** The middleware that rejected the message. */
	readonly middleware: string;

	constructor(middleware: string, label: string, cause?: unknown) {
		const detail = cause instanceof Error ? `: ${cause.message}` : '';
		super('ERR_POLKU_REJECTED', `rejected by middleware "${middleware}" (${label})${detail}`, cause === undefined ? undefined : { cause });
		this.label = label;
		this.middleware = middleware;
	}
}

/**
 * A send that did not settle within its time limit (per-output `timeoutMs`
 * or the `timeout()` wrapper). The send's `AbortSignal` is aborted with it.
 *
 * @example
 * ```ts
 * import { SendTimeoutError } from 'polku';
 *
 * hub.on('retry', ({ error }) => {
 *   if (error instanceof SendTimeoutError) console.warn(`${error.output} took over ${error.timeoutMs} ms`);
 * });
 * ```
 */
export class SendTimeoutError extends OutputError {
	readonly timeoutMs: number;

	constructor(output: string, timeoutMs: number) {
		super(output, `send did not settle within ${timeoutMs} ms`, undefined, 'ERR_POLKU_SEND_TIMEOUT');
		this.timeoutMs = timeoutMs;
	}
}

/**
 * A send refused because the output's circuit breaker is open.
 *
 * @example
 * ```ts
 * import { CircuitOpenError } from 'polku';
 *
 * hub.on('drop', ({ error }) => {
 *   if (error instanceof CircuitOpenError) console.warn(`${error.output} is switched off for now`);
 * });
 * ```
 */
export class CircuitOpenError extends OutputError {
	constructor(output: string) {
		super(output, 'circuit breaker is open', undefined, 'ERR_POLKU_CIRCUIT_OPEN');
	}
}

/** Turns anything thrown into an `Error` without losing it (the value is the `cause`). Never throws. */
export function toError(value: unknown): Error {
	if (value instanceof Error) return value;
	return new PolkuError('ERR_POLKU_NON_ERROR', `non-error thrown: ${describeThrown(value)}`, { cause: value });
}

/** A short, safe description of any thrown value: `String()` can throw (a null-prototype object, a throwing `toString`). */
function describeThrown(value: unknown): string {
	try {
		return String(value).slice(0, 200);
	} catch {
		// fall through
	}
	try {
		const json = JSON.stringify(value);
		if (json !== undefined) return json.slice(0, 200);
	} catch {
		// fall through
	}
	try {
		return Object.prototype.toString.call(value);
	} catch {
		return `a value of type ${typeof value}`;
	}
}

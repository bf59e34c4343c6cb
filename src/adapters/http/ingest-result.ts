import type { BatchOutcome, DeliveryBatchOutcome, Message } from '../../index.js';

/**
 * One message of a request that the hub did not take: `code` is the drop
 * reason (`overflow`, `rejected`, `middleware-error`, `unroutable`,
 * `shutdown`, and with `ackAfterDelivery` also `output-failed` or
 * `dead-lettered`).
 *
 * @example
 * ```ts
 * const body = (await res.json()) as IngestResponse;
 * for (const e of body.errors) console.warn(`#${e.index} ${e.id}: ${e.code} ${e.message}`);
 * ```
 */
export interface IngestError {
	/** Position of the event in the request (0 for a raw body). */
	readonly index: number;
	readonly id: string;
	readonly code: string;
	readonly message: string;
	/** The output where delivery failed (with `ackAfterDelivery`). */
	readonly output?: string;
}

/**
 * The JSON body of an ingest response (202, 200, 207, 429, 503 after admission).
 * `accepted + filtered + errors.length` is the number of events sent; `ids`
 * lists every event that is not in `errors` (accepted, or filtered out on
 * purpose by a middleware), never one that was dropped.
 *
 * @example
 * ```ts
 * const { accepted, ids, errors } = (await res.json()) as IngestResponse;
 * ```
 */
export interface IngestResponse {
	/** Accepted into the buffer (with `ackAfterDelivery`: delivered to every output). */
	readonly accepted: number;
	/** Filtered out by a middleware on purpose (not an error). */
	readonly filtered: number;
	readonly ids: readonly string[];
	readonly errors: readonly IngestError[];
}

/** An HTTP status and JSON body for an outcome. */
export interface IngestReply {
	readonly status: number;
	readonly body: IngestResponse;
	/** Set for 429 / 503: the client should retry the failed events later. */
	readonly retry: boolean;
}

/**
 * The status for an outcome: 202 (200 after delivery) when nothing was
 * dropped; 429 when any event was dropped for overflow; 503 when any was
 * dropped for shutdown; 207 when events were dropped for other reasons
 * (rejected, middleware error, unroutable, output failure): the body says which.
 */
function statusOf(errors: readonly IngestError[], okStatus: number): { status: number; retry: boolean } {
	if (errors.length === 0) return { status: okStatus, retry: false };
	let overflow = false;
	let shutdown = false;
	for (const e of errors) {
		if (e.code === 'overflow') overflow = true;
		else if (e.code === 'shutdown') shutdown = true;
	}
	if (overflow) return { status: 429, retry: true };
	if (shutdown) return { status: 503, retry: true };
	return { status: 207, retry: false };
}

/** The reply for a `sendBatch` outcome. */
export function sendReply(messages: readonly Message[], outcome: BatchOutcome): IngestReply {
	const errors: IngestError[] = outcome.dropped.map((d) => ({
		index: d.index,
		id: d.id,
		code: d.reason,
		message: d.error?.message ?? describeReason(d.reason),
	}));
	const { status, retry } = statusOf(errors, 202);
	return { status, retry, body: { accepted: outcome.accepted, filtered: outcome.filtered, ids: idsExcept(messages, errors), errors } };
}

/** The reply for a `deliverBatch` outcome. */
export function deliverReply(messages: readonly Message[], outcome: DeliveryBatchOutcome): IngestReply {
	const errors: IngestError[] = [...outcome.failed]
		.sort((a, b) => a.index - b.index)
		.map((f) => {
			const base = { index: f.index, id: f.id, code: f.reason, message: f.error?.message ?? describeReason(f.reason) };
			return f.output === undefined ? base : { ...base, output: f.output };
		});
	const { status, retry } = statusOf(errors, 200);
	return { status, retry, body: { accepted: outcome.delivered, filtered: outcome.filtered, ids: idsExcept(messages, errors), errors } };
}

/** Ids of `messages` whose index is not in `errors` (sorted by index). */
function idsExcept(messages: readonly Message[], errors: readonly IngestError[]): string[] {
	const ids: string[] = [];
	let e = 0;
	for (let i = 0; i < messages.length; i++) {
		if (e < errors.length && errors[e]!.index === i) {
			while (e < errors.length && errors[e]!.index === i) e++;
			continue;
		}
		ids.push(messages[i]!.id);
	}
	return ids;
}

function describeReason(reason: string): string {
	switch (reason) {
		case 'overflow':
			return 'the buffer is full';
		case 'unroutable':
			return 'route_to names no output';
		case 'shutdown':
			return 'the gateway is shutting down';
		case 'dead-lettered':
			return 'delivery failed; the event went to the dead-letter output';
		default:
			return reason;
	}
}

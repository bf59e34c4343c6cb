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
 * Most refused events listed one by one in {@link IngestResponse.errors}; the
 * rest are counted in `refused` and `refusedByCode`, so the answer to a large
 * request stays small.
 *
 * @example
 * ```ts
 * const { errors, refused } = (await res.json()) as IngestResponse;
 * if (refused > errors.length) console.warn(`${refused - errors.length} more refused events not listed (max ${MAX_LISTED_ERRORS})`);
 * ```
 */
export const MAX_LISTED_ERRORS = 100;

/**
 * The JSON body of an ingest response (202, 200, 207, 429, 503 after admission).
 * `accepted + filtered + refused` is the number of events sent; `ids` lists
 * every event that was not refused (accepted, or filtered out on purpose by a
 * middleware), so an event whose id is not in `ids` is one to retry. `errors`
 * details the first {@link MAX_LISTED_ERRORS} refused events (by index);
 * `refusedByCode` counts all of them.
 *
 * @example
 * ```ts
 * const { accepted, ids, refused, refusedByCode, errors } = (await res.json()) as IngestResponse;
 * ```
 */
export interface IngestResponse {
	/** Accepted into the buffer (with `ackAfterDelivery`: delivered to every output). */
	readonly accepted: number;
	/** Filtered out by a middleware on purpose (not an error). */
	readonly filtered: number;
	/** Events not taken (dropped, or with `ackAfterDelivery` failed): every one, listed or not. */
	readonly refused: number;
	/** `refused` by code, e.g. `{ "overflow": 9000 }`. */
	readonly refusedByCode: Readonly<Record<string, number>>;
	readonly ids: readonly string[];
	/** The first {@link MAX_LISTED_ERRORS} refused events, in request order. */
	readonly errors: readonly IngestError[];
}

/** An HTTP status and JSON body for an outcome. */
export interface IngestReply {
	readonly status: number;
	readonly body: IngestResponse;
	/** Set for 429 / 503: the client should retry the failed events later. */
	readonly retry: boolean;
}

interface Refusal {
	readonly index: number;
	readonly id: string;
	readonly reason: string;
	readonly error?: Error | undefined;
	readonly output?: string | undefined;
}

/**
 * The status for refusals: 202 (200 after delivery) when nothing was
 * refused; 429 when any event was dropped for overflow; 503 when any was
 * dropped for shutdown; 207 when events were refused for other reasons
 * (rejected, middleware error, unroutable, output failure): the body says which.
 */
function statusOf(byCode: Readonly<Record<string, number>>, refused: number, okStatus: number): { status: number; retry: boolean } {
	if (refused === 0) return { status: okStatus, retry: false };
	if (byCode['overflow'] !== undefined) return { status: 429, retry: true };
	if (byCode['shutdown'] !== undefined) return { status: 503, retry: true };
	return { status: 207, retry: false };
}

/** The reply for a `sendBatch` outcome. */
export function sendReply(messages: readonly Message[], outcome: BatchOutcome): IngestReply {
	return reply(messages, outcome.accepted, outcome.filtered, outcome.dropped, 202);
}

/** The reply for a `deliverBatch` outcome. */
export function deliverReply(messages: readonly Message[], outcome: DeliveryBatchOutcome): IngestReply {
	return reply(messages, outcome.delivered, outcome.filtered, outcome.failed, 200);
}

const NO_CODES: Readonly<Record<string, number>> = Object.freeze({});

function reply(messages: readonly Message[], accepted: number, filtered: number, refusals: readonly Refusal[], okStatus: number): IngestReply {
	const sorted = byIndex(refusals);
	const byCode = sorted.length === 0 ? NO_CODES : (Object.create(null) as Record<string, number>);
	const errors: IngestError[] = [];
	for (const r of sorted) {
		(byCode as Record<string, number>)[r.reason] = (byCode[r.reason] ?? 0) + 1;
		if (errors.length === MAX_LISTED_ERRORS) continue;
		const base = { index: r.index, id: r.id, code: r.reason, message: r.error?.message ?? describeReason(r.reason) };
		errors.push(r.output === undefined ? base : { ...base, output: r.output });
	}
	const { status, retry } = statusOf(byCode, sorted.length, okStatus);
	return { status, retry, body: { accepted, filtered, refused: sorted.length, refusedByCode: byCode, ids: idsExcept(messages, sorted), errors } };
}

function byIndex<T extends { readonly index: number }>(list: readonly T[]): readonly T[] {
	for (let i = 1; i < list.length; i++) if (list[i]!.index < list[i - 1]!.index) return [...list].sort((a, b) => a.index - b.index);
	return list;
}

/** Ids of `messages` whose index is not among the (sorted) refusals. */
function idsExcept(messages: readonly Message[], refused: readonly Refusal[]): string[] {
	const ids: string[] = [];
	let e = 0;
	for (let i = 0; i < messages.length; i++) {
		if (e < refused.length && refused[e]!.index === i) {
			while (e < refused.length && refused[e]!.index === i) e++;
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

import { RejectedError, type BatchDrop, type BatchOutcome, type DeliveryBatchOutcome, type DeliveryFailure, type DropReason, type Message, type Sink } from '../../index.js';
import type { GrpcAck, GrpcAckError, GrpcAckStats } from './codec/ack.js';
import type { DecodeFailure } from './codec/json-events.js';

/**
 * `Ack.errors[].code` for each way an event can fail to be accepted: a hub
 * drop reason, `dead-lettered` (ackAfterDelivery), or `invalid` (the request
 * could not be decoded).
 *
 * @example
 * ```ts
 * import { ACK_ERROR_CODES } from 'polku/grpc';
 *
 * const retryable = new Set([ACK_ERROR_CODES.overflow, ACK_ERROR_CODES.shutdown]); // 'OVERFLOW', 'SHUTDOWN'
 * ```
 */
export const ACK_ERROR_CODES: Readonly<Record<DropReason | 'dead-lettered' | 'invalid', string>> = Object.freeze({
	overflow: 'OVERFLOW',
	unroutable: 'UNROUTABLE',
	'output-failed': 'OUTPUT_FAILED',
	'middleware-error': 'MIDDLEWARE_ERROR',
	rejected: 'REJECTED',
	shutdown: 'SHUTDOWN',
	'dead-lettered': 'DEAD_LETTERED',
	invalid: 'INVALID',
});

const DEFAULT_MESSAGES: Readonly<Record<DropReason | 'dead-lettered', string>> = {
	overflow: 'buffer full: dropped under the overflow policy',
	unroutable: 'route_to names no registered output',
	'output-failed': 'an output failed the event',
	'middleware-error': 'a middleware failed on the event',
	rejected: 'rejected by a middleware',
	shutdown: 'the hub shut down before accepting the event',
	'dead-lettered': 'the event went to a dead-letter output instead of its destination',
	invalid: 'the event could not be decoded',
};

const NO_ERRORS: readonly GrpcAckError[] = Object.freeze([]);

function dropError(reason: DropReason | 'dead-lettered', id: string, error: Error | undefined, output: string | undefined): GrpcAckError {
	let message = error?.message ?? DEFAULT_MESSAGES[reason];
	if (output !== undefined && !message.includes(output)) message = `${message} (output "${output}")`;
	return { eventId: id, code: ACK_ERROR_CODES[reason], message };
}

/** Ids of `messages` except those at the (ascending) indices of `failed`. */
function acceptedIds(messages: readonly Message[], failed: readonly { readonly index: number }[]): string[] {
	const ids: string[] = new Array(messages.length - failed.length);
	let f = 0;
	let n = 0;
	for (let i = 0; i < messages.length; i++) {
		if (f < failed.length && failed[f]!.index === i) {
			f++;
			continue;
		}
		ids[n++] = messages[i]!.id;
	}
	return ids;
}

const byIndex = <T extends { readonly index: number }>(list: readonly T[]): readonly T[] => {
	for (let i = 1; i < list.length; i++) if (list[i]!.index < list[i - 1]!.index) return [...list].sort((a, b) => a.index - b.index);
	return list;
};

function stats(received: number, forwarded: number, filtered: number, drops: readonly (BatchDrop | DeliveryFailure)[]): GrpcAckStats {
	let bufferOverflow = 0;
	let rateLimited = 0;
	for (const d of drops) {
		if (d.reason === 'overflow') bufferOverflow++;
		else if (d.reason === 'rejected' && d.error instanceof RejectedError && d.error.label === 'rate-limited') rateLimited++;
	}
	return { rateLimited, sampledOut: 0, dedup: 0, filtered, bufferOverflow, received, forwarded };
}

/** The Ack of a batch handed over with `Sink.sendBatch`. */
export function ackFromSend(messages: readonly Message[], outcome: BatchOutcome, sink: Sink, withStats: boolean): GrpcAck {
	const drops = byIndex(outcome.dropped);
	return {
		eventIds: drops.length === 0 ? messages.map(idOf) : acceptedIds(messages, drops),
		errors: drops.length === 0 ? NO_ERRORS : drops.map((d) => dropError(d.reason, d.id, d.error, undefined)),
		bufferSize: sink.bufferSize,
		bufferCapacity: sink.bufferCapacity,
		stats: withStats ? stats(messages.length, outcome.accepted, outcome.filtered, drops) : undefined,
	};
}

/** The Ack of a batch handed over with `Sink.deliverBatch`. */
export function ackFromDelivery(messages: readonly Message[], outcome: DeliveryBatchOutcome, sink: Sink, withStats: boolean): GrpcAck {
	const failed = byIndex(outcome.failed);
	return {
		eventIds: failed.length === 0 ? messages.map(idOf) : acceptedIds(messages, failed),
		errors: failed.length === 0 ? NO_ERRORS : failed.map((f) => dropError(f.reason, f.id, f.error, f.output)),
		bufferSize: sink.bufferSize,
		bufferCapacity: sink.bufferCapacity,
		stats: withStats ? stats(messages.length, outcome.delivered, outcome.filtered, failed) : undefined,
	};
}

/** The Ack of a request that could not be decoded: errors only, no ids. */
export function ackFromFailures(failures: readonly DecodeFailure[], sink: Sink): GrpcAck {
	return {
		eventIds: [],
		errors: failures.map((f) => ({ eventId: f.eventId, code: ACK_ERROR_CODES.invalid, message: f.message })),
		bufferSize: sink.bufferSize,
		bufferCapacity: sink.bufferCapacity,
	};
}

/** The Ack of a batch the sink refused outright (misuse: it rejected instead of resolving). */
export function ackFromSinkError(messages: readonly Message[], error: unknown, sink: Sink): GrpcAck {
	const message = error instanceof Error ? error.message : String(error);
	return {
		eventIds: [],
		errors: messages.map((m) => ({ eventId: m.id, code: 'INTERNAL', message })),
		bufferSize: sink.bufferSize,
		bufferCapacity: sink.bufferCapacity,
	};
}

function idOf(m: Message): string {
	return m.id;
}

import type { GrpcAckError } from '../grpc/codec/ack.js';

/** What a WebSocketOutput reads from an ack frame: the errors (the ids are not needed to settle the send). */
export interface AckFrame {
	readonly accepted: number;
	readonly errors: readonly GrpcAckError[];
}

/**
 * Reads an ack frame (the gRPC `Ack` as JSON, as `WebSocketInput` writes it).
 * Returns a description of the problem when the frame is not one.
 */
export function parseAckFrame(text: string): AckFrame | string {
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		return `not JSON: ${JSON.stringify(text.slice(0, 80))}`;
	}
	if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
	const { eventIds, errors } = value as { eventIds?: unknown; errors?: unknown };
	if (!Array.isArray(eventIds) || !Array.isArray(errors)) return 'has no eventIds and errors arrays';
	const list: GrpcAckError[] = [];
	for (const e of errors as unknown[]) {
		const { eventId, code, message } = (e ?? {}) as { eventId?: unknown; code?: unknown; message?: unknown };
		if (typeof code !== 'string') return 'has an error without a code';
		list.push({ eventId: typeof eventId === 'string' ? eventId : '', code, message: typeof message === 'string' ? message : '' });
	}
	return { accepted: eventIds.length, errors: list };
}

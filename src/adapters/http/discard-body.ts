import type { IncomingMessage, ServerResponse } from 'node:http';

/** Most bytes of a refused request's body read (and thrown away) after its answer was written. */
export const DISCARD_BYTES = 8 * 1024 * 1024;
/** Longest a refused request's body is read after its answer was written. */
export const DISCARD_MS = 5000;

const NOTHING = (): void => {};

/** Whether the request has a body that was not read (yet). */
export function hasUnreadBody(request: IncomingMessage): boolean {
	if (request.complete || request.readableEnded) return false;
	const headers = request.headers;
	const length = headers['content-length'];
	return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Ends `response` (written, with `Connection: close`, but not ended) only once
 * the rest of the request's body has been read and discarded. Closing a
 * connection with bytes the server never read makes the OS answer with a
 * reset, which can destroy the answer before the client reads it: an upload
 * refused with 413 then fails with ECONNRESET / EPIPE instead. The read is
 * bounded: at most {@link DISCARD_BYTES} (a body declared larger is not read
 * at all) and {@link DISCARD_MS}; past either the connection is closed anyway.
 *
 * @returns A function that stops reading and ends the response now (shutdown).
 */
export function endAfterBody(request: IncomingMessage, response: ServerResponse): () => void {
	const declared = Number(request.headers['content-length']);
	if (declared > DISCARD_BYTES || request.destroyed) {
		response.end();
		return NOTHING;
	}
	let size = 0;
	let done = false;
	const finish = (): void => {
		if (done) return;
		done = true;
		clearTimeout(timer);
		request.off('data', onData);
		request.off('end', finish);
		request.off('error', finish);
		request.off('close', finish);
		response.end(); // Node closes the connection after it (Connection: close)
	};
	const onData = (chunk: Buffer): void => {
		size += chunk.length;
		if (size > DISCARD_BYTES) finish();
	};
	const timer = setTimeout(finish, DISCARD_MS);
	request.on('data', onData);
	request.on('end', finish);
	request.on('error', finish);
	request.on('close', finish);
	request.resume();
	return finish;
}

import type { IncomingMessage } from 'node:http';

const EMPTY = Buffer.alloc(0);

/** How reading a body ended. */
export type BodyResult =
	| { readonly status: 'ok'; readonly body: Buffer }
	| { readonly status: 'too-large' }
	| { readonly status: 'aborted' }
	| { readonly status: 'cancelled' };

/**
 * Reads a request body of at most `limit` bytes. Past the limit it stops
 * reading at once (the request is paused; nothing more is buffered) and
 * resolves `too-large`. `cancel()` stops reading the same way (shutdown).
 */
export function readBody(request: IncomingMessage, limit: number): { readonly done: Promise<BodyResult>; cancel(): void } {
	let finish!: (result: BodyResult) => void;
	const done = new Promise<BodyResult>((resolve) => (finish = resolve));
	const chunks: Buffer[] = [];
	let size = 0;
	let settled = false;
	const settle = (result: BodyResult): void => {
		if (settled) return;
		settled = true;
		request.off('data', onData);
		request.off('end', onEnd);
		request.off('error', onAborted);
		request.off('close', onAborted);
		if (result.status !== 'ok') {
			request.pause();
			chunks.length = 0;
		}
		finish(result);
	};
	const onData = (chunk: Buffer): void => {
		size += chunk.length;
		if (size > limit) settle({ status: 'too-large' });
		else chunks.push(chunk);
	};
	const onEnd = (): void => {
		settle({ status: 'ok', body: chunks.length === 0 ? EMPTY : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
	};
	const onAborted = (): void => settle({ status: 'aborted' });
	request.on('data', onData);
	request.on('end', onEnd);
	request.on('error', onAborted);
	request.on('close', onAborted);
	return { done, cancel: () => settle({ status: 'cancelled' }) };
}

import { request, type IncomingHttpHeaders } from 'node:http';
import type { BatchOptions, BatchOutcome, DeliveryBatchOutcome, Sink } from '../../src/input/input.js';
import type { Message, MessageLike } from '../../src/message/message.js';

export interface Reply {
	readonly status: number;
	readonly headers: IncomingHttpHeaders;
	readonly text: string;
	readonly json: any;
}

/** One HTTP request over loopback; resolves with the whole response. */
export function call(port: number, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> {
	return new Promise((resolve, reject) => {
		const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			res.on('end', () => {
				const text = Buffer.concat(chunks).toString('utf8');
				let json: unknown;
				try {
					json = JSON.parse(text);
				} catch {
					json = undefined;
				}
				resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
			});
		});
		req.on('error', reject);
		req.end(body);
	});
}

export const postJson = (port: number, path: string, value: unknown, headers: Record<string, string> = {}): Promise<Reply> =>
	call(port, 'POST', path, typeof value === 'string' ? value : JSON.stringify(value), { 'content-type': 'application/json', ...headers });

/** A Sink that records calls and answers with what the test says. */
export class FakeSink implements Sink {
	readonly sent: Message[][] = [];
	bufferSize = 0;
	bufferCapacity = 100;
	/** How sendBatch answers; default accepts everything. */
	onSend: (messages: readonly Message[], options?: BatchOptions) => Promise<BatchOutcome> = (ms) => Promise.resolve({ accepted: ms.length, filtered: 0, dropped: [] });
	onDeliver: (messages: readonly Message[], options?: BatchOptions) => Promise<DeliveryBatchOutcome> = (ms) => Promise.resolve({ delivered: ms.length, filtered: 0, failed: [] });

	send(): never {
		throw new Error('HttpInput must use sendBatch');
	}
	deliver(): never {
		throw new Error('HttpInput must use deliverBatch');
	}
	dropInvalid(): never {
		throw new Error('HttpInput answers bad requests; it never drops them as invalid');
	}
	sendBatch(messages: readonly MessageLike[], options?: BatchOptions): Promise<BatchOutcome> {
		this.sent.push(messages as Message[]);
		return this.onSend(messages as Message[], options);
	}
	deliverBatch(messages: readonly MessageLike[], options?: BatchOptions): Promise<DeliveryBatchOutcome> {
		this.sent.push(messages as Message[]);
		return this.onDeliver(messages as Message[], options);
	}
}

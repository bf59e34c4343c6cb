import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { fromJsonEvent } from '../../src/index.js';
import { OutputError } from '../../src/errors.js';
import { StdoutOutput, type LineStream } from '../../src/gateway/index.js';
import { createMessage } from '../../src/message/message.js';

/** A stream that asks to drain after `highWater` writes. */
class FakeStream extends EventEmitter implements LineStream {
	readonly chunks: string[] = [];
	writableNeedDrain = false;
	constructor(readonly highWater = Infinity) {
		super();
	}
	write(chunk: string): boolean {
		this.chunks.push(chunk);
		this.writableNeedDrain = this.chunks.length >= this.highWater;
		return !this.writableNeedDrain;
	}
	drain(): void {
		this.writableNeedDrain = false;
		this.emit('drain');
	}
}

const batch = [createMessage({ id: 'a', source: 's', messageType: 't', payload: 'hej' }), createMessage({ id: 'b', source: 's', messageType: 'u' })];

describe('StdoutOutput', () => {
	it('writes a batch as JSON lines in one write', async () => {
		const stream = new FakeStream();
		const out = new StdoutOutput({ stream, payloadEncoding: 'utf8' });
		await out.send(batch);
		assert.equal(stream.chunks.length, 1);
		const lines = stream.chunks[0]!.split('\n');
		assert.equal(lines.pop(), '');
		const back = lines.map((l) => fromJsonEvent(JSON.parse(l), { source: '?' }));
		assert.deepEqual(back.map((m) => [m.id, Buffer.from(m.payload).toString()]), [['a', 'hej'], ['b', '']]);
	});

	it('waits for drain when the stream pushes back', async () => {
		const stream = new FakeStream(1);
		const out = new StdoutOutput({ stream });
		let done = false;
		const sending = out.send(batch).then(() => (done = true));
		await new Promise((resolve) => setImmediate(resolve));
		assert.equal(done, false);
		let closed = false;
		const closing = out.close().then(() => (closed = true));
		await new Promise((resolve) => setImmediate(resolve));
		assert.equal(closed, false, 'close waits for the drain too');
		stream.drain();
		await sending;
		await closing;
	});

	it('fails sends after a stream error (EPIPE) instead of crashing', async () => {
		const stream = new FakeStream();
		const out = new StdoutOutput({ stream, name: 'stdout' });
		stream.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
		assert.equal(out.health(), false);
		await assert.rejects(out.send(batch), (error: unknown) => error instanceof OutputError && /EPIPE/.test(error.message));
	});
});

import { PolkuError } from '../errors.js';
import type { BatchOutcome, DeliveryBatchOutcome, DeliveryOutcome, Input, SendOutcome, Sink } from '../input/input.js';
import type { MessageLike } from '../message/message.js';

/**
 * An input that host code (usually a test) pushes messages into. It runs
 * until {@link MemoryInput.end} is called or the hub stops. Pushing before the
 * hub has started waits for it.
 *
 * @example
 * ```ts
 * import { Hub } from 'polku';
 * import { MemoryInput, MemoryOutput } from 'polku/testing';
 *
 * const input = new MemoryInput();
 * const out = new MemoryOutput();
 * const hub = Hub.builder().input(input).output(out).build();
 * await hub.start();
 * const outcome = await input.push({ source: 'test', messageType: 'ping' }); // { status: 'accepted', id }
 * await input.push([{ source: 'test', messageType: 'a' }, { source: 'test', messageType: 'b' }]);
 * await hub.stop();
 * out.messages.length; // 3
 * ```
 */
export class MemoryInput implements Input {
	readonly name: string;
	#sink: Sink | undefined;
	#sinkReady: Promise<Sink>;
	#gotSink!: (sink: Sink) => void;
	#ended = false;
	#endRun: (() => void) | undefined;

	/** @param name - The input's name. @default 'memory' */
	constructor(name = 'memory') {
		this.name = name;
		this.#sinkReady = new Promise((resolve) => (this.#gotSink = resolve));
	}

	/** True after {@link MemoryInput.end}. */
	get ended(): boolean {
		return this.#ended;
	}

	/** @internal Called by the hub. */
	run(sink: Sink, signal: AbortSignal): Promise<void> {
		this.#sink = sink;
		this.#gotSink(sink);
		if (this.#ended || signal.aborted) return Promise.resolve();
		return new Promise((resolve) => {
			const done = (): void => {
				signal.removeEventListener('abort', done);
				resolve();
			};
			this.#endRun = done;
			signal.addEventListener('abort', done, { once: true });
		});
	}

	/** Sends one message (resolves with its outcome) or a batch (resolves with the batch outcome). */
	push(message: MessageLike): Promise<SendOutcome>;
	push(messages: readonly MessageLike[]): Promise<BatchOutcome>;
	push(value: MessageLike | readonly MessageLike[]): Promise<SendOutcome | BatchOutcome> {
		return this.#withSink<SendOutcome | BatchOutcome>((sink) => (Array.isArray(value) ? sink.sendBatch(value) : sink.send(value as MessageLike)));
	}

	/** Like `push`, but resolves when the outputs confirmed (see `Sink.deliver`). */
	deliver(message: MessageLike): Promise<DeliveryOutcome>;
	deliver(messages: readonly MessageLike[]): Promise<DeliveryBatchOutcome>;
	deliver(value: MessageLike | readonly MessageLike[]): Promise<DeliveryOutcome | DeliveryBatchOutcome> {
		return this.#withSink<DeliveryOutcome | DeliveryBatchOutcome>((sink) =>
			Array.isArray(value) ? sink.deliverBatch(value) : sink.deliver(value as MessageLike),
		);
	}

	/** Ends the input: `run()` returns and further pushes reject. */
	end(): void {
		this.#ended = true;
		this.#endRun?.();
	}

	#withSink<T>(fn: (sink: Sink) => Promise<T>): Promise<T> {
		if (this.#ended) return Promise.reject(new PolkuError('ERR_POLKU_INPUT_ENDED', `input "${this.name}" has ended`));
		return this.#sink === undefined ? this.#sinkReady.then(fn) : fn(this.#sink);
	}
}

import { toJsonEvent } from '../json-event/encode.js';
import type { PayloadEncoding } from '../json-event/fields.js';
import { OutputError } from '../errors.js';
import type { Message } from '../message/message.js';
import type { Output } from '../output/output.js';

/**
 * A writable stream such as `process.stdout`.
 *
 * @example
 * ```ts
 * const target: LineStream = process.stdout;
 * ```
 */
export interface LineStream {
	write(chunk: string): boolean;
	once(event: 'drain' | 'error', listener: (error?: Error) => void): unknown;
	on(event: 'error', listener: (error: Error) => void): unknown;
	off(event: 'drain' | 'error', listener: (error?: Error) => void): unknown;
	readonly writableNeedDrain?: boolean;
}

/**
 * Options of {@link StdoutOutput}.
 *
 * @example
 * ```ts
 * new StdoutOutput({ payloadEncoding: 'utf8' });
 * ```
 */
export interface StdoutOutputOptions {
	/** @default 'stdout' */
	readonly name?: string;
	/** @default process.stdout */
	readonly stream?: LineStream;
	/** How payloads are written. @default 'base64' */
	readonly payloadEncoding?: PayloadEncoding;
}

/**
 * Writes every message as one line of JSON (the POLKU JSON event form) to
 * stdout: the gateway's output when no other is configured. A batch is one
 * write; when the stream asks to drain, `send` waits for it, so a slow reader
 * pushes back on the buffer instead of growing memory. A stream error
 * (e.g. `EPIPE`) fails the sends from then on.
 *
 * @example
 * ```ts
 * import { Hub } from 'polku';
 * import { StdoutOutput } from 'polku/gateway';
 *
 * const hub = Hub.builder().input(input).output(new StdoutOutput()).build();
 * ```
 */
export class StdoutOutput implements Output {
	readonly name: string;
	readonly #stream: LineStream;
	readonly #encoding: PayloadEncoding;
	#error: Error | undefined;

	constructor(options: StdoutOutputOptions = {}) {
		this.name = options.name ?? 'stdout';
		this.#stream = options.stream ?? process.stdout;
		this.#encoding = options.payloadEncoding ?? 'base64';
		this.#stream.on('error', (error) => {
			this.#error ??= error;
		});
	}

	async send(batch: readonly Message[]): Promise<void> {
		this.#check();
		let text = '';
		for (let i = 0; i < batch.length; i++) text += toJsonEvent(batch[i]!, this.#encoding) + '\n';
		if (!this.#stream.write(text)) await this.#drain();
		this.#check();
	}

	health(): boolean {
		return this.#error === undefined;
	}

	/** Waits until what was written has been handed to the OS (does not close stdout). */
	async close(): Promise<void> {
		if (this.#stream.writableNeedDrain === true && this.#error === undefined) await this.#drain();
	}

	#check(): void {
		if (this.#error !== undefined) throw new OutputError(this.name, `cannot write: ${this.#error.message}`, { cause: this.#error });
	}

	#drain(): Promise<void> {
		return new Promise((resolve) => {
			const done = (): void => {
				this.#stream.off('drain', done);
				this.#stream.off('error', done);
				resolve();
			};
			this.#stream.once('drain', done);
			this.#stream.once('error', done);
		});
	}
}

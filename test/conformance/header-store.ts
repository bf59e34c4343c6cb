// A header-carrying destination and output for testing the conformance suite itself: the output encodes
// with toEnvelopeHeaders, the store decodes with fromEnvelopeHeaders, like a broker adapter. Flags break it
// in the ways the suite must catch.
import { fromEnvelopeHeaders, toEnvelopeHeaders, type EnvelopeHeader, type Message, type Output } from '../../src/index.js';
import type { OutputFeatures, OutputHarness } from '../../src/testing/index.js';

/** What the store holds: raw records, as a broker would. */
export class HeaderStore {
	readonly records: { readonly headers: readonly EnvelopeHeader[]; readonly payload: Uint8Array }[] = [];

	write(records: readonly { readonly headers: readonly EnvelopeHeader[]; readonly payload: Uint8Array }[]): void {
		this.records.push(...records);
	}

	/** Decoded records once `count` are there; rejects after `timeoutMs`. */
	async received(count: number, timeoutMs: number): Promise<Message[]> {
		const deadline = performance.now() + timeoutMs;
		while (this.records.length < count) {
			if (performance.now() > deadline) throw new Error(`store: ${this.records.length} of ${count} records after ${timeoutMs} ms`);
			await new Promise((r) => setTimeout(r, 5));
		}
		return this.records.map((r) => fromEnvelopeHeaders(r.headers, r.payload, { source: 'store', messageType: 'store' }));
	}
}

/** Ways to break {@link HeaderOutput}. */
export interface Breakage {
	/** Writes only the polku-id/timestamp/source/type headers. */
	readonly dropMetadata?: boolean;
	/** Writes the timestamp rounded through ms (as a JavaScript number). */
	readonly msTimestamp?: boolean;
	/** Collects headers in a plain object first (loses `__proto__`). */
	readonly headersAsObject?: boolean;
	/** Truncates payloads to 1 000 000 bytes. */
	readonly truncatePayload?: boolean;
	/** Loses the last message of batches of 500 or more. */
	readonly loseFromBigBatches?: boolean;
	/** Writes each batch in reverse order. */
	readonly reverseBatches?: boolean;
	/** Resolves at once and writes 20 ms later; close() forgets what is not written yet. */
	readonly resolveEarly?: boolean;
	/** Does not look at its signal. */
	readonly ignoreSignal?: boolean;
	/** Resolves sends to an unreachable destination. */
	readonly swallowUnreachable?: boolean;
	/** health() is always true. */
	readonly alwaysHealthy?: boolean;
	/** close() rejects the second time. */
	readonly closeOnce?: boolean;
}

function abortError(signal: AbortSignal): Error {
	return new Error('send aborted', { cause: signal.reason });
}

/** An output writing to a {@link HeaderStore}, correct unless broken. */
export class HeaderOutput implements Output {
	readonly name = 'header-output';
	readonly #store: HeaderStore;
	readonly #unreachableMs: number | undefined;
	readonly #b: Breakage;
	readonly #pending = new Set<NodeJS.Timeout>();
	#closed = false;

	constructor(store: HeaderStore, breakage: Breakage = {}, unreachableMs?: number) {
		this.#store = store;
		this.#b = breakage;
		this.#unreachableMs = unreachableMs;
	}

	async send(batch: readonly Message[], signal?: AbortSignal): Promise<void> {
		const b = this.#b;
		const watch = b.ignoreSignal ? undefined : signal;
		if (watch?.aborted === true) throw abortError(watch);
		if (this.#unreachableMs !== undefined) {
			await new Promise<void>((resolve, reject) => {
				const timer = setTimeout(resolve, this.#unreachableMs);
				watch?.addEventListener('abort', () => (clearTimeout(timer), reject(abortError(watch))), { once: true });
			});
			if (b.swallowUnreachable) return;
			throw new Error('connect ECONNREFUSED 127.0.0.1:9 (the store is unreachable)');
		}
		let messages = b.loseFromBigBatches && batch.length >= 500 ? batch.slice(0, -1) : batch;
		if (b.reverseBatches) messages = [...messages].reverse();
		const records = messages.map((m) => ({ headers: this.#headers(m), payload: b.truncatePayload ? m.payload.subarray(0, 1_000_000) : m.payload }));
		if (b.resolveEarly) {
			const timer = setTimeout(() => {
				this.#pending.delete(timer);
				this.#store.write(records);
			}, 20);
			this.#pending.add(timer);
			return;
		}
		this.#store.write(records);
	}

	#headers(m: Message): EnvelopeHeader[] {
		let headers = toEnvelopeHeaders(m);
		const b = this.#b;
		if (b.dropMetadata) headers = headers.slice(0, 4);
		if (b.msTimestamp) headers = headers.map(([k, v]) => (k === 'polku-timestamp' ? [k, (BigInt(Math.round(Number(v) / 1e6)) * 1_000_000n).toString()] : [k, v]));
		if (b.headersAsObject) {
			const object: Record<string, string> = {};
			for (const [k, v] of headers) object[k] = v;
			headers = Object.entries(object);
		}
		return headers;
	}

	health(): boolean {
		return this.#b.alwaysHealthy === true || this.#unreachableMs === undefined;
	}

	async close(): Promise<void> {
		if (this.#closed && this.#b.closeOnce) throw new Error('already closed');
		this.#closed = true;
		for (const timer of this.#pending) clearTimeout(timer);
		this.#pending.clear();
	}
}

/** A harness over a fresh store; `wrap` may replace the output (e.g. hide its signal parameter). */
export function headerHarness(breakage: Breakage = {}, features: Partial<OutputFeatures> = {}, wrap: (o: Output) => Output = (o) => o): OutputHarness {
	return {
		name: 'HeaderOutput',
		features: { ordering: 'total', envelope: true, ...features },
		async setup() {
			const store = new HeaderStore();
			return {
				output: wrap(new HeaderOutput(store, breakage)),
				// The store is in memory: what is not there after a moment will not come.
				received: (count, timeoutMs) => store.received(count, Math.min(timeoutMs, 500)),
				unreachable: () => wrap(new HeaderOutput(new HeaderStore(), breakage, 3_000)),
				teardown: async () => {},
			};
		},
	};
}

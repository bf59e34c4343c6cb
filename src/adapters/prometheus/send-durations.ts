import type { FlushEvent } from '../../index.js';

/** One output's histogram: non-cumulative counts per bound, then the `+Inf` overflow. @internal */
export interface DurationSeries {
	readonly counts: Float64Array;
	sum: number;
	count: number;
}

/**
 * Per-output histograms of successful send durations (seconds), fed by the
 * hub's `flush` events: one binary search and three additions per batch.
 *
 * @internal
 */
export class SendDurations {
	readonly bounds: readonly number[];
	readonly #series = new Map<string, DurationSeries>();

	constructor(bounds: readonly number[], outputs: Iterable<string>) {
		this.bounds = bounds;
		for (const output of outputs) this.#get(output);
	}

	/** The `flush` listener. */
	readonly onFlush = (event: FlushEvent): void => {
		this.observe(event.output, event.durationMs / 1000);
	};

	observe(output: string, seconds: number): void {
		const series = this.#get(output);
		const bounds = this.bounds;
		let lo = 0;
		let hi = bounds.length;
		while (lo < hi) {
			const mid = (lo + hi) >>> 1;
			if (seconds <= bounds[mid]!) hi = mid;
			else lo = mid + 1;
		}
		series.counts[lo]!++;
		series.sum += seconds;
		series.count++;
	}

	/** Every output's series, in the order they were first seen. */
	series(): IterableIterator<[string, DurationSeries]> {
		return this.#series.entries();
	}

	#get(output: string): DurationSeries {
		let series = this.#series.get(output);
		if (series === undefined) {
			series = { counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
			this.#series.set(output, series);
		}
		return series;
	}
}

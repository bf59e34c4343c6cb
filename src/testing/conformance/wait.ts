import { AssertionError } from 'node:assert';

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How a promise settled within a time limit. */
export type Settled<T> = { readonly status: 'fulfilled'; readonly value: T } | { readonly status: 'rejected'; readonly reason: unknown } | { readonly status: 'pending' };

/** Waits at most `ms` for `promise`; says how it settled (or that it is still pending). Never rejects. */
export async function settleWithin<T>(promise: Promise<T>, ms: number): Promise<Settled<T>> {
	let timer: NodeJS.Timeout | undefined;
	const pending = new Promise<Settled<T>>((resolve) => (timer = setTimeout(() => resolve({ status: 'pending' }), ms)));
	try {
		return await Promise.race([
			promise.then(
				(value): Settled<T> => ({ status: 'fulfilled', value }),
				(reason: unknown): Settled<T> => ({ status: 'rejected', reason }),
			),
			pending,
		]);
	} finally {
		clearTimeout(timer);
	}
}

/** `promise`'s value; fails the case when it does not settle within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
	const settled = await settleWithin(promise, ms);
	if (settled.status === 'fulfilled') return settled.value;
	if (settled.status === 'rejected') throw settled.reason;
	throw new AssertionError({ message: `${what} did not settle within ${ms} ms` });
}

/**
 * Polls `check` every `intervalMs` until it returns true; fails the case with
 * `what` (and the last `detail`) when `ms` passes first.
 */
export async function eventually(check: () => boolean | Promise<boolean>, ms: number, what: string, detail?: () => string): Promise<void> {
	const deadline = performance.now() + ms;
	for (;;) {
		if (await check()) return;
		if (performance.now() >= deadline) {
			throw new AssertionError({ message: `${what}: not reached within ${ms} ms${detail === undefined ? '' : ` (${detail()})`}` });
		}
		await sleep(10);
	}
}

/**
 * Clean-up steps of one case, run in reverse order of registration even when
 * the case failed. Errors of clean-up steps are collected: the case's own
 * error wins, else the first clean-up error is thrown.
 */
export class Cleanup {
	readonly #steps: (() => unknown)[] = [];

	add(step: () => unknown): void {
		this.#steps.push(step);
	}

	/** Runs `body`, then every step; rethrows the body's error first. */
	async around(body: () => Promise<void>): Promise<void> {
		let failure: { error: unknown } | undefined;
		try {
			await body();
		} catch (error) {
			failure = { error };
		}
		for (const step of this.#steps.reverse()) {
			try {
				await step();
			} catch (error) {
				failure ??= { error };
			}
		}
		if (failure !== undefined) throw failure.error;
	}
}

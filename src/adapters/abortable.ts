/** The rejection of {@link abortable} when the signal aborted first. */
export const ABANDONED: unique symbol = Symbol('abandoned');

/** `promise`, or a rejection with {@link ABANDONED} as soon as `signal` aborts (the promise keeps running; its rejection is handled). */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
	if (signal === undefined) return promise;
	return new Promise<T>((resolve, reject) => {
		const abort = (): void => reject(ABANDONED);
		signal.addEventListener('abort', abort, { once: true });
		promise.then(
			(value) => {
				signal.removeEventListener('abort', abort);
				resolve(value);
			},
			(error: unknown) => {
				signal.removeEventListener('abort', abort);
				reject(error);
			},
		);
	});
}

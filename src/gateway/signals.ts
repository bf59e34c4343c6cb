import type { Logger } from '../logger.js';

const SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const;

/**
 * On the first SIGTERM / SIGINT, runs `stop` and exits with `0` (or `1` if
 * `stop` throws); on a second signal, exits at once with 128 + the signal
 * number (130 / 143). Returns a function that removes the handlers.
 */
export function handleSignals(stop: () => Promise<unknown>, logger: Logger, exit: (code: number) => void): () => void {
	let stopping = false;
	const handlers = Object.entries(SIGNALS).map(([signal, number]) => {
		const handler = (): void => {
			if (stopping) {
				logger.warn({ signal }, 'polku-gateway: second signal, exiting without draining');
				exit(128 + number);
				return;
			}
			stopping = true;
			logger.info({ signal }, 'polku-gateway: stopping (draining the buffer)');
			stop().then(
				() => exit(0),
				(error: unknown) => {
					logger.error({ err: error }, 'polku-gateway: stop failed');
					exit(1);
				},
			);
		};
		process.on(signal, handler);
		return [signal, handler] as const;
	});
	return () => {
		for (const [signal, handler] of handlers) process.off(signal, handler);
	};
}

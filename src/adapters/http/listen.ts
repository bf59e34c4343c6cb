import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on host:port; resolves with the bound port, rejects on a listen error (EADDRINUSE…). */
export function listen(server: Server, host: string, port: number): Promise<number> {
	return new Promise((resolve, reject) => {
		const onError = (error: Error): void => reject(error);
		server.once('error', onError);
		server.listen(port, host, () => {
			server.off('error', onError);
			resolve((server.address() as AddressInfo).port);
		});
	});
}

/** Resolves with the port once someone else's server listens; `undefined` if `signal` aborts first. */
export function listening(server: Server, signal: AbortSignal): Promise<number | undefined> {
	if (server.listening) return Promise.resolve((server.address() as AddressInfo).port);
	return new Promise((resolve) => {
		const onListening = (): void => {
			signal.removeEventListener('abort', onAbort);
			resolve((server.address() as AddressInfo).port);
		};
		const onAbort = (): void => {
			server.off('listening', onListening);
			resolve(undefined);
		};
		server.once('listening', onListening);
		signal.addEventListener('abort', onAbort, { once: true });
	});
}

// Broker tests use the real server on loopback. Locally a test may skip when its server is down;
// under CI=true it must fail instead (a skipped broker test would hide a broken adapter).
import { connect } from 'node:net';

/** The loopback services this machine runs (see DEVELOPERS.md / .ci/run). */
export const SERVICES = {
	redis: 6379,
	rabbitmq: 5672,
	mqtt: 1883,
	nats: 4222,
	postgres: 5432,
} as const;

export type ServiceName = keyof typeof SERVICES;

/** True when something accepts TCP connections on 127.0.0.1:`port` within `timeoutMs`. */
export function isListening(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = connect({ port, host });
		const done = (ok: boolean): void => {
			socket.destroy();
			resolve(ok);
		};
		socket.setTimeout(timeoutMs, () => done(false));
		socket.once('connect', () => done(true));
		socket.once('error', () => done(false));
	});
}

/**
 * For `describe(name, { skip: await skipUnless('redis') }, …)`: `false` when the
 * service is up; a skip reason when it is down locally; under CI=true a down
 * service throws, so the test file fails.
 */
export async function skipUnless(service: ServiceName): Promise<false | string> {
	const port = SERVICES[service];
	if (await isListening(port)) return false;
	const reason = `${service} is not listening on 127.0.0.1:${port}`;
	if (process.env['CI'] === 'true') throw new Error(`${reason} (CI=true: broker tests must not skip; .ci/run starts it)`);
	return reason;
}

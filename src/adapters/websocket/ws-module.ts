// The parts of the `ws` package polku uses, typed structurally: `ws` is loaded only when an input runs or
// an output connects, and no `ws` type appears in polku's published declarations.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { PolkuError } from '../../index.js';

/** One WebSocket (either end), as `ws` makes it. */
export interface WsSocket {
	readonly readyState: number;
	readonly bufferedAmount: number;
	send(data: string | Uint8Array, options: { binary: boolean }, callback?: (error?: Error) => void): void;
	ping(): void;
	pause(): void;
	resume(): void;
	close(code?: number, reason?: string): void;
	terminate(): void;
	on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): unknown;
	on(event: 'pong' | 'open', listener: () => void): unknown;
	on(event: 'close', listener: (code: number, reason: Buffer) => void): unknown;
	on(event: 'error', listener: (error: Error) => void): unknown;
	on(event: 'unexpected-response', listener: (request: unknown, response: IncomingMessage) => void): unknown;
	removeAllListeners(): unknown;
}

/** `ws`'s server, in `noServer` mode: it only completes handshakes polku accepted. */
export interface WsServer {
	handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, callback: (socket: WsSocket) => void): void;
	close(): void;
}

export interface WsServerOptions {
	readonly noServer: true;
	readonly clientTracking: false;
	readonly maxPayload: number;
	readonly perMessageDeflate: false;
}

export interface WsClientOptions {
	readonly headers: Readonly<Record<string, string>>;
	readonly handshakeTimeout: number;
	readonly maxPayload: number;
	readonly perMessageDeflate: false;
}

/** What polku takes from `import('ws')`. */
export interface WsModule {
	readonly WebSocketServer: new (options: WsServerOptions) => WsServer;
	readonly WebSocket: new (url: string, options: WsClientOptions) => WsSocket;
}

/** `WebSocket.OPEN`. */
export const OPEN = 1;

let loaded: Promise<WsModule> | undefined;

/** Imports `ws` once; a missing package fails with a `PolkuError` saying what to install. */
export function loadWs(user: string): Promise<WsModule> {
	loaded ??= import('ws').then(
		(mod) => mod as unknown as WsModule,
		(error: unknown) => {
			loaded = undefined;
			throw new PolkuError('ERR_POLKU_PEER_MISSING', `${user} needs the package ws, which is not installed: npm i ws`, { cause: error });
		},
	);
	return loaded;
}

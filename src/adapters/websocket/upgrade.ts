import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** Answers an upgrade request with a plain HTTP error instead of a handshake, then closes the socket. */
export function refuseUpgrade(socket: Duplex, status: number, message: string, headers: Readonly<Record<string, string>> = {}): void {
	if (!socket.writable || socket.destroyed) {
		socket.destroy();
		return;
	}
	const body = JSON.stringify({ error: (STATUS_CODES[status] ?? 'error').toLowerCase().replaceAll(' ', '-'), message });
	let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
	for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
	socket.once('finish', () => socket.destroy());
	socket.end(`${head}\r\n${body}`);
}

/** The path of a request URL, without its query. */
export function pathOf(url: string): string {
	const q = url.indexOf('?');
	return q === -1 ? url : url.slice(0, q);
}

/** The connection's source: `?source=` on the upgrade URL, then the `X-Polku-Source` header, then `fallback`. */
export function connectionSource(request: IncomingMessage, fallback: string): string {
	const url = request.url ?? '';
	const q = url.indexOf('?');
	if (q !== -1) {
		const fromQuery = new URLSearchParams(url.slice(q + 1)).get('source');
		if (fromQuery) return fromQuery;
	}
	const header = request.headers['x-polku-source'];
	return typeof header === 'string' && header !== '' ? header : fallback;
}

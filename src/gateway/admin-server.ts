import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseAddress } from '../adapters/http/address.js';
import { PROMETHEUS_CONTENT_TYPE, prometheusText } from '../adapters/prometheus/index.js';
import { toError } from '../errors.js';
import type { Hub } from '../hub/hub.js';
import type { Logger } from '../logger.js';

/** The gateway's admin endpoints: `/metrics`, `/health`, `/pipeline`. */
export class AdminServer {
	readonly #server: Server;
	readonly #hub: Hub;
	readonly #logger: Logger;

	constructor(hub: Hub, logger: Logger) {
		this.#hub = hub;
		this.#logger = logger;
		this.#server = createServer((req, res) => {
			this.#handle(req, res).catch((error: unknown) => {
				this.#logger.error({ err: toError(error), url: req.url }, 'polku-gateway admin request failed');
				if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"internal"}');
			});
		});
		this.#server.keepAliveTimeout = 5000;
	}

	/** Listens on `address` (`host:port`); resolves with the bound port. */
	listen(address: string): Promise<number> {
		const { host, port } = parseAddress(address, 'POLKU_METRICS_ADDR');
		return new Promise((resolve, reject) => {
			this.#server.once('error', reject);
			this.#server.listen(port, host, () => {
				this.#server.off('error', reject);
				this.#server.on('error', (error) => this.#logger.error({ err: error }, 'polku-gateway admin server error'));
				resolve((this.#server.address() as AddressInfo).port);
			});
		});
	}

	/** Stops listening and closes every connection. */
	close(): Promise<void> {
		if (!this.#server.listening) return Promise.resolve();
		return new Promise((resolve) => {
			this.#server.close(() => resolve());
			this.#server.closeAllConnections();
		});
	}

	async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const path = (req.url ?? '/').split('?', 1)[0];
		if (path !== '/metrics' && path !== '/health' && path !== '/pipeline') return json(res, 404, { error: 'not-found', routes: ['/metrics', '/health', '/pipeline'] });
		if (req.method !== 'GET' && req.method !== 'HEAD') {
			res.setHeader('allow', 'GET, HEAD');
			return json(res, 405, { error: 'method-not-allowed' });
		}
		if (path === '/metrics') {
			const text = prometheusText(this.#hub);
			res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) }).end(req.method === 'HEAD' ? undefined : text);
			return;
		}
		if (path === '/pipeline') return json(res, 200, this.#hub.manifest());
		const health = await this.#hub.health();
		const { size, capacity } = this.#hub.stats().buffer;
		json(res, health.healthy ? 200 : 503, { ...health, buffer: { size, capacity } });
	}
}

function json(res: ServerResponse, status: number, body: unknown): void {
	const text = JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
	res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

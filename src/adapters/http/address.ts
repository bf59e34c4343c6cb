import { ConfigError } from '../../index.js';

/**
 * A listening address split into host and port.
 *
 * @example
 * ```ts
 * import { parseAddress } from 'polku/http';
 *
 * parseAddress('[::1]:8080', 'address'); // { host: '::1', port: 8080 }
 * ```
 */
export interface HostPort {
	readonly host: string;
	readonly port: number;
}

const HOST_PORT = /^(?:\[([0-9A-Fa-f:.%\w-]+)\]|([^\s:/[\]]+)):(\d{1,5})$/;

/**
 * Parses `host:port` (or `[ipv6]:port`); port 0 asks the OS for a free port.
 * Throws a {@link ConfigError} naming `field` when the value is malformed.
 *
 * @param value - The address, e.g. `0.0.0.0:8080`, `127.0.0.1:0`, `[::1]:50051`.
 * @param field - The option or variable to name in the error.
 * @returns The host and the port.
 * @example
 * ```ts
 * import { parseAddress } from 'polku/http';
 *
 * const { host, port } = parseAddress('0.0.0.0:8080', 'POLKU_HTTP_ADDR');
 * ```
 */
export function parseAddress(value: string, field: string): HostPort {
	const match = HOST_PORT.exec(value);
	const port = match === null ? NaN : Number(match[3]);
	if (match === null || port > 65_535) {
		throw new ConfigError(field, `must be host:port (port 0-65535; IPv6 in brackets), got ${JSON.stringify(value)}`);
	}
	return { host: match[1] ?? match[2]!, port };
}

/**
 * Formats a host and port as an address, bracketing IPv6 hosts.
 *
 * @example
 * ```ts
 * import { formatAddress } from 'polku/http';
 *
 * formatAddress('::1', 8080); // '[::1]:8080'
 * ```
 */
export function formatAddress(host: string, port: number): string {
	return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

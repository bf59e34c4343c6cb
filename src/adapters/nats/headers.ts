import { ENVELOPE_HEADERS, fromEnvelopeHeaders, toEnvelopeHeaders, type EnvelopeDefaults, type EnvelopeHeader, type Message } from '../../index.js';
import type { NatsHeadersLike, NatsMsgLike } from './client.js';

/**
 * Makes an empty NATS headers object (`headers` of `@nats-io/transport-node`).
 *
 * @example
 * ```ts
 * import { headers } from '@nats-io/transport-node';
 *
 * const factory: NatsHeadersFactory = () => headers();
 * ```
 */
export type NatsHeadersFactory = () => NatsHeadersLike;

let loaded: Promise<NatsHeadersFactory> | undefined;

/**
 * The `headers()` factory of the NATS client, imported on first use (so that
 * `import 'polku/nats'` loads no NATS library): `@nats-io/transport-node`,
 * else `@nats-io/nats-core`.
 */
export function loadHeadersFactory(): Promise<NatsHeadersFactory> {
	loaded ??= (async () => {
		const pick = (m: unknown): NatsHeadersFactory | undefined => {
			const f = (m as { headers?: unknown }).headers;
			return typeof f === 'function' ? (f as NatsHeadersFactory) : undefined;
		};
		const specifiers = ['@nats-io/transport-node', '@nats-io/nats-core'];
		let last: unknown;
		for (const specifier of specifiers) {
			try {
				const f = pick(await import(specifier));
				if (f !== undefined) return f;
			} catch (error) {
				last = error;
			}
		}
		loaded = undefined;
		throw new Error('polku/nats needs @nats-io/transport-node (npm i @nats-io/transport-node)', { cause: last });
	})();
	return loaded;
}

/** True for the names the NATS server gives meaning to (`Nats-Msg-Id`, `Nats-Expected-Stream`, `Nats-Rollup`, …). */
function isNatsName(name: string): boolean {
	return name.length > 5 && name.charCodeAt(4) === 0x2d && name.slice(0, 4).toLowerCase() === 'nats';
}

/**
 * The envelope of `message` as NATS headers, through the shared mapping. A
 * metadata key that would be a `Nats-*` header (which the server interprets)
 * travels as `polku-meta-<key>`, the mapping's form for names a transport
 * cannot carry as themselves, so it comes back as the same key.
 */
export function toNatsHeaders(message: Message, make: NatsHeadersFactory): NatsHeadersLike {
	const headers = make();
	for (const [name, value] of toEnvelopeHeaders(message)) headers.set(isNatsName(name) ? ENVELOPE_HEADERS.metadataPrefix + name : name, value);
	return headers;
}

/** A message's headers as pairs, without the transport's own `Nats-*` headers. */
export function natsHeaderPairs(headers: NatsHeadersLike | undefined): EnvelopeHeader[] {
	const pairs: EnvelopeHeader[] = [];
	if (headers === undefined) return pairs;
	for (const [name, values] of headers) {
		if (isNatsName(name)) continue;
		for (const value of values) pairs.push([name, value]);
	}
	return pairs;
}

/** The message `msg` carries (see {@link fromEnvelopeHeaders}); throws `MessageValidationError` for a malformed envelope. */
export function fromNatsMsg(msg: NatsMsgLike, defaults: EnvelopeDefaults): Message {
	return fromEnvelopeHeaders(natsHeaderPairs(msg.headers), msg.data, defaults);
}

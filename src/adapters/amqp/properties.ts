import { ENVELOPE_HEADERS, fromEnvelopeHeaders, toEnvelopeHeaders, type EnvelopeHeader, type Message } from '../../index.js';
import type { AmqpHeaders, AmqpMessage, AmqpPublishOptions } from './client.js';

const NS_PER_SECOND = 1_000_000_000n;
/** amqplib decodes header tables into plain objects, where a `__proto__` key is lost: send it in the mapping's escaped form. */
const PROTO_HEADER = `${ENVELOPE_HEADERS.metadataPrefix}__proto__`;

/** What every publish of one output shares. */
export interface PublishDefaults {
	readonly persistent: boolean;
	readonly mandatory: boolean;
	readonly contentType: string | ((message: Message) => string | undefined) | undefined;
}

/**
 * The publish options of `message`: the envelope in the shared header
 * mapping, plus the AMQP properties that say the same for AMQP tools
 * (`messageId`, `timestamp` in whole seconds, `type`, `appId`).
 */
export function publishOptions(message: Message, defaults: PublishDefaults): AmqpPublishOptions {
	const headers: Record<string, unknown> = {};
	for (const [name, value] of toEnvelopeHeaders(message)) {
		headers[name === '__proto__' ? PROTO_HEADER : name] = value;
	}
	const contentType = typeof defaults.contentType === 'function' ? defaults.contentType(message) : defaults.contentType;
	const options: AmqpPublishOptions = {
		messageId: message.id,
		timestamp: Number(message.timestamp / NS_PER_SECOND),
		type: message.messageType,
		appId: message.source,
		persistent: defaults.persistent,
		mandatory: defaults.mandatory,
		headers,
	};
	return contentType === undefined ? options : { ...options, contentType };
}

/** Headers RabbitMQ adds or maintains itself: transport bookkeeping, not metadata. */
export function isBrokerHeader(name: string): boolean {
	return (
		name.startsWith('x-') &&
		(name === 'x-death' ||
			name === 'x-delivery-count' ||
			name === 'x-received-from' ||
			name.startsWith('x-first-death-') ||
			name.startsWith('x-last-death-'))
	);
}

/** A header value as a string: strings as they are, numbers and booleans printed, bytes as UTF-8, tables and arrays as JSON. */
function headerText(value: unknown): string {
	if (typeof value === 'string') return value;
	if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
	if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
	if (value === null || value === undefined) return '';
	return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/**
 * A delivery as a message. A message published by polku (it has a `polku-id`
 * header) gets its envelope back exactly. Any other message: id = the
 * `messageId` property (else a new ULID), timestamp = the `timestamp`
 * property (Unix seconds; else now), source = the `appId` property (else the
 * queue name), type = the `type` property (else the routing key, else the
 * queue name); its headers (and `contentType`, as `content-type`) become
 * metadata. RabbitMQ's own headers (`x-death`, `x-delivery-count`, …) are
 * left out. Throws `MessageValidationError` for a malformed envelope.
 */
export function decodeDelivery(delivery: AmqpMessage, queue: string): Message {
	const properties = delivery.properties;
	const table: AmqpHeaders | undefined = properties.headers ?? undefined;
	const headers: EnvelopeHeader[] = [];
	let polku = false;
	if (table !== undefined && table !== null) {
		for (const name of Object.keys(table)) {
			if (isBrokerHeader(name)) continue;
			if (name.length === ENVELOPE_HEADERS.id.length && name.toLowerCase() === ENVELOPE_HEADERS.id) polku = true;
			headers.push([name, headerText(table[name])]);
		}
	}
	if (polku) return fromEnvelopeHeaders(headers, delivery.content, { source: queue, messageType: queue });
	if (typeof properties.contentType === 'string') headers.push(['content-type', properties.contentType]);
	const messageId = properties.messageId;
	const seconds = properties.timestamp;
	const appId = properties.appId;
	const type = properties.type;
	return fromEnvelopeHeaders(headers, delivery.content, {
		...(typeof messageId === 'string' && messageId !== '' ? { id: messageId } : {}),
		...(typeof seconds === 'number' && Number.isSafeInteger(seconds) && seconds >= 0 ? { timestamp: BigInt(seconds) * NS_PER_SECOND } : {}),
		source: typeof appId === 'string' && appId !== '' ? appId : queue,
		messageType: typeof type === 'string' && type !== '' ? type : delivery.fields.routingKey !== '' ? delivery.fields.routingKey : queue,
	});
}

import { ENVELOPE_HEADERS, escapeHeaderValue, toEnvelopeHeaders, type EnvelopeHeader, type Message } from '../../index.js';
import type { MqttUserProperties } from './client.js';

const NO_HEADERS: readonly EnvelopeHeader[] = Object.freeze([]);

/** A message's envelope as MQTT 5 user properties (the shared envelope ↔ headers mapping). */
export function toUserProperties(message: Message): MqttUserProperties {
	const props: MqttUserProperties = {};
	for (const [name, value] of toEnvelopeHeaders(message)) {
		// A metadata key `__proto__` travels under its own name: keep it data, not the prototype.
		if (name === '__proto__') Object.defineProperty(props, name, { value, enumerable: true, writable: true, configurable: true });
		else props[name] = value;
	}
	return props;
}

/**
 * User properties as header pairs, in order (a repeated name gives one pair
 * per value), plus `extra` last (so it wins over a user property of the same
 * name) as metadata: escaped when the headers carry a polku envelope, whose
 * values `fromEnvelopeHeaders` unescapes.
 */
export function userPropertyHeaders(props: MqttUserProperties | undefined, extra?: EnvelopeHeader): readonly EnvelopeHeader[] {
	if (props === undefined) return extra === undefined ? NO_HEADERS : [extra];
	const headers: EnvelopeHeader[] = [];
	let polku = false;
	for (const name of Object.keys(props)) {
		const value = props[name]!;
		if (name.length === ENVELOPE_HEADERS.id.length && name.toLowerCase() === ENVELOPE_HEADERS.id) polku = true;
		if (typeof value === 'string') headers.push([name, value]);
		else for (const v of value) headers.push([name, String(v)]);
	}
	if (extra !== undefined) headers.push(polku ? [extra[0], escapeHeaderValue(extra[1])] : extra);
	return headers;
}

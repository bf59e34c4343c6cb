import { ConfigError, type Message } from '../../index.js';

/**
 * The topic an {@link MqttOutput} publishes a message to: fixed text, a
 * template, or a function of the message.
 *
 * Template placeholders: `{source}`, `{messageType}`, `{id}`, and
 * `{metadata.<key>}` (empty when the key is missing). In substituted values
 * the MQTT wildcards `+` and `#` and NUL become `_`; a `/` stays and adds
 * topic levels. A topic without placeholders is used as is.
 *
 * @example
 * ```ts
 * import type { MqttTopic } from 'polku/mqtt';
 *
 * const fixed: MqttTopic = 'polku/events';
 * const perMessage: MqttTopic = 'events/{metadata.tenant}/{messageType}';
 * const computed: MqttTopic = (msg) => `events/${msg.source.toLowerCase()}`;
 * ```
 */
export type MqttTopic = string | ((message: Message) => string);

const PLACEHOLDER = /\{([^{}]*)\}/g;
const UNSAFE = /[+#\u0000]/;
const UNSAFE_ALL = /[+#\u0000]/g;

type Part = string | ((m: Message) => string);

function clean(value: string): string {
	return UNSAFE.test(value) ? value.replace(UNSAFE_ALL, '_') : value;
}

/** Compiles an {@link MqttTopic}; throws `ConfigError` naming `field` for a bad template. */
export function compileTopic(topic: MqttTopic, field: string): (message: Message) => string {
	if (typeof topic === 'function') return topic;
	if (typeof topic !== 'string' || topic.length === 0) throw new ConfigError(field, 'must be a non-empty topic, a template or a function (message) => string');
	const parts: Part[] = [];
	let last = 0;
	for (const m of topic.matchAll(PLACEHOLDER)) {
		if (m.index > last) parts.push(topic.slice(last, m.index));
		parts.push(placeholder(m[1]!, field));
		last = m.index + m[0].length;
	}
	if (last < topic.length) parts.push(topic.slice(last));
	if (parts.every((p) => typeof p === 'string')) {
		const fixed = parts.join('');
		checkTopicName(fixed, field);
		return () => fixed;
	}
	return (message) => {
		let out = '';
		for (const p of parts) out += typeof p === 'string' ? p : clean(p(message));
		return out;
	};
}

function placeholder(name: string, field: string): (m: Message) => string {
	switch (name) {
		case 'source':
			return (m) => m.source;
		case 'messageType':
			return (m) => m.messageType;
		case 'id':
			return (m) => m.id;
		default:
			if (name.startsWith('metadata.') && name.length > 9) {
				const key = name.slice(9);
				return (m) => m.metadata[key] ?? '';
			}
			throw new ConfigError(field, `has an unknown placeholder {${name}}; use {source}, {messageType}, {id} or {metadata.<key>}`);
	}
}

/** Throws `ConfigError` naming `field` unless `topic` is a valid MQTT topic name (to publish to). */
export function checkTopicName(topic: string, field: string): void {
	const problem = topicNameProblem(topic);
	if (problem !== undefined) throw new ConfigError(field, `${problem}, got ${JSON.stringify(topic)}`);
}

/** Why `topic` cannot be published to, or `undefined` when it can. */
export function topicNameProblem(topic: string): string | undefined {
	if (typeof topic !== 'string' || topic.length === 0) return 'must be a non-empty topic';
	if (UNSAFE.test(topic)) return 'must not contain the wildcards + or # (or NUL)';
	if (Buffer.byteLength(topic, 'utf8') > 65_535) return 'must be at most 65535 bytes';
	return undefined;
}

import { ConfigError, type Message } from '../../index.js';
import type { NatsHeadersFactory } from './headers.js';

/** Checks an output's name and subject option; returns them. */
export function checkOutputBasics(kind: string, defaultName: string, options: { name?: string; subject?: unknown }): { name: string; subject: string | ((message: Message) => string) } {
	if (options === null || typeof options !== 'object') throw new ConfigError(`${kind} options`, 'must be an object');
	const name = options.name ?? defaultName;
	if (typeof name !== 'string' || name.length === 0) throw new ConfigError(`${kind}.name`, 'must be a non-empty string');
	const subject = options.subject;
	if (!(typeof subject === 'function' || (typeof subject === 'string' && subject.length > 0 && !/[\s*>]/.test(subject)))) {
		throw new ConfigError(`${kind} "${name}".subject`, 'must be a subject without wildcards or white space, or a function of the message');
	}
	return { name, subject: subject as string | ((message: Message) => string) };
}

/** The headers factory option, checked. */
export function checkHeadersFactory(kind: string, name: string, headers: unknown): NatsHeadersFactory | undefined {
	if (headers !== undefined && typeof headers !== 'function') throw new ConfigError(`${kind} "${name}".headers`, 'must be a function returning NATS headers');
	return headers as NatsHeadersFactory | undefined;
}

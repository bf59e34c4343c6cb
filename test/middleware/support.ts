// Shared helpers of the middleware tests (not a test file itself).
import { Hub, createMessage, type DropEvent, type HubStats, type Message, type MessageInit, type Middleware, type MiddlewareContext, type SendOutcome } from '../../src/index.js';
import { silentLogger } from '../../src/logger.js';
import { MemoryInput, MemoryOutput } from '../../src/testing/index.js';

/** A message with defaults for the fields a test does not care about. */
export function msg(init: Partial<MessageInit> = {}): Message {
	return createMessage({ source: 'test', messageType: 'event', ...init });
}

/** A context for calling `start()` directly, recording counters and emitted messages. */
export function fakeContext(): { context: MiddlewareContext; counters: Record<string, number>; emitted: Message[]; errors: object[] } {
	const counters: Record<string, number> = {};
	const emitted: Message[] = [];
	const errors: object[] = [];
	const context: MiddlewareContext = {
		emit: (message) => {
			emitted.push(message);
			return Promise.resolve<SendOutcome>({ status: 'accepted', id: message.id });
		},
		count: (name, n = 1) => {
			counters[name] = (counters[name] ?? 0) + n;
		},
		signal: new AbortController().signal,
		logger: { ...silentLogger, error: (obj) => void errors.push(obj) },
	};
	return { context, counters, emitted, errors };
}

export interface HubRun {
	readonly hub: Hub;
	readonly input: MemoryInput;
	readonly outputs: readonly MemoryOutput[];
	readonly drops: DropEvent[];
}

/** A started hub with one MemoryInput, the middleware, and outputs named `names` (default one named `memory`). */
export async function startHub(middleware: readonly Middleware[], names: readonly string[] = ['memory']): Promise<HubRun> {
	const input = new MemoryInput();
	const outputs = names.map((name) => new MemoryOutput({ name }));
	let builder = Hub.builder().input(input).flushInterval(1).middleware(...middleware);
	for (const o of outputs) builder = builder.output(o);
	const hub = builder.build();
	const drops: DropEvent[] = [];
	hub.on('drop', (event) => drops.push(event));
	await hub.start();
	return { hub, input, outputs, drops };
}

/** Pushes `inits` one by one through a fresh hub, stops it and returns what came out. */
export async function throughHub(
	middleware: readonly Middleware[],
	inits: readonly MessageInit[],
	names?: readonly string[],
): Promise<HubRun & { readonly outcomes: SendOutcome[]; readonly stats: HubStats }> {
	const run = await startHub(middleware, names);
	const outcomes: SendOutcome[] = [];
	for (const init of inits) outcomes.push(await run.input.push(init));
	await run.hub.stop();
	return { ...run, outcomes, stats: run.hub.stats() };
}

/** The payloads of `messages` as text. */
export function texts(messages: readonly Message[]): string[] {
	return messages.map((m) => Buffer.from(m.payload).toString('utf8'));
}

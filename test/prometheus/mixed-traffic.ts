// A real hub with every kind of outcome: filtered, rejected, middleware errors,
// unroutable, retried and failed sends, dead letters.
import { Hub, reject, type Message, type MiddlewareContext } from '../../src/index.js';
import { MemoryInput, MemoryOutput } from '../../src/testing/index.js';

export interface MixedHub {
	readonly hub: Hub;
	readonly input: MemoryInput;
	readonly outputs: Readonly<Record<'ok' | 'flaky' | 'broken' | 'dlsrc' | 'dlq', MemoryOutput>>;
	/** Pushes the traffic below and waits until every outcome is settled. */
	run(): Promise<void>;
}

const fast = { baseDelayMs: 1, maxDelayMs: 1, jitter: 0 };

/**
 * 10 messages in one batch: 6 normal (broadcast to ok, flaky, broken, dlsrc),
 * 1 filtered, 1 rejected ('invalid'), 1 that makes the middleware throw, 1
 * routed to an output that does not exist. flaky fails twice then succeeds;
 * broken fails both of its 2 attempts (6 dropped, output-failed); dlsrc fails
 * its single try and dead-letters 6 to dlq.
 */
export function mixedHub(): MixedHub {
	const input = new MemoryInput('in');
	const outputs = {
		ok: new MemoryOutput('ok'),
		flaky: new MemoryOutput('flaky').failNext(2),
		broken: new MemoryOutput('broken').failRate(1),
		dlsrc: new MemoryOutput('dlsrc').failRate(1),
		dlq: new MemoryOutput('dlq'),
	};
	let context: MiddlewareContext | undefined;
	const hub = Hub.builder()
		.batchSize(100)
		.flushInterval(0)
		.input(input)
		.middleware({
			name: 'gate',
			start: (c) => void (context = c),
			process: (m: Message) => {
				context?.count('seen');
				if (m.messageType === 'skip') return null;
				if (m.messageType === 'bad') return reject('invalid');
				if (m.messageType === 'boom') throw new Error('boom');
				return m;
			},
		})
		.output(outputs.ok)
		.output(outputs.flaky, { retry: { attempts: 3, ...fast } })
		.output(outputs.broken, { retry: { attempts: 2, ...fast } })
		.output(outputs.dlsrc, { retry: false, deadLetter: 'dlq' })
		.deadLetter(outputs.dlq)
		.build();
	const run = async (): Promise<void> => {
		const brokenDropped = new Promise<void>((resolve) => {
			hub.on('drop', (e) => {
				if (e.output === 'broken') resolve();
			});
		});
		const types = ['a', 'a', 'skip', 'a', 'bad', 'a', 'boom', 'a', 'a'];
		await input.push([
			...types.map((messageType) => ({ source: 'test', messageType })),
			{ source: 'test', messageType: 'lost', routeTo: ['nowhere'] },
		]);
		await Promise.all([outputs.ok.waitFor(6), outputs.flaky.waitFor(6), outputs.dlq.waitFor(6), brokenDropped]);
		await new Promise((resolve) => setImmediate(resolve)); // let the lanes book the last confirmations
	};
	return { hub, input, outputs, run };
}

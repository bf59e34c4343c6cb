import type { DropEvent } from '../../hub/events.js';
import { Hub } from '../../hub/hub.js';
import type { Input } from '../../input/input.js';
import type { Message } from '../../message/message.js';
import { MemoryOutput } from '../memory-output.js';
import { payloadKey } from './assertions.js';
import type { InputFixture, InputHarness } from './harness.js';
import { LIMITS } from './limits.js';
import { Cleanup, within } from './wait.js';

/** One hub around one input of the fixture, delivering to a MemoryOutput. */
export interface Rig {
	readonly hub: Hub;
	readonly input: Input;
	readonly out: MemoryOutput;
	readonly drops: DropEvent[];
	readonly errors: Error[];
}

/** Options of {@link startRig}. */
export interface RigOptions {
	readonly bufferCapacity?: number;
	readonly batchSize?: number;
	/** `false`: a failed send fails its messages at once (no retry, no dead letter). */
	readonly retry?: false;
}

/** Runs `body` with a fresh fixture, always tearing it down (bounded). */
export async function withInputFixture(harness: InputHarness, body: (fixture: InputFixture, cleanup: Cleanup) => Promise<void>): Promise<void> {
	const fixture = await within(harness.setup(), LIMITS.fixtureMs, `${harness.name}: setup()`);
	const cleanup = new Cleanup();
	cleanup.add(() => within(fixture.teardown(), LIMITS.fixtureMs, `${harness.name}: teardown()`));
	await cleanup.around(() => body(fixture, cleanup));
}

/** Starts a hub with a new input of the fixture; the clean-up stops it. */
export async function startRig(fixture: InputFixture, cleanup: Cleanup, inputName: string, out: MemoryOutput, options: RigOptions = {}): Promise<Rig> {
	const input = fixture.createInput(inputName);
	const hub = Hub.builder()
		.bufferCapacity(options.bufferCapacity ?? 1000)
		.input(input)
		.output(out, {
			batchSize: options.batchSize ?? 100,
			flushInterval: 5,
			retry: options.retry === false ? false : { attempts: 3, baseDelayMs: 20 },
			// The cases hang the output on purpose (backpressure, stop mid-stream): stall detection would
			// drop its view of the buffer after 2 s (reason overflow) instead of letting the input block.
			stall: false,
		})
		.build();
	const drops: DropEvent[] = [];
	const errors: Error[] = [];
	hub.on('drop', (e) => drops.push(e));
	hub.on('error', (e) => errors.push(e));
	await hub.start();
	cleanup.add(async () => {
		out.release();
		await within(hub.stop({ timeoutMs: LIMITS.shortStopMs }), LIMITS.shortStopMs + LIMITS.closeMs, `hub.stop() of input "${input.name}"`);
	});
	return { hub, input, out, drops, errors };
}

/** A description of what went wrong in a rig, for failure messages. */
export function rigDetail(rig: Rig): string {
	const s = rig.hub.stats();
	const i = s.inputs[rig.input.name];
	const parts = [`output has ${rig.out.messages.length} messages`, `input sent ${i?.sent ?? 0}, invalid ${i?.invalid ?? 0}, running ${String(i?.running)}`];
	const drops = rig.drops.map((d) => `${d.messages.length} × ${d.reason}`);
	if (drops.length > 0) parts.push(`drops: ${drops.slice(0, 5).join(', ')}`);
	if (rig.errors.length > 0) parts.push(`errors: ${rig.errors.slice(0, 3).map((e) => e.message).join('; ')}`);
	return parts.join('; ');
}

/** The key a message is matched by: its id when the envelope travels, else its payload. */
export function keyOf(envelope: boolean): (message: Message) => string {
	return envelope ? (m) => m.id : (m) => payloadKey(m.payload);
}

/** How many of `sent` are among `received` (distinct). */
export function countPresent(sent: readonly Message[], received: readonly Message[], key: (m: Message) => string): number {
	const seen = new Set(received.map(key));
	let n = 0;
	for (const m of sent) if (seen.has(key(m))) n++;
	return n;
}

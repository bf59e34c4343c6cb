// Helpers shared by the core hub tests.
import { install, type Clock } from '@sinonjs/fake-timers';
import type { DropEvent, Hub, HubStats, MessageInit, OutputStats } from '../../src/index.js';

export const init = (n: number, extra: Partial<MessageInit> = {}): MessageInit => ({
	source: 'test',
	messageType: `m${n}`,
	payload: String(n),
	...extra,
});

export const inits = (count: number, extra: Partial<MessageInit> = {}): MessageInit[] =>
	Array.from({ length: count }, (_, i) => init(i, extra));

export const sum = (record: Readonly<Record<string, number>>): number => Object.values(record).reduce((a, b) => a + b, 0);

/** Installs fake timers (not microtasks). Call `clock.uninstall()` after. */
export function fakeClock(): Clock {
	return install({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
}

/** Collects every `drop` event of a hub. */
export function recordDrops(hub: Hub): DropEvent[] {
	const drops: DropEvent[] = [];
	hub.on('drop', (e) => drops.push(e));
	return drops;
}

/** Asserts the conservation identities of a stats snapshot; returns a description of any violation. */
export function conservationErrors(stats: HubStats): string[] {
	const errors: string[] = [];
	const before = stats.filtered + sum(stats.dropped) + stats.accepted;
	if (stats.received !== before) errors.push(`received ${stats.received} != filtered+dropped+accepted ${before}`);
	for (const [name, o] of Object.entries(stats.outputs) as [string, OutputStats][]) {
		const after = o.delivered + sum(o.dropped) + o.deadLettered + o.pending;
		if (o.routed !== after) errors.push(`${name}: routed ${o.routed} != delivered+dropped+deadLettered+pending ${after}`);
	}
	return errors;
}

/** Resolves after `n` macrotask turns (lets promise chains and microtasks settle, real timers only). */
export async function turns(n = 3): Promise<void> {
	for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

import { DROP_REASONS } from '../../errors.js';
import type { HubStats, OutputStats } from '../../hub/stats.js';

/** How a value is combined across Node cluster workers (prom-client's `aggregator`). @internal */
export type Aggregation = 'sum' | 'max' | 'min';

/** Receives one sample: its value, then its label values in `labelNames` order. @internal */
export type SampleSink = (value: number, first?: string, second?: string) => void;

/** A counter or gauge read from `hub.stats()`. Names are without the prefix. @internal */
export interface ScalarDefinition {
	readonly name: string;
	readonly help: string;
	readonly type: 'counter' | 'gauge';
	readonly labelNames: readonly string[];
	readonly aggregation: Aggregation;
	readonly read: (stats: HubStats, sample: SampleSink) => void;
}

/** The send-duration histogram (fed by `flush` events, not by `stats()`). @internal */
export const SEND_DURATION = {
	name: 'output_send_duration_seconds',
	help: 'Duration of successful output send() calls, observed from flush events since metrics were attached.',
	labelNames: ['output'],
} as const;

/** The circuit breaker state the core may report per output. */
type CircuitState = 'closed' | 'half-open' | 'open';
const CIRCUIT_VALUE: Readonly<Record<CircuitState, number>> = { closed: 0, 'half-open': 1, open: 2 };

function perOutput(read: (o: OutputStats) => number): ScalarDefinition['read'] {
	return (stats, sample) => {
		for (const [name, o] of Object.entries(stats.outputs)) sample(read(o), name);
	};
}

function scalar(
	name: string,
	type: 'counter' | 'gauge',
	help: string,
	labelNames: readonly string[],
	read: ScalarDefinition['read'],
	aggregation: Aggregation = 'sum',
): ScalarDefinition {
	return Object.freeze({ name, help, type, labelNames: Object.freeze([...labelNames]), aggregation, read });
}

/**
 * Every counter and gauge polku exports, in exposition order. The histogram
 * {@link SEND_DURATION} goes after the last `output_` metric.
 *
 * @internal
 */
export const SCALAR_DEFINITIONS: readonly ScalarDefinition[] = Object.freeze([
	scalar('messages_received_total', 'counter', 'Messages handed to the hub whose admission was decided.', [], (s, f) => f(s.received)),
	scalar('messages_accepted_total', 'counter', 'Messages admitted into the buffer.', [], (s, f) => f(s.accepted)),
	scalar('messages_filtered_total', 'counter', 'Messages a middleware filtered out on purpose (not a drop).', [], (s, f) => f(s.filtered)),
	scalar(
		'messages_dropped_total',
		'counter',
		'Messages dropped, by reason; output="" for drops before the buffer, else the output they were dropped at.',
		['reason', 'output'],
		(s, f) => {
			for (const reason of DROP_REASONS) f(s.dropped[reason], reason, '');
			for (const [name, o] of Object.entries(s.outputs)) for (const reason of DROP_REASONS) f(o.dropped[reason], reason, name);
		},
	),
	scalar('messages_admitting', 'gauge', 'Messages handed in whose admission is not decided yet (async middleware, waiting for space).', [], (s, f) =>
		f(s.admitting),
	),
	scalar('messages_forwarded_total', 'counter', 'Messages an output confirmed (delivered).', ['output'], perOutput((o) => o.delivered)),
	scalar(
		'messages_dead_lettered_total',
		'counter',
		'Messages an output finally failed that went to its dead-letter output.',
		['output'],
		perOutput((o) => o.deadLettered),
	),
	scalar('output_pending_messages', 'gauge', 'Messages routed to an output and not yet delivered, dropped or dead-lettered.', ['output'], perOutput((o) => o.pending)),
	scalar('output_send_failures_total', 'counter', 'Output send() calls that failed (each failed retry counts).', ['output'], perOutput((o) => o.failedSends)),
	scalar('output_retries_total', 'counter', 'Retries of failed output sends scheduled.', ['output'], perOutput((o) => o.retries)),
	scalar('output_batches_total', 'counter', 'Batches an output confirmed.', ['output'], perOutput((o) => o.batches)),
	scalar(
		'output_circuit_state',
		'gauge',
		"An output's circuit breaker: 0 closed, 1 half-open, 2 open (absent when the output reports none).",
		['output'],
		(s, f) => {
			for (const [name, o] of Object.entries(s.outputs)) {
				const circuit = (o as OutputStats & { readonly circuit?: CircuitState }).circuit;
				const value = circuit === undefined ? undefined : CIRCUIT_VALUE[circuit];
				if (value !== undefined) f(value, name);
			}
		},
		'max',
	),
	scalar('output_stalled', 'gauge', 'Whether an output is stalled (no send succeeded for stall.afterMs): 1 or 0.', ['output'], perOutput((o) => (o.stalled ? 1 : 0)), 'max'),
	scalar('buffer_size_messages', 'gauge', 'Messages in the buffer now.', [], (s, f) => f(s.buffer.size)),
	scalar('buffer_capacity_messages', 'gauge', 'Messages the buffer holds.', [], (s, f) => f(s.buffer.capacity)),
	scalar(
		'pipeline_pressure',
		'gauge',
		'How loaded the pipeline is, 0 (idle) to 1 (overloaded): the buffer fill ratio, or 1 while senders wait for space.',
		[],
		(s, f) => f(s.pressure),
		'max',
	),
	...(['processed', 'filtered', 'rejected', 'errors'] as const).map((field) =>
		scalar(
			`middleware_${field}_total`,
			'counter',
			{
				processed: 'Messages a middleware processed.',
				filtered: 'Messages a middleware filtered out (returned null).',
				rejected: 'Messages a middleware rejected on purpose (reject(label)).',
				errors: 'Times a middleware threw, rejected or returned something that is not a message.',
			}[field],
			['middleware'],
			(s, f) => {
				for (const [name, m] of Object.entries(s.middleware)) f(m[field], name);
			},
		),
	),
	scalar('middleware_events_total', 'counter', "A middleware's own counters (context.count() and reject labels).", ['middleware', 'counter'], (s, f) => {
		for (const [name, m] of Object.entries(s.middleware)) for (const [counter, n] of Object.entries(m.counters)) f(n, name, counter);
	}),
	scalar('input_messages_total', 'counter', 'Messages an input handed to the hub.', ['input'], (s, f) => {
		for (const [name, i] of Object.entries(s.inputs)) f(i.sent, name);
	}),
	scalar('input_failures_total', 'counter', "Times an input's run() rejected.", ['input'], (s, f) => {
		for (const [name, i] of Object.entries(s.inputs)) f(i.failures, name);
	}),
	scalar('input_restarts_total', 'counter', 'Times an input was restarted after run() rejected.', ['input'], (s, f) => {
		for (const [name, i] of Object.entries(s.inputs)) f(i.restarts, name);
	}),
	scalar('up', 'gauge', '1 while the hub is running, else 0.', [], (s, f) => f(s.state === 'running' ? 1 : 0), 'min'),
	scalar('uptime_seconds', 'gauge', 'Seconds since the hub started (0 before start()).', [], (s, f) => f(s.uptimeMs / 1000), 'max'),
]);

/**
 * polku: an embeddable message pipeline for Node services. Inputs →
 * middleware → one bounded buffer → batched, isolated fan-out to outputs.
 *
 * @module polku
 * @packageDocumentation
 */
export { RingBuffer } from './buffer/ring-buffer.js';
export {
	ConfigError,
	DeliveryError,
	DROP_REASONS,
	CircuitOpenError,
	HubStateError,
	MessageValidationError,
	OutputError,
	PolkuError,
	RejectedError,
	SendTimeoutError,
	toError,
	type DropReason,
} from './errors.js';
export {
	ENVELOPE_HEADERS,
	escapeHeaderValue,
	fromEnvelopeHeaders,
	toEnvelopeHeaders,
	unescapeHeaderValue,
	type EnvelopeDefaults,
	type EnvelopeHeader,
} from './envelope/headers.js';
export type { CircuitEvent, DeadLetterEvent, DropEvent, ErrorContext, FlushEvent, HubEvents, RetryEvent, StallEvent, StopEvent } from './hub/events.js';
export { Hub, HubBuilder, type StopOptions } from './hub/hub.js';
export type { OutputManifest, PipelineManifest } from './hub/manifest.js';
export type { InputOptions, OutputCircuitOptions, OutputOptions, OverflowPolicy, RestartOptions, RetryOptions } from './hub/options.js';
export type { HubHealth, HubState, HubStats, InputStats, LaneState, MiddlewareStats, OutputStats } from './hub/stats.js';
export type {
	AbortSignalLike,
	BatchDrop,
	BatchOptions,
	BatchOutcome,
	DeliveryBatchOutcome,
	DeliveryFailure,
	DeliveryOutcome,
	Input,
	SendOutcome,
	Sink,
} from './input/input.js';
export { consoleLogger, silentLogger, type Logger } from './logger.js';
export { nowNanos } from './message/clock.js';
export { checkInteger, checkNumber, checkOneOf } from './option-checks.js';
export { payloadJson, payloadText, withMetadata, withPayload, withRoute } from './message/edit.js';
export * from './json-event/index.js';
export { createIdGenerator, nextId } from './message/id.js';
export { EMPTY_METADATA, freezeMetadata, newMetadata } from './message/metadata.js';
export { createMessage, isMessage, type Message, type MessageInit, type MessageLike } from './message/message.js';
export type { Metadata } from './message/metadata.js';
export * from './middleware/index.js';
export { TRACE_RECORD, TRACE_REQUEST, type TraceEntry } from './middleware/chain.js';
export { reject, Rejection, type Middleware, type MiddlewareContext, type MiddlewareResult } from './middleware/middleware.js';
export { DEAD_LETTER_KEYS } from './output/dead-letter.js';
export type { Output } from './output/output.js';
export * from './output/resilience/index.js';

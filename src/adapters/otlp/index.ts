/// <reference types="node" preserve="true" />
/**
 * OpenTelemetry for polku, over OTLP/HTTP: {@link OtlpLogsOutput} turns every
 * message into an OTLP log record and forwards OTLP export requests carried
 * through polku unchanged; {@link OtlpInput} receives OTLP from SDKs, agents
 * and collectors as one message per export request. No peer dependency: the
 * protobuf is written and read with polku's own wire codec against the
 * published opentelemetry-proto definitions.
 *
 * @module polku/otlp
 * @packageDocumentation
 */
export { OtlpExportError, otlpRetryable } from './otlp-errors.js';
export { OtlpInput, type OtlpInputStats } from './otlp-input.js';
export type { OtlpInputOptions } from './otlp-input-options.js';
export { OtlpLogsOutput, type OtlpLogsOutputEvents, type OtlpLogsOutputStats, type OtlpPartialSuccessEvent } from './otlp-logs-output.js';
export type { OtlpLogsOutputOptions, OtlpTlsOptions } from './otlp-output-options.js';
export { LOG_ATTRIBUTES } from './codec/logs-request.js';
export { OTLP_MESSAGE_TYPES, type OtlpSignal } from './signals.js';

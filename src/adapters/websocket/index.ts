/// <reference types="node" preserve="true" />
/**
 * WebSocket for polku (the optional peer dependency `ws`, loaded only when an
 * input runs or an output connects): {@link WebSocketInput}, an endpoint for
 * agents that send POLKU JSON events or protobuf `IngestBatch` frames and get
 * one ack frame per frame, and {@link WebSocketOutput}, which sends batches
 * as frames to another polku (or any WebSocket server).
 *
 * @module polku/websocket
 * @packageDocumentation
 */
export { ACK_ERROR_CODES } from '../grpc/acks.js';
export type { GrpcAck as WebSocketAck, GrpcAckError as WebSocketAckError, GrpcAckStats as WebSocketAckStats } from '../grpc/codec/ack.js';
export { DownstreamRejectedError } from '../grpc/output-errors.js';
export { WebSocketInput } from './websocket-input.js';
export type { WebSocketInputOptions } from './websocket-input-options.js';
export type { WebSocketInputStats } from './websocket-input-stats.js';
export { WebSocketOutput, type WebSocketOutputState } from './websocket-output.js';
export type { WebSocketOutputOptions } from './websocket-output-options.js';

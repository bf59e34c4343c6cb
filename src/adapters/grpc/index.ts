/// <reference types="node" preserve="true" />
/**
 * gRPC input and output speaking POLKU's `polku.v1.Gateway` wire protocol.
 * Needs the optional peer dependency `@grpc/grpc-js`; `import 'polku'` never
 * loads it, only this subpath does.
 *
 * @module polku/grpc
 * @packageDocumentation
 */
import { fileURLToPath } from 'node:url';

export { ACK_ERROR_CODES } from './acks.js';
export { bearerToken } from './auth.js';
export type { GrpcAck, GrpcAckError, GrpcAckStats } from './codec/ack.js';
export { CLUSTER_KEY } from './codec/event.js';
export type { GrpcComponentHealth, GrpcHealthReport, GrpcHealthResponse } from './codec/health.js';
export { encodeIngestBatch, encodeIngestEvent, type IngestBatchFields, type IngestEventInit } from './codec/ingest.js';
export type { EndpointState } from './endpoint.js';
export { GrpcInput, type GrpcInputAddress } from './grpc-input.js';
export { GrpcOutput } from './grpc-output.js';
export { hubHealth } from './hub-health.js';
export type { GrpcAuth, GrpcCallInfo, GrpcInputOptions, GrpcInputTlsOptions } from './input-options.js';
export type { GrpcInputStats } from './input-stats.js';
export { DownstreamRejectedError, EndpointsUnavailableError } from './output-errors.js';
export type { GrpcOutputOptions } from './output-options.js';
export { GATEWAY_SERVICE, gatewayClientService, type GatewayClientService } from './service.js';

/**
 * Absolute path of the folder holding the `.proto` files shipped with polku
 * (`polku/event/v1/event.proto`, `polku/v1/gateway.proto`), for generating
 * clients in other languages or loading them with `@grpc/proto-loader`.
 *
 * @example
 * ```ts
 * import { loadSync } from '@grpc/proto-loader';
 * import { PROTO_DIR } from 'polku/grpc';
 *
 * const definition = loadSync('polku/v1/gateway.proto', { includeDirs: [PROTO_DIR], longs: String });
 * ```
 */
export const PROTO_DIR: string = fileURLToPath(new URL('./proto/', import.meta.url));

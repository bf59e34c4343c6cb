/**
 * The polku gateway: the `polku-gateway` command's engine. {@link run} reads
 * the `POLKU_*` environment, builds and starts the hub (gRPC / HTTP inputs,
 * gRPC / webhook / stdout outputs), serves `/metrics`, `/health` and
 * `/pipeline`, and stops cleanly on SIGTERM; your own `main()` can call it
 * with a `configure` callback to compose the pipeline in code.
 *
 * @module polku/gateway
 * @packageDocumentation
 */
export { loadConfig, unknownVariables, type GatewayConfig } from './config.js';
export { createLogger, LOG_LEVELS, type GatewayLogger, type LoggerOptions, type LogLevel } from './logger.js';
export { run, type Gateway, type GatewayAddresses, type GatewayConfigure, type GatewayContext, type RunOptions } from './run.js';
export { StdoutOutput, type LineStream, type StdoutOutputOptions } from './stdout-output.js';

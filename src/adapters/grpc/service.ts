import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { decodeAck, encodeAck, type GrpcAck } from './codec/ack.js';
import { decodeHealth, encodeHealth, type GrpcHealthReport, type GrpcHealthResponse } from './codec/health.js';
import { decodeIngestBatch, decodeIngestEvent } from './codec/ingest.js';
import type { DecodedEvents } from './codec/json-events.js';

/**
 * Fully qualified name of the service, as on the wire.
 *
 * @example
 * ```ts
 * import { GATEWAY_SERVICE } from 'polku/grpc';
 *
 * const path = `/${GATEWAY_SERVICE}/StreamEvents`; // '/polku.v1.Gateway/StreamEvents'
 * ```
 */
export const GATEWAY_SERVICE = 'polku.v1.Gateway';

const EMPTY = Buffer.alloc(0);
const identity = (bytes: Buffer): Buffer => bytes;
/** `HealthRequest` is empty; grpc-js needs a truthy request value. */
const HEALTH_REQUEST: Readonly<Record<string, never>> = Object.freeze({});
const healthRequest = (): Readonly<Record<string, never>> => HEALTH_REQUEST;
const empty = (): Buffer => EMPTY;

function method<Req, Res>(
	name: string,
	requestStream: boolean,
	responseStream: boolean,
	request: { serialize: (value: Req) => Buffer; deserialize: (bytes: Buffer) => Req },
	response: { serialize: (value: Res) => Buffer; deserialize: (bytes: Buffer) => Res },
): MethodDefinition<Req, Res> {
	return {
		path: `/${GATEWAY_SERVICE}/${name}`,
		requestStream,
		responseStream,
		requestSerialize: request.serialize,
		requestDeserialize: request.deserialize,
		responseSerialize: response.serialize,
		responseDeserialize: response.deserialize,
		originalName: name[0]!.toLowerCase() + name.slice(1),
	};
}

const serverOnly = (): never => {
	throw new Error('polku.v1.Gateway server definition used as a client');
};

/** Server side of `polku.v1.Gateway`: requests decode straight into messages (never throwing). */
export interface GatewayServerService extends ServiceDefinition {
	StreamEvents: MethodDefinition<DecodedEvents, GrpcAck>;
	SendEvent: MethodDefinition<DecodedEvents, GrpcAck>;
	Health: MethodDefinition<Readonly<Record<string, never>>, GrpcHealthReport>;
}

/**
 * Client side of `polku.v1.Gateway`: requests are pre-encoded bytes (see
 * {@link encodeIngestBatch}), responses decode to plain objects.
 *
 * @example
 * ```ts
 * import { makeClientConstructor } from '@grpc/grpc-js';
 * import { gatewayClientService, type GatewayClientService } from 'polku/grpc';
 *
 * const service: GatewayClientService = gatewayClientService;
 * const Gateway = makeClientConstructor(service, 'polku.v1.Gateway');
 * ```
 */
export interface GatewayClientService extends ServiceDefinition {
	/** Bidirectional: encoded IngestBatch in, one Ack per batch out. */
	StreamEvents: MethodDefinition<Buffer, GrpcAck>;
	/** Unary: encoded IngestEvent in, Ack out. */
	SendEvent: MethodDefinition<Buffer, GrpcAck>;
	/** Unary: empty request, HealthResponse out. */
	Health: MethodDefinition<Readonly<Record<string, never>>, GrpcHealthResponse>;
}

/**
 * The service definition a GrpcInput registers with `server.addService`:
 * requests with more than `maxEvents` events stop decoding there and come
 * back as a failure.
 */
export function gatewayServerService(maxEvents = Infinity): GatewayServerService {
	return {
		StreamEvents: method(
			'StreamEvents',
			true,
			true,
			{ serialize: serverOnly, deserialize: (bytes) => decodeIngestBatch(bytes, maxEvents) },
			{ serialize: encodeAck, deserialize: serverOnly },
		),
		SendEvent: method(
			'SendEvent',
			false,
			false,
			{ serialize: serverOnly, deserialize: (bytes) => decodeIngestEvent(bytes, maxEvents) },
			{ serialize: encodeAck, deserialize: serverOnly },
		),
		Health: method('Health', false, false, { serialize: serverOnly, deserialize: healthRequest }, { serialize: encodeHealth, deserialize: serverOnly }),
	};
}

/**
 * The service definition GrpcOutput calls with, for your own grpc-js clients
 * of a `polku.v1.Gateway` (no protobuf library needed).
 *
 * @example
 * ```ts
 * import { createMessage } from 'polku';
 * import { Client, credentials } from '@grpc/grpc-js';
 * import { encodeIngestEvent, gatewayClientService } from 'polku/grpc';
 *
 * const { SendEvent } = gatewayClientService;
 * const client = new Client('localhost:50051', credentials.createInsecure());
 * const request = encodeIngestEvent({ source: 'app', event: createMessage({ source: 'app', messageType: 'hit' }) });
 * client.makeUnaryRequest(SendEvent.path, SendEvent.requestSerialize, SendEvent.responseDeserialize, request, (error, ack) => {
 *   console.log(error ?? ack?.eventIds);
 * });
 * ```
 */
export const gatewayClientService: GatewayClientService = {
	StreamEvents: method('StreamEvents', true, true, { serialize: identity, deserialize: identity }, { serialize: encodeAck, deserialize: decodeAck }),
	SendEvent: method('SendEvent', false, false, { serialize: identity, deserialize: identity }, { serialize: encodeAck, deserialize: decodeAck }),
	Health: method('Health', false, false, { serialize: empty, deserialize: healthRequest }, { serialize: encodeHealth, deserialize: decodeHealth }),
};

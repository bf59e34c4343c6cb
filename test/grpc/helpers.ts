// Shared setup of the gRPC tests: an independent client codec (proto-loader +
// protobufjs reading polku's .proto files) and a hub fed by a GrpcInput.
import { once } from 'node:events';
import {
	credentials,
	loadPackageDefinition,
	Metadata,
	type Client,
	type ClientDuplexStream,
	type ServiceClientConstructor,
	type ServiceError,
} from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { Hub, type OverflowPolicy } from '../../src/index.js';
import { GrpcInput, PROTO_DIR, type GrpcInputOptions } from '../../src/adapters/grpc/index.js';
import { MemoryOutput } from '../../src/testing/index.js';

/** Loaded with keepCase, int64 as decimal strings, enums as numbers: what goes on the wire, readable. */
export const packageDefinition: PackageDefinition = loadSync(['polku/event/v1/event.proto', 'polku/v1/gateway.proto'], {
	includeDirs: [PROTO_DIR],
	keepCase: true,
	longs: String,
	enums: Number,
	defaults: false,
	oneofs: true,
});

/** A proto-loader method definition, for encoding / decoding outside a call. */
export function protoMethod(name: 'StreamEvents' | 'SendEvent' | 'Health'): {
	requestSerialize: (value: object) => Buffer;
	requestDeserialize: (bytes: Buffer) => Record<string, unknown>;
	responseSerialize: (value: object) => Buffer;
	responseDeserialize: (bytes: Buffer) => Record<string, unknown>;
} {
	const service = packageDefinition['polku.v1.Gateway'] as unknown as Record<string, ReturnType<typeof protoMethod>>;
	return service[name]!;
}

const grpcObject = loadPackageDefinition(packageDefinition) as unknown as { polku: { v1: { Gateway: ServiceClientConstructor } } };

/** A proto-loader `polku.v1.Gateway` client; close it with `client.close()`. */
export function gatewayClient(port: number, options: Record<string, unknown> = {}): GatewayClient {
	return new grpcObject.polku.v1.Gateway(`127.0.0.1:${port}`, credentials.createInsecure(), options) as unknown as GatewayClient;
}

/** Event / Ack shapes as proto-loader presents them (snake_case, int64 as string). */
export interface WireEvent {
	id?: string;
	timestamp_unix_ns?: string;
	source?: string;
	event_type?: string;
	metadata?: Record<string, string>;
	payload?: Buffer;
	route_to?: string[];
	severity?: number;
	outcome?: number;
}
export interface WireAck {
	event_ids?: string[];
	errors?: { event_id?: string; code?: string; message?: string }[];
	buffer_size?: string;
	buffer_capacity?: string;
	middleware_stats?: Record<string, string>;
}
export interface WireBatch {
	source?: string;
	cluster?: string;
	raw?: { data: Buffer; format: string };
	events?: { events: WireEvent[] };
}
export interface GatewayClient extends Client {
	StreamEvents(metadata?: Metadata): ClientDuplexStream<WireBatch, WireAck>;
	SendEvent(request: object, metadata: Metadata, callback: (error: ServiceError | null, ack?: WireAck) => void): void;
	SendEvent(request: object, callback: (error: ServiceError | null, ack?: WireAck) => void): void;
	Health(request: object, callback: (error: ServiceError | null, response?: Record<string, unknown>) => void): void;
}

/** SendEvent as a promise. */
export function sendEvent(client: GatewayClient, request: object, metadata = new Metadata()): Promise<WireAck> {
	return new Promise((resolve, reject) => client.SendEvent(request, metadata, (error, ack) => (error ? reject(error) : resolve(ack!))));
}

/** Health as a promise. */
export function health(client: GatewayClient): Promise<Record<string, unknown>> {
	return new Promise((resolve, reject) => client.Health({}, (error, r) => (error ? reject(error) : resolve(r!))));
}

/** Writes `batches` on one StreamEvents call, half-closes, and collects every Ack until the status. */
export async function streamBatches(client: GatewayClient, batches: readonly WireBatch[], metadata = new Metadata()): Promise<WireAck[]> {
	const call = client.StreamEvents(metadata);
	const acks: WireAck[] = [];
	call.on('data', (ack: WireAck) => acks.push(ack));
	const ended = new Promise<void>((resolve, reject) => {
		call.on('error', reject);
		call.on('end', resolve);
	});
	for (const b of batches) call.write(b);
	call.end();
	await ended;
	return acks;
}

/** The error a promise rejects with (fails if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<ServiceError> {
	try {
		await promise;
	} catch (error) {
		return error as ServiceError;
	}
	throw new Error('expected a rejection');
}

export interface Rig {
	hub: Hub;
	input: GrpcInput;
	output: MemoryOutput;
	port: number;
	client: GatewayClient;
	close(): Promise<void>;
}

/** A started hub with a GrpcInput on 127.0.0.1:0, one MemoryOutput, and a connected client. */
export async function startRig(
	options: Omit<GrpcInputOptions, 'address'> = {},
	hubOptions: { capacity?: number; overflow?: OverflowPolicy; batchSize?: number; output?: MemoryOutput; configure?: (b: ReturnType<typeof Hub.builder>) => void } = {},
): Promise<Rig> {
	const input = new GrpcInput({ ...options, address: '127.0.0.1:0' });
	const output = hubOptions.output ?? new MemoryOutput({ name: 'memory' });
	const builder = Hub.builder()
		.bufferCapacity(hubOptions.capacity ?? 10_000)
		.batchSize(hubOptions.batchSize ?? Math.min(100, hubOptions.capacity ?? 100))
		.flushInterval(0)
		.overflow(hubOptions.overflow ?? 'block')
		.input(input)
		.output(output, { retry: false });
	hubOptions.configure?.(builder);
	const hub = builder.build();
	await hub.start();
	const { port } = await input.ready;
	const client = gatewayClient(port);
	return {
		hub,
		input,
		output,
		port,
		client,
		async close() {
			client.close();
			output.release();
			await hub.stop({ timeoutMs: 2000 });
		},
	};
}

/** Waits for `event` on `emitter` (a typed `events.once`). */
export const next = once;

/** A wire event with the given id and a small payload. */
export function wireEvent(id: string, extra: Partial<WireEvent> = {}): WireEvent {
	return { id, timestamp_unix_ns: '1764216000123456789', source: 'test', event_type: 'tick', payload: Buffer.from(`payload-${id}`), ...extra };
}

// Server side of the gRPC benchmark, run in its own process (forked by ../grpc.ts).
// argv: <polku|bare> <flowControlWindow bytes>
//   polku: a Hub with a GrpcInput (no middleware) and a counting no-op output.
//   bare:  a grpc-js server with the same service definition (same codec) that
//          only decodes, counts and acks.
// Sends { port } when listening. On 'cpu', replies { cpu } (process.cpuUsage()).
// On 'stop', drains (polku: hub.stop()), replies { events } (the events its
// output / handler counted) and exits.
import { Server, ServerCredentials, type sendUnaryData, type ServerDuplexStream, type ServerUnaryCall } from '@grpc/grpc-js';
import { Hub, type Message, type Output } from '../../../src/index.js';
import type { GrpcAck } from '../../../src/adapters/grpc/codec/ack.js';
import type { DecodedEvents } from '../../../src/adapters/grpc/codec/json-events.js';
import { applyFlowControlWindow } from '../../../src/adapters/grpc/flow-control.js';
import { GrpcInput } from '../../../src/adapters/grpc/index.js';
import { gatewayServerService } from '../../../src/adapters/grpc/service.js';

const [mode, windowArg] = process.argv.slice(2);
const flowControlWindow = Number(windowArg);
const send = (message: object): void => void process.send!(message);
process.on('message', (m) => {
	if (m === 'cpu') send({ cpu: process.cpuUsage() });
});

class CountingOutput implements Output {
	readonly name = 'count';
	count = 0;
	async send(batch: readonly Message[]): Promise<void> {
		this.count += batch.length;
	}
}

async function polku(): Promise<void> {
	const input = new GrpcInput({ address: '127.0.0.1:0', flowControlWindow });
	const output = new CountingOutput();
	const hub = Hub.builder().bufferCapacity(100_000).batchSize(1000).input(input).output(output).build();
	await hub.start();
	send({ port: (await input.ready).port });
	process.on('message', async (m) => {
		if (m !== 'stop') return;
		await hub.stop();
		send({ events: output.count });
		process.exit(0);
	});
}

function ackOf(messages: readonly Message[]): GrpcAck {
	return { eventIds: messages.map((m) => m.id), errors: [], bufferSize: 0, bufferCapacity: 0 };
}

async function bare(): Promise<void> {
	let count = 0;
	const server = new Server({ 'grpc.max_receive_message_length': 4 << 20 });
	server.addService(gatewayServerService(10_000), {
		StreamEvents: (call: ServerDuplexStream<DecodedEvents, GrpcAck>) => {
			call.on('data', (decoded: DecodedEvents) => {
				const messages = decoded.messages ?? [];
				count += messages.length;
				call.write(ackOf(messages));
			});
			call.on('end', () => call.end());
		},
		SendEvent: (call: ServerUnaryCall<DecodedEvents, GrpcAck>, callback: sendUnaryData<GrpcAck>) => {
			const messages = call.request.messages ?? [];
			count += messages.length;
			callback(null, ackOf(messages));
		},
		Health: (_call: unknown, callback: sendUnaryData<{ healthy: boolean }>) => callback(null, { healthy: true }),
	});
	applyFlowControlWindow(server, flowControlWindow);
	const port = await new Promise<number>((resolve, reject) =>
		server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
	);
	send({ port });
	process.on('message', (m) => {
		if (m !== 'stop') return;
		server.forceShutdown();
		send({ events: count });
		process.exit(0);
	});
}

await (mode === 'polku' ? polku() : bare());

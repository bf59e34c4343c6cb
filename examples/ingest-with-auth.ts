// gRPC and HTTP ingestion with authentication: one hub, a GrpcInput and an HttpInput, both requiring one of
// the service's bearer tokens; calls without one are refused before anything reaches the hub, and counted.
// Needs `npm install @grpc/grpc-js` (the gRPC adapter's peer) and, for this client, `@grpc/proto-loader`.
// expect: HTTP without a token: 401
// expect: HTTP with a token: 202 accepted 2
// expect: gRPC without a token: UNAUTHENTICATED
// expect: gRPC with a token: acked 1 event
// expect: received 3: web-shop/order.created, web-shop/order.paid, pos-7/sale
// expect: refused: gRPC 1, hub drops 0
import { credentials, loadPackageDefinition, Metadata, status, type ServiceClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { Hub } from 'polku';
import { bearerToken, GrpcInput, PROTO_DIR } from 'polku/grpc';
import { HttpInput } from 'polku/http';
import { MemoryOutput } from 'polku/testing';

// The accepted tokens (in a real service: from a secret store; several allow rotation).
const tokens = ['shop-token', 'till-token'];

// Port 0: pick free ports (a real service would listen on fixed ones, e.g. 0.0.0.0:50051 and 0.0.0.0:8080).
const grpcInput = new GrpcInput({ address: '127.0.0.1:0', auth: bearerToken(tokens) });
const httpInput = new HttpInput({ address: '127.0.0.1:0', auth: tokens });
const received = new MemoryOutput('received');
const hub = Hub.builder()
	.input(grpcInput)
	.input(httpInput)
	.output(received)
	.build();
await hub.start();
const [{ port: grpcPort }, { port: httpPort }] = await Promise.all([grpcInput.ready, httpInput.ready]);

// HTTP: POST the POLKU JSON event form.
const events = [
	{ source: 'web-shop', event_type: 'order.created', payload: btoa('{"order":1}') },
	{ source: 'web-shop', event_type: 'order.paid', payload: btoa('{"order":1}') },
];
const post = (headers: Record<string, string>) =>
	fetch(`http://127.0.0.1:${httpPort}/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(events) });
console.log(`HTTP without a token: ${(await post({})).status}`);
const ok = await post({ authorization: 'Bearer shop-token' });
console.log(`HTTP with a token: ${ok.status} accepted ${((await ok.json()) as { accepted: number }).accepted}`);

// gRPC: a client generated at run time from the .proto files polku ships (PROTO_DIR).
const definition = loadSync(['polku/event/v1/event.proto', 'polku/v1/gateway.proto'], { includeDirs: [PROTO_DIR], keepCase: true, longs: String });
const { Gateway } = (loadPackageDefinition(definition) as unknown as { polku: { v1: { Gateway: ServiceClientConstructor } } }).polku.v1;
const client = new Gateway(`127.0.0.1:${grpcPort}`, credentials.createInsecure()) as unknown as {
	SendEvent(request: object, metadata: Metadata, callback: (error: ServiceError | null, ack?: { event_ids: string[] }) => void): void;
	close(): void;
};
const sendEvent = (token: string | undefined) => {
	const metadata = new Metadata();
	if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
	const request = { event: { source: 'pos-7', event_type: 'sale', payload: Buffer.from('{"total":12.5}') } };
	return new Promise<{ event_ids: string[] }>((resolve, reject) => client.SendEvent(request, metadata, (e, ack) => (e ? reject(e) : resolve(ack!))));
};
await sendEvent(undefined).catch((e: ServiceError) => console.log(`gRPC without a token: ${status[e.code]} (${e.details})`));
console.log(`gRPC with a token: acked ${(await sendEvent('till-token')).event_ids.length} event`);
client.close();

await hub.stop();
const summary = received.messages.map((m) => `${m.source}/${m.messageType}`);
console.log(`received ${summary.length}: ${summary.join(', ')}`);
const hubDrops = Object.values(hub.stats().dropped).reduce((a, b) => a + b, 0);
console.log(`refused: gRPC ${grpcInput.stats.unauthenticated}, hub drops ${hubDrops}`);

// The internal agent pipeline: edge agents send over WebSocket, MQTT and gRPC to one polku, which fans out
// to a backend webhook, an OpenTelemetry collector (OTLP logs) and an S3 archive, and buffers through a
// backend restart. Run: node --import tsx examples/agent-pipeline.ts (needs the Mosquitto on 127.0.0.1:1883;
// the backend, the collector and S3 (s3rver) run on loopback inside the example).
// expect: agents: websocket 10 acked, mqtt 5 published, grpc 5 acked
// expect: backend webhook: 20 events \(after 1 refused request: buffered and retried\)
// expect: OTLP collector: 20 log records
// expect: S3 archive: 20 events in [1-9] gzip NDJSON objects
//
//   agent-ws   (an edge polku, WebSocketOutput) ─┐                      ┌─► backend webhook (WebhookOutput)
//   agent-mqtt (a device publishing to MQTT)    ─┼─► polku (one buffer) ─┼─► OTLP collector (OtlpLogsOutput)
//   agent-grpc (an edge polku, GrpcOutput)      ─┘                      └─► S3 archive     (S3Output, gzip NDJSON)
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import mqtt from 'mqtt';
import { Hub, type MessageInit } from 'polku';
import { GrpcInput, GrpcOutput } from 'polku/grpc';
import { WebhookOutput } from 'polku/http';
import { MqttInput } from 'polku/mqtt';
import { OtlpLogsOutput, otlpRetryable } from 'polku/otlp';
import { S3Output, s3Retryable } from 'polku/s3';
import { WebSocketInput, WebSocketOutput } from 'polku/websocket';
import S3rver from 's3rver';

process.removeAllListeners('warning'); // the AWS SDK's Node 20 support notice
const run = `agents-example/${process.pid}-${Date.now()}`;
const listen = (server: ReturnType<typeof createServer>): Promise<number> =>
	new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

// ---- the destinations (stand-ins on loopback) ----------------------------------------------------------
let backendEvents = 0;
let refused = 0;
const backend = createServer((req, res) => {
	let body = '';
	req.on('data', (c: Buffer) => (body += c));
	req.on('end', () => {
		if (refused === 0) {
			refused++; // the backend is restarting: polku keeps the batch and retries
			return res.writeHead(503).end();
		}
		backendEvents += (JSON.parse(body) as unknown[]).length;
		res.writeHead(200).end();
	});
});
const backendPort = await listen(backend);

const collector = createServer((req, res) => {
	req.resume();
	req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
});
const collectorPort = await listen(collector);

const s3dir = mkdtempSync(join(tmpdir(), 'polku-agents-s3-'));
const s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3dir });
const s3 = new S3Client({
	endpoint: `http://127.0.0.1:${(await s3rver.run()).port}`,
	forcePathStyle: true,
	region: 'us-east-1',
	credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
	requestChecksumCalculation: 'WHEN_REQUIRED',
	responseChecksumValidation: 'WHEN_REQUIRED',
});
const bucket = `agents-${Date.now()}`;
await s3.send(new CreateBucketCommand({ Bucket: bucket }));

// ---- the central polku ------------------------------------------------------------------------------------
const mqttClient = mqtt.connect('mqtt://127.0.0.1:1883', {
	protocolVersion: 5,
	clientId: `polku-agents-example-${process.pid}`,
	clean: false,
	properties: { sessionExpiryInterval: 60, receiveMaximum: 100 },
});
const mqttInput = new MqttInput({ client: mqttClient, topics: `${run}/+/events`, source: '{-2}', messageType: 'agent.event' });
const wsInput = new WebSocketInput({ address: '127.0.0.1:0', path: '/agents', ackAfterDelivery: true });
const grpcInput = new GrpcInput({ address: '127.0.0.1:0', ackAfterDelivery: true });
const webhook = new WebhookOutput({ url: `http://127.0.0.1:${backendPort}/events`, format: 'json' });
const otlp = new OtlpLogsOutput({ endpoint: `http://127.0.0.1:${collectorPort}`, serviceName: 'agent-pipeline' });
const archive = new S3Output({ client: s3, bucket, prefix: 'agents/', compression: 'gzip' });
const central = Hub.builder()
	.bufferCapacity(10_000)
	.input(wsInput)
	.input(mqttInput)
	.input(grpcInput)
	.output(webhook, { batchSize: 100, flushInterval: 20, retry: { attempts: 10, baseDelayMs: 50 } })
	.output(otlp, { batchSize: 100, flushInterval: 20, retry: { attempts: 5, retryable: otlpRetryable } })
	// Real archives want big objects (thousands of events, minutes); small here so the example ends quickly.
	.output(archive, { batchSize: 1000, flushInterval: 200, maxInFlight: 4, retry: { attempts: 5, retryable: s3Retryable } })
	.build();
await central.start();
const wsPort = (await wsInput.ready).port;
await mqttInput.ready; // subscribed
const grpcPort = (await grpcInput.ready).port;

// ---- the agents ---------------------------------------------------------------------------------------
const events = (agent: string, n: number): MessageInit[] =>
	Array.from({ length: n }, (_, i) => ({ source: agent, messageType: 'agent.event', payload: JSON.stringify({ agent, seq: i, load: (i * 17) % 100 }) }));

// agent-ws: an edge polku whose output is the central one; its deliver() resolves once the central acked.
const wsAgent = Hub.builder().flushInterval(5).output(new WebSocketOutput({ url: `ws://127.0.0.1:${wsPort}/agents`, format: 'protobuf' }), { retry: { attempts: 10 } }).build();
await wsAgent.start();
const ws = await wsAgent.deliverBatch(events('agent-ws', 10));
await wsAgent.stop();

// agent-mqtt: a device publishing at QoS 1.
const device = await mqtt.connectAsync('mqtt://127.0.0.1:1883', { protocolVersion: 5 });
for (let i = 0; i < 5; i++) await device.publishAsync(`${run}/agent-mqtt/events`, JSON.stringify({ agent: 'agent-mqtt', seq: i }), { qos: 1 });

// agent-grpc: an edge polku speaking polku.v1 to the central one.
const grpcAgent = Hub.builder().flushInterval(5).output(new GrpcOutput({ endpoints: [`127.0.0.1:${grpcPort}`], source: 'agent-grpc' }), { retry: { attempts: 10 } }).build();
await grpcAgent.start();
const grpc = await grpcAgent.deliverBatch(events('agent-grpc', 5));
await grpcAgent.stop();
console.log(`agents: websocket ${ws.delivered} acked, mqtt 5 published, grpc ${grpc.delivered} acked`);

// ---- shut down: the central drains its buffer to every output ---------------------------------------
const deadline = Date.now() + 10_000;
while (backendEvents < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
await central.stop();
await Promise.all([mqttClient.endAsync(), device.endAsync()]);

console.log(`backend webhook: ${backendEvents} events (after ${refused} refused request: buffered and retried)`);
console.log(`OTLP collector: ${otlp.stats().logRecords} log records`);
const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key!);
let archived = 0;
for (const key of keys) {
	const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
	archived += gunzipSync(await object.Body!.transformToByteArray()).toString('utf8').trimEnd().split('\n').length;
}
console.log(`S3 archive: ${archived} events in ${keys.length} gzip NDJSON objects (${keys[0]}, …)`);

// Clean up: the loopback stand-ins, and this example's MQTT session.
backend.close();
collector.close();
s3.destroy();
await s3rver.close();
rmSync(s3dir, { recursive: true, force: true });
const forget = await mqtt.connectAsync('mqtt://127.0.0.1:1883', { protocolVersion: 5, clientId: `polku-agents-example-${process.pid}`, clean: true, properties: { sessionExpiryInterval: 0 } });
await forget.endAsync();

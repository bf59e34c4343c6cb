// Fan-out to OpenTelemetry: an OpenTelemetry SDK exports logs to polku's OtlpInput, the app's own events join
// them, and OtlpLogsOutput sends both to a collector: `node --import tsx examples/otlp-fanout.ts`.
// With OTLP_ENDPOINT set it sends there; otherwise it starts a loopback receiver that prints what it gets.
// expect: the SDK's export was answered 200
// expect: collector: POST /v1/logs application/x-protobuf, \d+ bytes
// expect: polku output: 3 log records made from events and 1 export request passed through, in [12] requests? to the collector
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { Hub } from 'polku';
import { OtlpInput, OtlpLogsOutput, otlpRetryable } from 'polku/otlp';
import { MemoryInput } from 'polku/testing';

let endpoint = process.env['OTLP_ENDPOINT'];
const receiver = createServer((req, res) => {
	let size = 0;
	req.on('data', (chunk: Buffer) => (size += chunk.length));
	req.on('end', () => {
		console.log(`collector: ${req.method} ${req.url} ${req.headers['content-type']}, ${size} bytes`);
		res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
	});
});
if (endpoint === undefined) {
	await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
	endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
}

const otlpIn = new OtlpInput({ address: '127.0.0.1:0' });
const app = new MemoryInput('app');
const otlpOut = new OtlpLogsOutput({ endpoint, serviceName: 'edge-gateway', resourceAttributes: { 'deployment.environment': 'example' } });
const hub = Hub.builder()
	.input(otlpIn)
	.input(app)
	.output(otlpOut, { batchSize: 100, flushInterval: 50, retry: { attempts: 5, retryable: otlpRetryable } })
	.build();
await hub.start();
const { port } = await otlpIn.ready;

// An OpenTelemetry SDK, configured as usual, exporting to polku instead of the collector.
const provider = new LoggerProvider({
	resource: resourceFromAttributes({ 'service.name': 'checkout' }),
	processors: [new SimpleLogRecordProcessor(new OTLPLogExporter({ url: `http://127.0.0.1:${port}/v1/logs` }))],
});
provider.getLogger('checkout').emit({ body: 'payment declined', severityText: 'WARN', severityNumber: 13 });
await provider.forceFlush();
await provider.shutdown();
console.log(`the SDK's export was answered ${Object.keys(otlpIn.stats().responses).join(', ')}`);

// The app's own events: each becomes a log record (severity from polku.severity, W3C trace context from traceparent).
await app.push([
	{ source: 'checkout', messageType: 'order.created', payload: '{"order":1}' },
	{ source: 'checkout', messageType: 'order.failed', metadata: { 'polku.severity': 'error', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }, payload: 'card expired' },
	{ source: 'checkout', messageType: 'order.created', payload: '{"order":2}' },
]);

await hub.stop();
const s = otlpOut.stats();
console.log(`polku output: ${s.logRecords} log records made from events and ${s.passThrough} export request passed through, in ${s.requests} request${s.requests === 1 ? '' : 's'} to the collector`);
receiver.close();

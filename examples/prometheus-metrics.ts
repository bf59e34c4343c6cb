// Prometheus metrics for a hub, two ways: prometheusText() renders the exposition format with no dependency
// (served here on node:http), and registerMetrics() puts the same metrics into a prom-client Registry
// (`npm install prom-client`), beside your own.
// expect: scrape: 200 text/plain; version=0\.0\.4
// expect: polku_messages_received_total\{pipeline="orders"\} 100
// expect: polku_messages_forwarded_total\{pipeline="orders",output="warehouse"\} 100
// expect: polku_output_send_duration_seconds_count\{pipeline="orders",output="warehouse"\} [1-9]
// expect: prom-client: polku_messages_received_total\{pipeline="orders"\} 100 beside app_requests_total 1
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hub } from 'polku';
import { attachMetrics, PROMETHEUS_CONTENT_TYPE, prometheusText, registerMetrics } from 'polku/prometheus';
import { MemoryInput, MemoryOutput } from 'polku/testing';
import { Counter, Registry } from 'prom-client';

const input = new MemoryInput();
const warehouse = new MemoryOutput('warehouse');
const hub = Hub.builder().batchSize(20).flushInterval(1).input(input).output(warehouse).build();
attachMetrics(hub); // the send-duration histogram counts from now (else from the first scrape)
await hub.start();
await input.push(Array.from({ length: 100 }, (_, i) => ({ source: 'checkout', messageType: 'order.created', payload: String(i) })));

// 1. No dependency: serve prometheusText() on /metrics.
const server = createServer((req, res) => {
	if (req.url !== '/metrics') return void res.writeHead(404).end();
	res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(prometheusText(hub, { labels: { pipeline: 'orders' } }));
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
await warehouse.waitFor(100); // every batch reached the output
const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
console.log(`scrape: ${response.status} ${response.headers.get('content-type')}`);
const text = await response.text();
for (const name of ['polku_messages_received_total', 'polku_messages_forwarded_total', 'polku_output_send_duration_seconds_count']) {
	console.log(text.split('\n').find((line) => line.startsWith(name)));
}
server.close();

// 2. prom-client: polku's metrics in your registry, next to your own.
const registry = new Registry();
const requests = new Counter({ name: 'app_requests_total', help: 'requests served', registers: [registry] });
requests.inc();
const unregister = registerMetrics(hub, registry, { labels: { pipeline: 'orders' } });
const exposition = await registry.metrics(); // what GET /metrics answers, with content type registry.contentType
const received = exposition.split('\n').find((line) => line.startsWith('polku_messages_received_total'));
console.log(`prom-client: ${received} beside ${exposition.split('\n').find((line) => line.startsWith('app_requests_total'))}`);

await hub.stop();
unregister();

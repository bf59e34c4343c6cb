// Agents sending to a central polku over WebSocket (run: node --import tsx examples/websocket-agents.ts).
// expect: agent-a: 20 delivered \(each frame acked by the central\)
// expect: agent-b: 2 accepted, then 1 refused \(INVALID: event_type
// expect: central received 23 events: agent-a 20, agent-b 2, agent-c 1
//
//   central: one http.Server → HttpInput (POST /events) and WebSocketInput (ws://…/agents), bearer auth
//   agent-a: its own polku hub → WebSocketOutput (protobuf frames, resolves on the central's ack)
//   agent-b: a bare `ws` client sending a JSON frame and reading the ack frame
//   agent-c: a plain HTTP POST
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { Hub, type Message, type Output } from 'polku';
import { HttpInput } from 'polku/http';
import { WebSocketInput, WebSocketOutput, type WebSocketAck } from 'polku/websocket';

const TOKEN = 'agent-token';

class Backend implements Output {
	readonly name = 'backend';
	readonly events: Message[] = [];
	async send(batch: readonly Message[]): Promise<void> {
		this.events.push(...batch);
	}
}

// The central polku: HTTP and WebSocket on one port.
const server = createServer();
const backend = new Backend();
const central = Hub.builder()
	.flushInterval(5)
	.input(new HttpInput({ server, auth: TOKEN }))
	.input(new WebSocketInput({ server, path: '/agents', auth: TOKEN, ackAfterDelivery: true, idleTimeoutMs: 10 * 60_000 }))
	.output(backend)
	.build();
await central.start();
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as AddressInfo).port;

// agent-a: an edge polku forwarding everything it gets to the central one.
const upstream = new WebSocketOutput({ url: `ws://127.0.0.1:${port}/agents`, format: 'protobuf', headers: { authorization: `Bearer ${TOKEN}` } });
const agentA = Hub.builder().batchSize(10).flushInterval(5).output(upstream, { retry: { attempts: 10, maxDelayMs: 1_000 } }).build();
await agentA.start();
const readings = Array.from({ length: 20 }, (_, i) => ({ source: 'agent-a', messageType: 'cpu', payload: JSON.stringify({ cpu: (i * 7) % 100 }) }));
const { delivered } = await agentA.deliverBatch(readings); // resolves once the central acked every frame
await agentA.stop();
console.log(`agent-a: ${delivered} delivered (each frame acked by the central)`);

// agent-b: any WebSocket client; one frame, one ack frame back.
const ws = new WebSocket(`ws://127.0.0.1:${port}/agents?source=agent-b`, { headers: { authorization: `Bearer ${TOKEN}` } });
await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
const ack = await new Promise<WebSocketAck>((resolve) => {
	ws.once('message', (data) => resolve(JSON.parse(data.toString()) as WebSocketAck));
	ws.send(JSON.stringify([
		{ event_type: 'login', payload_encoding: 'utf8', payload: 'user 7' },
		{ event_type: 'click', payload: { button: 'buy' } },
	]));
});
const bad = await new Promise<WebSocketAck>((resolve) => {
	ws.once('message', (data) => resolve(JSON.parse(data.toString()) as WebSocketAck));
	ws.send('{"event_type": 42}');
});
ws.close();
console.log(`agent-b: ${ack.eventIds.length} accepted, then ${bad.errors.length} refused (${bad.errors[0]?.code}: ${bad.errors[0]?.message})`);

// agent-c: plain HTTP on the same port.
await fetch(`http://127.0.0.1:${port}/events`, {
	method: 'POST',
	headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
	body: JSON.stringify({ source: 'agent-c', event_type: 'heartbeat' }),
});

await central.stop();
server.close();
const bySource = new Map<string, number>();
for (const e of backend.events) bySource.set(e.source, (bySource.get(e.source) ?? 0) + 1);
const summary = [...bySource].sort().map(([s, n]) => `${s} ${n}`).join(', ');
console.log(`central received ${backend.events.length} events: ${summary}`);

// A WebSocket server for the benchmark, in its own process: `polku` (WebSocketInput → Hub → no-op output),
// `bare` (a ws server that JSON.parses each frame, counts the events and answers a small ack), or
// `bare-decode` (the bare server plus polku's frame decoding and an ack listing the ids). Protobuf frames
// are decoded with polku's codec in every mode (there is no other decoder to compare with).
// IPC: sends { port } when listening; answers 'rss' with { rss, connections } after a GC; exits on 'stop'.
import { WebSocketServer } from 'ws';
import { decodeFrame } from '../../../src/adapters/websocket/frames.js';
import { WebSocketInput } from '../../../src/adapters/websocket/index.js';
import { Hub, type Message, type Output } from '../../../src/index.js';

const mode = process.argv[2] as 'polku' | 'bare' | 'bare-decode';
const gc = (globalThis as { gc?: () => void }).gc!;
let connections = (): number => 0;
let stop: () => Promise<void>;

class NoopOutput implements Output {
	readonly name = 'noop';
	count = 0;
	async send(batch: readonly Message[]): Promise<void> {
		this.count += batch.length;
	}
}

if (mode === 'polku') {
	const input = new WebSocketInput({ address: '127.0.0.1:0', maxConnections: 20_000, maxPayload: 8 << 20, pingIntervalMs: 30_000 });
	const hub = Hub.builder().bufferCapacity(100_000).batchSize(1000).flushInterval(5).input(input).output(new NoopOutput()).build();
	await hub.start();
	const { port } = await input.ready;
	connections = () => input.stats().connections;
	stop = async () => void (await hub.stop());
	process.send!({ port });
} else {
	const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 8 << 20, perMessageDeflate: false });
	let events = 0;
	wss.on('connection', (ws) => {
		ws.on('message', (data: Buffer, isBinary) => {
			if (mode === 'bare') {
				const n = isBinary ? (decodeFrame(data, true, 'bench').messages?.length ?? 0) : (JSON.parse(data.toString('utf8')) as unknown[]).length;
				events += n;
				ws.send(`{"accepted":${n}}`);
			} else {
				const messages = decodeFrame(data, isBinary, 'bench').messages ?? [];
				events += messages.length;
				ws.send(JSON.stringify({ eventIds: messages.map((m) => m.id), errors: [], bufferSize: 0, bufferCapacity: 0 }));
			}
		});
	});
	await new Promise((r) => wss.once('listening', r));
	connections = () => wss.clients.size;
	stop = () => new Promise((resolve) => wss.close(() => resolve()));
	process.send!({ port: (wss.address() as { port: number }).port });
	void events;
}

process.on('message', async (m: string) => {
	if (m === 'rss') {
		gc();
		gc();
		await new Promise((r) => setTimeout(r, 100));
		gc();
		process.send!({ rss: process.memoryUsage().rss, connections: connections() });
	} else if (m === 'stop') {
		await stop();
		process.exit(0);
	}
});

// The benchmark's WebSocket clients, in their own process.
// `load <port> <connections> <window> <warmupMs> <measureMs> <frameFile> <binary>`: every connection keeps
//   <window> frames in flight (the next frame goes when an ack comes back); prints { frames, bad, seconds }.
// `idle <port> <count>`: opens <count> connections (500 at a time) and keeps them open; sends 'open' when
//   they are, exits on 'stop'.
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';

const [job, port, ...rest] = process.argv.slice(2);
const url = `ws://127.0.0.1:${port}/`;

function open(): Promise<WebSocket> {
	return new Promise((resolve, reject) => {
		// The acks are checked by sampling (below); skipping their UTF-8 validation keeps the client cheap.
		const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
		ws.once('open', () => resolve(ws));
		ws.once('error', reject);
	});
}

if (job === 'load') {
	const [conns, window, warmupMs, measureMs, frameFile, binary] = rest;
	const frame = readFileSync(frameFile!);
	const payload = binary === '1' ? frame : frame.toString('utf8');
	let counting = false;
	let running = true;
	let frames = 0;
	let bad = 0;
	let seen = 0;
	const sockets = await Promise.all(Array.from({ length: Number(conns) }, open));
	for (const ws of sockets) {
		ws.on('message', (data: Buffer) => {
			if (counting) {
				frames++;
				// One ack in 64 is checked: polku's lists errors (the bare servers' have none).
				if ((++seen & 63) === 0 && data.includes('"errors":[{')) bad++;
			}
			if (running) ws.send(payload, { binary: binary === '1' });
		});
		for (let i = 0; i < Number(window); i++) ws.send(payload, { binary: binary === '1' });
	}
	await new Promise((r) => setTimeout(r, Number(warmupMs)));
	counting = true;
	const started = performance.now();
	await new Promise((r) => setTimeout(r, Number(measureMs)));
	counting = false;
	running = false;
	const seconds = (performance.now() - started) / 1000;
	process.stdout.write(JSON.stringify({ frames, bad, seconds }));
	for (const ws of sockets) ws.terminate();
	process.exit(0);
} else {
	const count = Number(rest[0]);
	const sockets: WebSocket[] = [];
	for (let i = 0; i < count; i += 500) sockets.push(...(await Promise.all(Array.from({ length: Math.min(500, count - i) }, open))));
	process.send!('open');
	process.on('message', () => {
		for (const ws of sockets) ws.terminate();
		process.exit(0);
	});
}

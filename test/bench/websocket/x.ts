import { decodeFrame } from '../../../src/adapters/websocket/frames.js';
import { ackFromSend } from '../../../src/adapters/grpc/acks.js';
import { createMessage, Hub, toJsonEvent, type Message, type Output } from '../../../src/index.js';
import { encodeIngestBatch } from '../../../src/adapters/grpc/index.js';
const payload = Buffer.from(JSON.stringify({ host: 'agent-7', cpu: 0.42, mem: 1234567, disk: '/var' }));
const messages = Array.from({ length: 100 }, (_, i) => createMessage({ source: 'agent-7', messageType: 'metrics.host', payload, metadata: { region: 'eu-north-1', seq: String(i) }, timestamp: 1764216000123456789n + BigInt(i) }));
const pb = encodeIngestBatch(messages.map((m) => ({ ...m, id: '' })), { source: 'agent-7', cluster: '' });
class Noop implements Output { name = 'noop'; n = 0; async send(b: readonly Message[]) { this.n += b.length; } }
const hub = Hub.builder().bufferCapacity(100_000).batchSize(1000).flushInterval(5).output(new Noop()).build();
await hub.start();
let t = performance.now(); let n = 0;
while (performance.now() - t < 1000) { decodeFrame(pb, true, 's'); n++; }
console.log('decode only', n);
t = performance.now(); n = 0;
while (performance.now() - t < 1000) { const d = decodeFrame(pb, true, 's'); JSON.stringify(ackFromSend(d.messages!, { accepted: 100, filtered: 0, dropped: [] }, hub as any, false)); n++; }
console.log('decode+ack', n);
t = performance.now(); n = 0;
while (performance.now() - t < 1000) { const d = decodeFrame(pb, true, 's'); const o = await hub.sendBatch(d.messages!); JSON.stringify(ackFromSend(d.messages!, o, hub as any, false)); n++; }
console.log('decode+sendBatch+ack (sequential)', n);
t = performance.now(); n = 0;
while (performance.now() - t < 1000) { const ps = []; for (let i = 0; i < 8; i++) { const d = decodeFrame(pb, true, 's'); ps.push(hub.sendBatch(d.messages!).then(o => JSON.stringify(ackFromSend(d.messages!, o, hub as any, false)))); } await Promise.all(ps); n += 8; }
console.log('8 concurrent', n);
await hub.stop();

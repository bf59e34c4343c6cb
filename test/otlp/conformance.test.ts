// OtlpLogsOutput against a loopback OTLP receiver whose requests are decoded with OpenTelemetry's generated code,
// and OtlpInput fed by protobuf POSTs: the conformance suite.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { OtlpInput, OtlpLogsOutput } from '../../src/adapters/otlp/index.js';
import { createMessage, type Message } from '../../src/message/message.js';
import { inputConformance, outputConformance, type ConformanceCase, type InputHarness, type OutputHarness } from '../../src/testing/index.js';
import { decode, LogsRequest, OtlpReceiver } from '../support/otlp.js';

function run(cases: readonly ConformanceCase[]): void {
	for (const c of cases) it(c.name, { skip: c.skip ?? false, timeout: c.timeoutMs }, () => c.run());
}

const RESERVED = new Set(['polku.id', 'polku.source', 'polku.type']);

/** A LogRecord back into the message it was made from (the mapping the README documents). */
function fromLogRecord(record: any): Message {
	const metadata = Object.create(null) as Record<string, string>;
	let id = '';
	let source = '';
	let messageType = '';
	for (const { key, value } of record.attributes ?? []) {
		if (key === 'polku.id') id = value.stringValue;
		else if (key === 'polku.source') source = value.stringValue;
		else if (key === 'polku.type') messageType = value.stringValue;
		else if (!RESERVED.has(key)) metadata[key] = value.stringValue;
	}
	const body = record.body ?? {};
	const payload = body.bytesValue !== undefined ? Buffer.from(body.bytesValue, 'base64') : Buffer.from(body.stringValue ?? '', 'utf8');
	return { id, timestamp: BigInt(record.timeUnixNano), source, messageType, metadata, payload, routeTo: [] };
}

/** A server that accepts connections and never answers. */
async function silentServer(): Promise<Server> {
	const server = createServer(() => {});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return server;
}

describe('OtlpLogsOutput conformance (loopback receiver, decoded with OpenTelemetry’s generated code)', () => {
	const collector = new OtlpReceiver();
	let silent: Server;
	before(async () => {
		await collector.start();
		silent = await silentServer();
	});
	after(async () => {
		await collector.stop();
		silent.closeAllConnections();
		silent.close();
	});

	for (const [label, protocol, compression] of [
		['protobuf', 'http/protobuf', 'none'],
		['protobuf+gzip', 'http/protobuf', 'gzip'],
		['json', 'http/json', 'none'],
	] as const) {
		const harness: OutputHarness = {
			name: `OtlpLogsOutput ${label}`,
			features: { ordering: 'total', envelope: true },
			async setup() {
				// Each fixture gets its own path, so fixtures never read each other's records.
				const path = `/f${Math.random().toString(36).slice(2)}`;
				const output = new OtlpLogsOutput({ endpoint: `${collector.endpoint}${path}`, protocol, compression });
				const received = async (count: number, timeoutMs: number): Promise<Message[]> => {
					const deadline = Date.now() + timeoutMs;
					for (;;) {
						const messages = collector.requests
							.filter((r) => r.path === `${path}/v1/logs`)
							.flatMap((r) => {
								const decoded = protocol === 'http/json' ? JSON.parse(r.body.toString('utf8')) : decode(LogsRequest, r.body);
								return decoded.resourceLogs.flatMap((rl: any) => rl.scopeLogs.flatMap((sl: any) => sl.logRecords.map(fromLogRecord)));
							});
						if (messages.length >= count) return messages;
						if (Date.now() > deadline) throw new Error(`${messages.length} of ${count} log records after ${timeoutMs} ms`);
						await new Promise((r) => setTimeout(r, 20));
					}
				};
				let dead: OtlpLogsOutput | undefined;
				return {
					output,
					received,
					unreachable: () => (dead = new OtlpLogsOutput({ endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, timeoutMs: 3000 })),
					teardown: async () => {
						await output.close();
						await dead?.close();
					},
				};
			},
		};
		describe(label, () => run(outputConformance(harness)));
	}
});

function postOtlp(port: number, body: Uint8Array): Promise<number> {
	return new Promise((resolve, reject) => {
		const req = request({ host: '127.0.0.1', port, path: '/v1/logs', method: 'POST', headers: { 'content-type': 'application/x-protobuf' } }, (res) => {
			res.resume();
			res.on('end', () => resolve(res.statusCode ?? 0));
		});
		req.on('error', reject);
		req.end(body);
	});
}

/**
 * OtlpInput: a message's payload is POSTed as one export request (`validate: false`, since the suite's payloads are
 * not OTLP) and comes back as the payload of one message. HTTP keeps nothing for an absent input and answers
 * malformed bodies with 400 at the request, so no redelivery, backpressure-holding source or poison.
 */
const otlpInputHarness: InputHarness = {
	name: 'OtlpInput',
	features: { ordering: 'total', envelope: false, redelivery: false, backpressure: false, poison: false, maxInFlight: 1 },
	async setup() {
		let latest: OtlpInput | undefined;
		return {
			createInput: (name) => (latest = new OtlpInput({ address: '127.0.0.1:0', validate: false, ...(name === undefined ? {} : { name }) })),
			async publish(messages) {
				const { port } = await latest!.ready;
				for (const m of messages) {
					const status = await postOtlp(port, m.payload);
					if (status !== 200) throw new Error(`OtlpInput answered ${status}`);
				}
			},
			teardown: async () => {},
		};
	},
};

describe('OtlpInput conformance', () => run(inputConformance(otlpInputHarness)));

// The mapping used above is the one the output promises: a quick self-check of fromLogRecord on a plain record.
it('fromLogRecord reads a record made by OtlpLogsOutput back into its message', () => {
	const m = createMessage({ source: 's', messageType: 't', payload: 'x' });
	const record = { timeUnixNano: m.timestamp.toString(), body: { stringValue: 'x' }, attributes: [{ key: 'polku.id', value: { stringValue: m.id } }, { key: 'polku.source', value: { stringValue: 's' } }, { key: 'polku.type', value: { stringValue: 't' } }] };
	const back = fromLogRecord(record);
	if (back.id !== m.id || back.timestamp !== m.timestamp || back.source !== 's' || back.messageType !== 't') throw new Error('mismatch');
});

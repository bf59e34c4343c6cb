import { WebSocketInput } from '../../adapters/websocket/websocket-input.js';
import { address, envError, integer, list, value, type Env } from '../env.js';
import { loadPeer, type GatewayPlugin } from './plugin.js';

/**
 * `POLKU_WS_ADDR`: a WebSocketInput listening there (bearer tokens from
 * `POLKU_AUTH_TOKENS`, as the HTTP and gRPC inputs).
 */
export const websocketPlugin: GatewayPlugin = {
	name: 'websocket',
	variables: [
		{ name: 'POLKU_WS_ADDR', description: 'a WebSocket input listening at host:port (frames of POLKU JSON events or protobuf IngestBatch, one ack frame each; POLKU_AUTH_TOKENS apply); needs the package ws' },
		{ name: 'POLKU_WS_PATH', description: 'the path WebSocket clients connect to', default: '/' },
		{ name: 'POLKU_WS_MAX_FRAME_BYTES', description: 'largest frame accepted; a larger one closes the connection (1009)', default: '1048576' },
	],
	plan(env: Env) {
		const addr = address(env, 'POLKU_WS_ADDR', undefined, false);
		if (addr === undefined) return undefined;
		const path = value(env, 'POLKU_WS_PATH') ?? '/';
		if (!path.startsWith('/') || path.includes('?')) throw envError('POLKU_WS_PATH', 'must start with / and have no query', env['POLKU_WS_PATH']);
		const maxPayload = integer(env, 'POLKU_WS_MAX_FRAME_BYTES', 1024 * 1024, 1, 2 ** 31 - 1);
		const tokens = list(env, 'POLKU_AUTH_TOKENS');
		return {
			inputs: ['websocket'],
			outputs: [],
			async apply({ builder, logger }) {
				await loadPeer('ws', 'POLKU_WS_ADDR');
				builder.input(new WebSocketInput({ name: 'websocket', address: addr, path, maxPayload, logger, ...(tokens.length > 0 ? { auth: tokens } : {}) }));
			},
		};
	},
};

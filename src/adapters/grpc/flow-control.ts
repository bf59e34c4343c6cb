import type { Server } from '@grpc/grpc-js';

/** The HTTP/2 server options grpc-js keeps (an internal field; feature-detected). */
interface ServerInternals {
	commonServerOptions?: { settings?: Record<string, unknown> };
}

/**
 * Gives the server's HTTP/2 streams a receive window of `bytes`.
 *
 * grpc-js reads the channel option `grpc-node.flow_control_window` only on the
 * client side (1.14; server support is grpc/grpc-node PR #3058), so a grpc-js
 * server always advertises the 64 KiB HTTP/2 default, which caps one stream's
 * throughput. Until grpc-js honours the option (the input passes it too), this
 * adds `initialWindowSize` to the HTTP/2 settings grpc-js passes to
 * `http2.createServer`, before the server binds. Node acknowledges connection
 * level data as it arrives, so the stream window is what limits a client.
 *
 * @returns Whether the window could be applied (false when grpc-js changed its internals).
 */
export function applyFlowControlWindow(server: Server, bytes: number): boolean {
	const internals = server as unknown as ServerInternals;
	const common = internals.commonServerOptions;
	if (common === null || typeof common !== 'object') return false;
	common.settings = { ...common.settings, initialWindowSize: bytes };
	return true;
}

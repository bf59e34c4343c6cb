import type { IncomingMessage } from 'node:http';
import { EVENT_METADATA_KEYS, freezeMetadata, newMetadata, nextId, nowNanos, type Message } from '../../index.js';

/** A request to one of the input's routes. */
export type Route =
	| { readonly kind: 'events'; readonly source: string | undefined; readonly type: string | undefined; readonly raw: boolean; readonly query: URLSearchParams | undefined }
	| { readonly kind: 'health' }
	| { readonly kind: 'not-found' }
	| { readonly kind: 'bad-path' };

const NOT_FOUND: Route = { kind: 'not-found' };
const BAD_PATH: Route = { kind: 'bad-path' };
const HEALTH: Route = { kind: 'health' };
const META_HEADER = 'x-polku-meta-';
const EMPTY_ROUTE: readonly string[] = Object.freeze([]);

/**
 * Matches `url` under `prefix` (which ends in `/`): `{prefix}events`,
 * `{prefix}events/:source`, `{prefix}events/:source/:type` (the last two read
 * the body as one raw payload) and `{prefix}health`.
 */
export function matchRoute(url: string, prefix: string): Route {
	const q = url.indexOf('?');
	const pathname = q === -1 ? url : url.slice(0, q);
	if (!pathname.startsWith(prefix)) return NOT_FOUND;
	const rest = pathname.slice(prefix.length);
	if (rest === 'health') return HEALTH;
	let source: string | undefined;
	let type: string | undefined;
	if (rest !== 'events') {
		if (!rest.startsWith('events/')) return NOT_FOUND;
		const parts = rest.slice(7).split('/');
		if (parts.length > 2 || parts.some((p) => p === '')) return NOT_FOUND;
		try {
			source = decodeURIComponent(parts[0]!);
			type = parts[1] === undefined ? undefined : decodeURIComponent(parts[1]);
		} catch {
			return BAD_PATH;
		}
	}
	const query = q === -1 ? undefined : new URLSearchParams(url.slice(q + 1));
	return { kind: 'events', source, type, raw: source !== undefined, query };
}

function header(request: IncomingMessage, name: string): string | undefined {
	const value = request.headers[name];
	return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The request's source: path, then `?source=`, then `X-Polku-Source`, then `fallback`. */
export function requestSource(route: Extract<Route, { kind: 'events' }>, request: IncomingMessage, fallback: string): string {
	return route.source ?? (route.query?.get('source') || undefined) ?? header(request, 'x-polku-source') ?? fallback;
}

/**
 * One message from a raw body: source as {@link requestSource}; type from the
 * path, `?type=` or `X-Polku-Type` (else `unknown`); id from `?id=` or
 * `X-Polku-Id`; `route_to` from `?route=` (repeatable, comma-separated) or
 * `X-Polku-Route`; metadata from `X-Polku-Meta-<key>` headers (keys arrive
 * lower-cased) plus `polku.content_type`. The body is the payload, not copied.
 */
export function rawMessage(body: Uint8Array, route: Extract<Route, { kind: 'events' }>, request: IncomingMessage, source: string): Message {
	const q = route.query;
	const metadata = newMetadata();
	const headers = request.headers;
	for (const key of Object.keys(headers)) {
		if (!key.startsWith(META_HEADER) || key.length === META_HEADER.length) continue;
		const value = headers[key];
		metadata[key.slice(META_HEADER.length)] = Array.isArray(value) ? value.join(', ') : (value ?? '');
	}
	const contentType = header(request, 'content-type');
	if (contentType !== undefined) metadata[EVENT_METADATA_KEYS.contentType] = contentType;
	const routeText = q?.getAll('route').join(',') || header(request, 'x-polku-route');
	return {
		id: q?.get('id') || header(request, 'x-polku-id') || nextId(),
		timestamp: nowNanos(),
		source,
		messageType: route.type ?? (q?.get('type') || undefined) ?? header(request, 'x-polku-type') ?? 'unknown',
		metadata: freezeMetadata(metadata),
		payload: body,
		routeTo: routeText === undefined || routeText === '' ? EMPTY_ROUTE : Object.freeze(routeText.split(',').map((s) => s.trim()).filter((s) => s !== '')),
	};
}

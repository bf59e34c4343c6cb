import { decodeIngestBatch } from '../grpc/codec/ingest.js';
import { decodeJsonBody, type DecodedEvents } from '../grpc/codec/json-events.js';

/**
 * Decodes one frame with the codecs the gRPC and HTTP inputs use: a text frame
 * holds the POLKU JSON event form (one event, an array of events, or NDJSON);
 * a binary frame holds a protobuf `polku.v1.IngestBatch`. Never throws: a
 * frame that cannot be read comes back as `failures`.
 */
export function decodeFrame(data: Buffer, isBinary: boolean, source: string): DecodedEvents {
	if (isBinary) {
		const decoded = decodeIngestBatch(data);
		if (decoded.messages !== undefined && source.length > 0) {
			for (const m of decoded.messages) if (m.source.length === 0) m.source = source;
		}
		return decoded;
	}
	// ws has checked that a text frame is UTF-8 (it closes the connection with 1007 otherwise).
	return decodeJsonBody(data.toString('utf8'), source);
}

/**
 * PUBACK packets for `ids`, back to back in one buffer: fixed header 0x40,
 * remaining length 2, the packet id. The same four bytes are a PUBACK in
 * MQTT 3.1.1 and, with the reason code left out (meaning 0x00 Success, no
 * properties), in MQTT 5.
 */
export function encodePubacks(ids: readonly number[]): Buffer {
	const out = Buffer.allocUnsafe(ids.length * 4);
	for (let i = 0, at = 0; i < ids.length; i++, at += 4) {
		const id = ids[i]!;
		out[at] = 0x40;
		out[at + 1] = 2;
		out[at + 2] = id >>> 8;
		out[at + 3] = id & 0xff;
	}
	return out;
}

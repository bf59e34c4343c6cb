// escapeHeaderValue / unescapeHeaderValue: white space at either end of a value (which NATS clients and
// HTTP parsers trim) is percent-encoded as UTF-8 and comes back exactly.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeHeaderValue, unescapeHeaderValue } from '../../src/index.js';

describe('escapeHeaderValue: edge white space', () => {
	for (const value of ['\u00a0x', 'x\u00a0', '\u2028x\u3000', '\ufeffbom', ' x ', '\u00a0', 'a\u00a0b', 'ünï ✓']) {
		it(`round-trips ${JSON.stringify(value)} and leaves nothing a trim() would remove`, () => {
			const escaped = escapeHeaderValue(value);
			assert.equal(escaped, escaped.trim());
			assert.equal(unescapeHeaderValue(escaped, 'v'), value);
		});
	}

	it('encodes edge white space as UTF-8 bytes and keeps inner white space and non-ASCII text', () => {
		assert.equal(escapeHeaderValue('\u00a0x\u00a0'), '%C2%A0x%C2%A0');
		assert.equal(escapeHeaderValue('a\u00a0b'), 'a\u00a0b');
		assert.equal(escapeHeaderValue('日本語'), '日本語');
	});
});

import assert from 'node:assert/strict';

/** Asserts that a metadata object inherits nothing: keys like `toString` or `__proto__` can only be its own data. */
export function assertInheritsNothing(metadata: object): void {
	for (const key of ['toString', 'hasOwnProperty', 'constructor', 'valueOf', '__proto__', 'isPrototypeOf']) {
		if (Object.hasOwn(metadata, key)) continue;
		assert.equal((metadata as Record<string, unknown>)[key], undefined, `metadata inherits ${key}`);
	}
}

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** True once `ref`'s target has been garbage collected (after forcing collections). */
export async function isCollected(ref: WeakRef<object>): Promise<boolean> {
	for (let i = 0; i < 10 && ref.deref() !== undefined; i++) {
		await new Promise((r) => setImmediate(r));
		gc();
	}
	return ref.deref() === undefined;
}

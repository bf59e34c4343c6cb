import type { Output } from '../output.js';

/** The parts of an output a wrapper passes through unchanged. */
export function delegate(output: Output): Pick<Output, 'name' | 'health' | 'close'> {
	return {
		name: output.name,
		...(output.health === undefined ? {} : { health: () => output.health!() }),
		...(output.close === undefined ? {} : { close: () => output.close!() }),
	};
}

import { toError } from '../../errors.js';
import type { Output } from '../output.js';

/**
 * An output that sends to `primary` and, when that fails, to `secondary`.
 * It fails only when both do (with the secondary's error, the primary's as its
 * `cause`). Healthy when either is; `close()` closes both.
 *
 * @param primary - Tried first.
 * @param secondary - Tried when the primary's send rejects.
 * @param name - The combined output's name. @default the primary's name
 * @returns The combined output.
 * @example
 * ```ts
 * import { fallback, Hub } from 'polku';
 *
 * Hub.builder().output(fallback(kafkaOutput, fileOutput)).build();
 * ```
 */
export function fallback(primary: Output, secondary: Output, name: string = primary.name): Output {
	return {
		name,
		async send(batch, signal) {
			try {
				await primary.send(batch, signal);
			} catch (primaryError) {
				if (signal?.aborted) throw toError(primaryError);
				try {
					await secondary.send(batch, signal);
				} catch (secondaryError) {
					const error = toError(secondaryError);
					if (error.cause === undefined) error.cause = primaryError;
					throw error;
				}
			}
		},
		async health() {
			const check = async (o: Output): Promise<boolean> => {
				try {
					return o.health === undefined || (await o.health()) === true;
				} catch {
					return false;
				}
			};
			const [a, b] = await Promise.all([check(primary), check(secondary)]);
			return a || b;
		},
		async close() {
			await Promise.all([primary.close?.(), secondary.close?.()]);
		},
	};
}

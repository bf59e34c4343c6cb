import { toError } from '../errors.js';
import type { Output } from '../output/output.js';

/** One output's `health()`, bounded by `timeoutMs`; a throw, a rejection or a timeout is unhealthy. */
export async function probeOutput(output: Output, timeoutMs: number): Promise<{ healthy: boolean; error?: string }> {
	if (output.health === undefined) return { healthy: true };
	let timer: NodeJS.Timeout | undefined;
	try {
		const healthy = await Promise.race([
			Promise.resolve(output.health()),
			new Promise<never>((_, reject) => {
				timer = setTimeout(() => reject(new Error(`health() did not answer within ${timeoutMs} ms`)), timeoutMs);
			}),
		]);
		return { healthy: healthy === true };
	} catch (error) {
		return { healthy: false, error: toError(error).message };
	} finally {
		clearTimeout(timer);
	}
}

// librdkafka's mock cluster (through kcat) as the Kafka broker of the tests: kafkajs round-trips
// against it (consumer groups and commits work; topics auto-create on produce; no admin calls,
// no idempotent producer). `apt-get install -y kcat`; .ci/run installs it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface KafkaMock {
	/** `host:port` of each mock broker. */
	readonly brokers: readonly string[];
	/** Stops the cluster (SIGTERM) and waits for kcat to exit. */
	stop(): Promise<void>;
}

/** True when kcat is installed. */
export function hasKcat(): boolean {
	return spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0;
}

/**
 * Skip reason for Kafka tests when kcat is missing locally; under CI=true a
 * missing kcat throws, so the test file fails.
 */
export function skipUnlessKcat(): false | string {
	if (hasKcat()) return false;
	const reason = 'kcat is not installed (apt-get install -y kcat)';
	if (process.env['CI'] === 'true') throw new Error(`${reason}; CI=true: Kafka tests must not skip`);
	return reason;
}

/** Starts a mock cluster of `brokers` brokers; resolves with their addresses (within 10 s). */
export function startKafkaMock(brokers = 3): Promise<KafkaMock> {
	const child: ChildProcess = spawn('kcat', ['-b', '127.0.0.1:1', '-X', `test.mock.num.brokers=${brokers}`, '-C', '-t', '__keepalive', '-o', 'end', '-E'], {
		stdio: ['ignore', 'ignore', 'pipe'],
	});
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => {
			child.kill('SIGTERM');
			reject(new Error('kcat mock cluster did not start within 10 s'));
		}, 10_000);
		child.once('error', (error) => {
			clearTimeout(timer);
			reject(error);
		});
		createInterface({ input: child.stderr! }).on('line', (line) => {
			const match = /replaced with (\S+)/.exec(line);
			if (match === null) return;
			clearTimeout(timer);
			resolve({
				brokers: match[1]!.split(','),
				stop: async () => {
					if (child.exitCode === null) child.kill('SIGTERM');
					await exited;
				},
			});
		});
	});
}

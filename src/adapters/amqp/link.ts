import { PolkuError, toError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { AmqpConnect, AmqpConnection } from './client.js';

/**
 * The connection an AMQP adapter works on: the user's own `connection`, and
 * after it closed (or when there is none) a new one from `connect`. A
 * connection made by `connect` belongs to the adapter and is closed by
 * {@link AmqpLink.release}; the user's own is never closed here.
 */
export class AmqpLink {
	readonly #connect: AmqpConnect | undefined;
	readonly #what: string;
	readonly #logger: Logger;
	#current: AmqpConnection | undefined;
	#owned = false;
	#opening: Promise<AmqpConnection> | undefined;
	/** Bumped by `release()`: a connection opened for an earlier generation is closed, not adopted. */
	#generation = 0;
	#releasing = false;

	constructor(connection: AmqpConnection | undefined, connect: AmqpConnect | undefined, what: string, logger: Logger) {
		this.#connect = connect;
		this.#what = what;
		this.#logger = logger;
		if (connection !== undefined) this.#adopt(connection, false);
	}

	/** Whether a connection is open now (as far as its events told). */
	get connected(): boolean {
		return this.#current !== undefined;
	}

	/** Whether a closed connection can be replaced. */
	get canReconnect(): boolean {
		return this.#connect !== undefined;
	}

	/**
	 * The open connection, connecting through `connect` when there is none.
	 * Rejects when the connection closed and there is no `connect`, or when
	 * `connect` fails.
	 */
	connection(): Promise<AmqpConnection> {
		if (this.#current !== undefined) return Promise.resolve(this.#current);
		const connect = this.#connect;
		if (connect === undefined) {
			return Promise.reject(new PolkuError('ERR_POLKU_AMQP_CLOSED', `${this.#what}: the connection closed and no connect function was given to open another`));
		}
		const generation = this.#generation;
		this.#opening ??= (async () => {
			try {
				const connection = await connect();
				if (generation !== this.#generation) {
					await connection.close().catch(() => {});
					throw new PolkuError('ERR_POLKU_AMQP_CLOSED', `${this.#what} was stopped while connecting`);
				}
				this.#adopt(connection, true);
				return connection;
			} finally {
				this.#opening = undefined;
			}
		})();
		return this.#opening;
	}

	/** Forgets `connection` (it failed in a way its events did not report). */
	discard(connection: AmqpConnection): void {
		if (this.#current !== connection) return;
		this.#current = undefined;
		if (this.#owned) void connection.close().catch(() => {});
	}

	/**
	 * Closes the connection if the adapter made it (a later `connection()`
	 * opens a new one); the user's own connection stays. Idempotent.
	 */
	async release(): Promise<void> {
		this.#generation++;
		this.#opening = undefined;
		const current = this.#current;
		if (current === undefined || !this.#owned) return;
		this.#current = undefined;
		this.#releasing = true;
		try {
			await current.close().catch(() => {});
		} finally {
			this.#releasing = false;
		}
	}

	#adopt(connection: AmqpConnection, owned: boolean): void {
		this.#current = connection;
		this.#owned = owned;
		const onClose = (...args: unknown[]): void => {
			connection.removeListener('close', onClose);
			if (owned) connection.removeListener('error', onError);
			if (this.#current === connection) this.#current = undefined;
			if (!this.#releasing) this.#logger.warn({ adapter: this.#what, error: args[0] === undefined ? undefined : toError(args[0]).message }, 'AMQP connection closed');
		};
		// Only on connections it made: an error event without a listener would crash the process.
		const onError = (...args: unknown[]): void => this.#logger.warn({ adapter: this.#what, error: toError(args[0]).message }, 'AMQP connection error');
		connection.on('close', onClose);
		if (owned) connection.on('error', onError);
	}
}

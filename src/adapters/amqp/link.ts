import { PolkuError, toError, type Logger } from '../../index.js';
import type { AmqpConnect, AmqpConnection } from './client.js';

/**
 * The connection an AMQP adapter works on: the user's own `connection`, and
 * after it closed (or when there is none) a new one from `connect`. A
 * connection made by `connect` belongs to the adapter and is closed by
 * {@link AmqpLink.release}; the user's own is never closed here. Listeners
 * on a connection are attached while the adapter uses it and removed by
 * `release()`.
 */
export class AmqpLink {
	readonly #user: AmqpConnection | undefined;
	readonly #connect: AmqpConnect | undefined;
	readonly #what: string;
	readonly #logger: Logger;
	#userClosed = false;
	#current: AmqpConnection | undefined;
	#owned = false;
	#detach: (() => void) | undefined;
	#opening: Promise<AmqpConnection> | undefined;
	/** Bumped by `release()`: a connection opened for an earlier generation is closed, not adopted. */
	#generation = 0;

	constructor(connection: AmqpConnection | undefined, connect: AmqpConnect | undefined, what: string, logger: Logger) {
		this.#user = connection;
		this.#connect = connect;
		this.#what = what;
		this.#logger = logger;
	}

	/** Whether a connection is open now (as far as its events told). */
	get connected(): boolean {
		return this.#current !== undefined || (this.#user !== undefined && !this.#userClosed);
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
		if (this.#user !== undefined && !this.#userClosed) {
			this.#adopt(this.#user, false);
			return Promise.resolve(this.#user);
		}
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

	/** Forgets `connection`: opening a channel on it failed, so it is taken as closed. */
	discard(connection: AmqpConnection): void {
		if (this.#current !== connection) return;
		this.#forget();
		if (connection === this.#user) this.#userClosed = true;
		else void connection.close().catch(() => {});
	}

	/**
	 * Stops using the connection: removes the listeners, and closes it if the
	 * adapter made it (a later `connection()` opens a new one). Idempotent.
	 */
	async release(): Promise<void> {
		this.#generation++;
		this.#opening = undefined;
		const current = this.#current;
		const owned = this.#owned;
		this.#forget();
		if (current !== undefined && owned) await current.close().catch(() => {});
	}

	#forget(): void {
		this.#detach?.();
		this.#detach = undefined;
		this.#current = undefined;
		this.#owned = false;
	}

	#adopt(connection: AmqpConnection, owned: boolean): void {
		this.#current = connection;
		this.#owned = owned;
		const onClose = (...args: unknown[]): void => {
			if (this.#current !== connection) return;
			this.#forget();
			if (connection === this.#user) this.#userClosed = true;
			this.#logger.warn({ adapter: this.#what, error: args[0] === undefined ? undefined : toError(args[0]).message }, 'AMQP connection closed');
		};
		// Only on connections it made: an error event without a listener would crash the process.
		const onError = (...args: unknown[]): void => this.#logger.warn({ adapter: this.#what, error: toError(args[0]).message }, 'AMQP connection error');
		connection.on('close', onClose);
		if (owned) connection.on('error', onError);
		this.#detach = () => {
			connection.removeListener('close', onClose);
			// The error listener stays on a connection it made: a late error after close() must not crash the process.
		};
	}
}

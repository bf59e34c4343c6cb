import type { KafkaConsumerLike, KafkaProducerLike } from '../../adapters/kafka/client.js';
import { KafkaInput } from '../../adapters/kafka/kafka-input.js';
import { KafkaOutput } from '../../adapters/kafka/kafka-output.js';
import { parseAddress } from '../../adapters/http/address.js';
import { envError, integer, list, value, type Env } from '../env.js';
import type { GatewayLogger } from '../logger.js';
import { loadPeer, type GatewayPlugin } from './plugin.js';

/** The part of kafkajs the plugin uses. */
interface KafkajsModule {
	Kafka: new (config: {
		clientId: string;
		brokers: string[];
		logLevel: number;
		logCreator: () => (entry: { level: number; log: { message: string } & Record<string, unknown> }) => void;
	}) => {
		producer(): KafkaProducerLike & { connect(): Promise<void> };
		consumer(config: { groupId: string; sessionTimeout: number; heartbeatInterval: number; maxWaitTimeInMs: number }): KafkaConsumerLike;
	};
	logLevel: { ERROR: number; WARN: number };
}

const VARIABLES = ['POLKU_KAFKA_BROKERS', 'POLKU_KAFKA_TOPIC', 'POLKU_KAFKA_INPUT_TOPICS', 'POLKU_KAFKA_GROUP', 'POLKU_KAFKA_CLIENT_ID', 'POLKU_KAFKA_KEY', 'POLKU_KAFKA_SESSION_TIMEOUT_MS', 'POLKU_KAFKA_MAX_WAIT_MS'] as const;

function brokers(env: Env): string[] {
	const items = list(env, 'POLKU_KAFKA_BROKERS');
	for (const item of items) {
		try {
			parseAddress(item, 'POLKU_KAFKA_BROKERS');
		} catch {
			throw envError('POLKU_KAFKA_BROKERS', `must be comma-separated host:port brokers (bad entry ${JSON.stringify(item)})`, env['POLKU_KAFKA_BROKERS']);
		}
	}
	return [...items];
}

/** kafkajs log entries into the gateway's logger (warnings and errors only). */
function logCreator(logger: GatewayLogger, kafkajs: KafkajsModule) {
	return () =>
		({ level, log }: { level: number; log: { message: string } & Record<string, unknown> }) => {
			const { message, ...fields } = log;
			if (level <= kafkajs.logLevel.ERROR) logger.error({ kafka: fields }, `kafkajs: ${message}`);
			else logger.warn({ kafka: fields }, `kafkajs: ${message}`);
		};
}

/**
 * `polku-gateway` Kafka output (`POLKU_KAFKA_TOPIC`) and input
 * (`POLKU_KAFKA_INPUT_TOPICS` in consumer group `POLKU_KAFKA_GROUP`, from the
 * earliest offset when the group has none), with kafkajs.
 */
export const kafkaPlugin: GatewayPlugin = {
	name: 'kafka',
	variables: [
		{ name: 'POLKU_KAFKA_BROKERS', description: 'Kafka brokers, comma-separated host:port (required with the variables below), e.g. 127.0.0.1:9092' },
		{ name: 'POLKU_KAFKA_TOPIC', description: 'a Kafka output producing to this topic (acks all)' },
		{ name: 'POLKU_KAFKA_INPUT_TOPICS', description: 'a Kafka input consuming these topics, comma-separated (at-least-once, manual commits)' },
		{ name: 'POLKU_KAFKA_GROUP', description: "the Kafka input's consumer group (a new group starts at the earliest offset)", default: 'polku' },
		{ name: 'POLKU_KAFKA_CLIENT_ID', description: 'the Kafka client id', default: 'polku-gateway' },
		{ name: 'POLKU_KAFKA_KEY', description: 'metadata field whose value is the record key of the Kafka output', default: 'none' },
		{ name: 'POLKU_KAFKA_SESSION_TIMEOUT_MS', description: "the Kafka input's group session timeout: how soon the partitions of a dead gateway move to the others", default: '30000' },
		{ name: 'POLKU_KAFKA_MAX_WAIT_MS', description: "the Kafka input's longest fetch wait when no records are there (lower it for brokers that hold a fetch for the full wait, e.g. librdkafka's mock cluster)", default: '5000' },
	],
	plan(env) {
		if (!VARIABLES.some((name) => value(env, name) !== undefined)) return undefined;
		const topic = value(env, 'POLKU_KAFKA_TOPIC');
		const inputTopics = list(env, 'POLKU_KAFKA_INPUT_TOPICS');
		const servers = brokers(env);
		if (servers.length === 0) throw envError('POLKU_KAFKA_BROKERS', 'must be set (comma-separated host:port) when a POLKU_KAFKA_ variable is', env['POLKU_KAFKA_BROKERS']);
		if (topic === undefined && inputTopics.length === 0) {
			throw envError('POLKU_KAFKA_TOPIC', 'or POLKU_KAFKA_INPUT_TOPICS must be set when POLKU_KAFKA_BROKERS is', env['POLKU_KAFKA_TOPIC']);
		}
		const group = value(env, 'POLKU_KAFKA_GROUP') ?? 'polku';
		const clientId = value(env, 'POLKU_KAFKA_CLIENT_ID') ?? 'polku-gateway';
		const key = value(env, 'POLKU_KAFKA_KEY');
		const sessionTimeout = integer(env, 'POLKU_KAFKA_SESSION_TIMEOUT_MS', 30_000, 1000, 3_600_000);
		const maxWaitTimeInMs = integer(env, 'POLKU_KAFKA_MAX_WAIT_MS', 5000, 1, 600_000);
		return {
			inputs: inputTopics.length > 0 ? ['kafka'] : [],
			outputs: topic !== undefined ? ['kafka'] : [],
			async apply({ builder, logger }) {
				const kafkajs = await loadPeer<KafkajsModule>('kafkajs', topic !== undefined ? 'POLKU_KAFKA_TOPIC' : 'POLKU_KAFKA_INPUT_TOPICS');
				const kafka = new kafkajs.Kafka({ clientId, brokers: servers, logLevel: kafkajs.logLevel.WARN, logCreator: logCreator(logger, kafkajs) });
				if (topic !== undefined) {
					const producer = kafka.producer();
					await producer.connect();
					builder.output(new KafkaOutput({ producer, topic, name: 'kafka', ...(key === undefined ? {} : { key }) }));
				}
				if (inputTopics.length > 0) {
					const input = new KafkaInput({ name: 'kafka', consumer: () => kafka.consumer({ groupId: group, sessionTimeout, heartbeatInterval: Math.max(100, Math.floor(sessionTimeout / 10)), maxWaitTimeInMs }), topics: inputTopics, fromBeginning: true, logger });
					builder.input(input, { restart: { maxDelayMs: 10_000 } });
				}
			},
		};
	},
};

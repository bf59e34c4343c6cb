import type { Env } from '../env.js';
import { amqpPlugin } from './amqp.js';
import { mqttPlugin } from './mqtt.js';
import { otlpPlugin } from './otlp.js';
import { kafkaPlugin } from './kafka.js';
import { natsPlugin } from './nats.js';
import type { GatewayPlan, GatewayPlugin } from './plugin.js';
import { redisPlugin } from './redis.js';
import { s3Plugin } from './s3.js';
import { websocketPlugin } from './websocket.js';

/**
 * The adapters `polku-gateway` can configure from the environment, in the
 * order they are applied. Each lives in its own file next to this one.
 */
export const PLUGINS: readonly GatewayPlugin[] = Object.freeze([kafkaPlugin, natsPlugin, amqpPlugin, redisPlugin, mqttPlugin, websocketPlugin, s3Plugin, otlpPlugin]);

/** The plans of every configured plugin (throws the first `ConfigError`). */
export function planPlugins(env: Env): GatewayPlan[] {
	const plans: GatewayPlan[] = [];
	for (const plugin of PLUGINS) {
		const plan = plugin.plan(env);
		if (plan !== undefined) plans.push(plan);
	}
	return plans;
}

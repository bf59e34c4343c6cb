// A gateway composed in code with run() from polku/gateway: the environment configures the buffer, the inputs,
// the metrics server and logging (POLKU_* variables, as for the polku-gateway command), and your code adds
// middleware and outputs. Here the environment is given in code so the example runs on its own; in a service
// leave `env` out (process.env) and keep the signal handling (SIGTERM drains and exits).
// expect: gateway up: http 127\.0\.0\.1:\d+, metrics 127\.0\.0\.1:\d+
// expect: POST /events: 202
// expect: /health: 200
// expect: polku_messages_received_total 3
// expect: warehouse got 3, each tagged via=edge-gateway
import { withMetadata, type Message, type Output } from 'polku';
import { run } from 'polku/gateway';

const delivered: Message[] = [];
const warehouse: Output = {
	name: 'warehouse',
	async send(batch) {
		delivered.push(...batch); // a real output would write to a database, a queue, an API…
	},
};

const gateway = await run(
	({ builder, logger }) => {
		logger.info({}, 'composing the pipeline');
		builder.middleware({ name: 'tag', process: (m) => withMetadata(m, { via: 'edge-gateway' }) }).output(warehouse, { retry: { attempts: 5 } });
	},
	{
		env: {
			POLKU_GRPC_ADDR: 'off', // the default gRPC input needs @grpc/grpc-js installed beside polku
			POLKU_HTTP_ADDR: '127.0.0.1:0', // port 0: a free port (the addresses say which)
			POLKU_METRICS_ADDR: '127.0.0.1:0',
			POLKU_FLUSH_INTERVAL_MS: '5',
			POLKU_LOG_LEVEL: 'warn',
		},
		handleSignals: false, // a service keeps the default: SIGTERM / SIGINT stop the gateway
	},
);
const { http, metrics } = gateway.addresses;
console.log(`gateway up: http ${http}, metrics ${metrics}`);

const events = ['a', 'b', 'c'].map((id) => ({ id, source: 'sensor-1', event_type: 'reading', payload: btoa(`{"v":"${id}"}`) }));
const posted = await fetch(`http://${http}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) });
console.log(`POST /events: ${posted.status}`);
console.log(`/health: ${(await fetch(`http://${metrics}/health`)).status}`);
const scraped = await (await fetch(`http://${metrics}/metrics`)).text();
console.log(scraped.split('\n').find((line) => line.startsWith('polku_messages_received_total')));

await gateway.stop(); // drains the buffer to the warehouse, then closes the servers
console.log(`warehouse got ${delivered.length}, each tagged via=${[...new Set(delivered.map((m) => m.metadata['via']))].join()}`);

// A complete polku pipeline in one file: run it with `npm run example`.
// expect: every warehouse order is accounted for
//
//   orders (an Input that invents order events)
//     → middleware: drop test orders, tag the region, route big orders to audit too
//     → one bounded buffer
//     → outputs: "warehouse" (flaky: retried, then dead-lettered), "audit", and a dead-letter output
import { DEAD_LETTER_KEYS, filter, Hub, payloadJson, router, withMetadata, type Input, type Message, type Middleware, type Output } from 'polku';

interface Order {
	id: number;
	total: number;
	test: boolean;
}

const TOTAL_ORDERS = 200;

// An input: anything with a name and run(sink, signal). This one sends a batch of orders every few ms.
const orders: Input = {
	name: 'orders',
	async run(sink, signal) {
		for (let id = 0; id < TOTAL_ORDERS && !signal.aborted; id += 20) {
			const batch = Array.from({ length: 20 }, (_, i) => {
				const order: Order = { id: id + i, total: ((id + i) * 37) % 500, test: (id + i) % 10 === 0 };
				return { source: 'checkout', messageType: 'order.created', payload: JSON.stringify(order) };
			});
			await sink.sendBatch(batch);
			await new Promise((r) => setTimeout(r, 2));
		}
	},
};

// Middleware: built-ins (filter, router, …) or plain objects with a name and process().
// Sync middleware cost no promise per message.
const dropTestOrders = filter((m) => !payloadJson<Order>(m).test, { name: 'drop-test-orders' });
const tagRegion: Middleware = { name: 'tag-region', process: (m) => withMetadata(m, { region: 'eu-north-1' }) };
const auditBigOrders = router([{ when: (m) => payloadJson<Order>(m).total >= 400, to: ['warehouse', 'audit'] }], { default: 'warehouse' });

// Outputs: a name and send(batch). The warehouse fails two sends out of every five.
class CountingOutput implements Output {
	readonly received: Message[] = [];
	#calls = 0;
	readonly #flaky: boolean;
	constructor(
		readonly name: string,
		flaky = false,
	) {
		this.#flaky = flaky;
	}
	async send(batch: readonly Message[]): Promise<void> {
		this.#calls++;
		if (this.#flaky && this.#calls % 5 >= 3) throw new Error(`${this.name} is busy`);
		this.received.push(...batch);
	}
}
const warehouse = new CountingOutput('warehouse', true);
const audit = new CountingOutput('audit');
const deadLetters = new CountingOutput('dead-letters');

const hub = Hub.builder()
	.bufferCapacity(1_000)
	.batchSize(25)
	.flushInterval(5)
	.input(orders)
	.middleware(dropTestOrders, tagRegion, auditBigOrders)
	.output(warehouse, { retry: { attempts: 2, baseDelayMs: 1 }, deadLetter: 'dead-letters' })
	.output(audit)
	.deadLetter(deadLetters)
	.build();

hub.on('drop', (e) => console.error(`dropped ${e.messages.length} (${e.reason})`));
hub.on('dead-letter', (e) => console.log(`dead-lettered ${e.messages.length} from ${e.output}: ${e.error.message}`));

await hub.start();
await new Promise((r) => setTimeout(r, 100));
const { drained } = await hub.stop();

const stats = hub.stats();
const dlq = deadLetters.received[0];
console.log(`received ${stats.received}, filtered ${stats.filtered}, accepted ${stats.accepted}, drained: ${drained}`);
for (const [name, o] of Object.entries(stats.outputs)) {
	console.log(`  ${name}: routed ${o.routed}, delivered ${o.delivered}, dead-lettered ${o.deadLettered}, pending ${o.pending}`);
}
if (dlq) console.log(`a dead letter says: ${dlq.metadata[DEAD_LETTER_KEYS.error]} (after ${dlq.metadata[DEAD_LETTER_KEYS.attempts]} attempts)`);
const accounted = warehouse.received.length + deadLetters.received.length;
console.log(accounted === stats.outputs['warehouse']!.routed ? 'every warehouse order is accounted for' : 'LOST ORDERS');

// Fan-out with retries and a dead-letter output: one event goes to three services; each output has its own
// retry policy, a circuit breaker, and a dead-letter output, so a service that is down loses nothing and
// slows down nobody else. deliver() tells the sender what happened at every output.
// expect: search: delivered 30
// expect: warehouse: delivered 30,.*retries [1-9]
// expect: crm: delivered 0, dead-lettered 30
// expect: circuit crm: closed -> open
// expect: dead letters: 30, first from crm after \d attempts?: crm is down
// expect: conservation holds
import { DEAD_LETTER_KEYS, Hub, type Message, type Output } from 'polku';

/** A service client: fails its first `failures` calls, then works (Infinity = down). */
class Service implements Output {
	readonly received: Message[] = [];
	#calls = 0;
	constructor(
		readonly name: string,
		private readonly failures: number,
	) {}
	async send(batch: readonly Message[]): Promise<void> {
		if (this.#calls++ < this.failures) throw new Error(`${this.name} is down`);
		this.received.push(...batch);
	}
}

const search = new Service('search', 0);
const warehouse = new Service('warehouse', 3); // recovers after three failed sends: the retries cover it
const crm = new Service('crm', Infinity); // down for good: retried, then dead-lettered
const deadLetters = new Service('dead-letters', 0);

const hub = Hub.builder()
	.bufferCapacity(1_000)
	.batchSize(10)
	.flushInterval(1)
	.output(search)
	.output(warehouse, { retry: { attempts: 5, baseDelayMs: 2, maxDelayMs: 20 }, deadLetter: 'dead-letters' })
	.output(crm, {
		retry: { attempts: 2, baseDelayMs: 2 },
		circuitBreaker: { failureThreshold: 3, openMs: 60_000, whenOpen: 'dead-letter' }, // open: straight to the DLQ
		deadLetter: 'dead-letters',
	})
	.deadLetter(deadLetters)
	.build();

hub.on('circuit', (e) => console.log(`circuit ${e.output}: ${e.previous} -> ${e.state}`));
await hub.start();

const events = Array.from({ length: 30 }, (_, i) => ({ source: 'shop', messageType: 'customer.updated', payload: JSON.stringify({ customer: i }) }));
const outcome = await hub.deliverBatch(events); // resolves once every output confirmed or gave up
const crmFailures = outcome.failed.filter((f) => f.output === 'crm').length;
console.log(`deliverBatch: ${outcome.delivered} delivered everywhere, ${outcome.failed.length} not (${crmFailures} at crm, ${outcome.failed[0]?.reason})`);
await hub.stop({ timeoutMs: 5_000 });

const stats = hub.stats();
for (const name of ['search', 'warehouse', 'crm']) {
	const o = stats.outputs[name]!;
	console.log(`${name}: delivered ${o.delivered}, dead-lettered ${o.deadLettered}, retries ${o.retries}, circuit ${o.circuit ?? 'none'}`);
}
const first = deadLetters.received[0];
console.log(
	`dead letters: ${deadLetters.received.length}, first from ${first?.metadata[DEAD_LETTER_KEYS.output]} after ${first?.metadata[DEAD_LETTER_KEYS.attempts]} attempts: ${first?.metadata[DEAD_LETTER_KEYS.error]}`,
);
// Nothing lost: every event reached each output, or its dead-letter output.
const accounted = ['search', 'warehouse', 'crm'].every((n) => stats.outputs[n]!.delivered + stats.outputs[n]!.deadLettered === events.length);
console.log(accounted ? 'conservation holds' : 'LOST EVENTS');

// polku/kafka against the conformance suite, on the librdkafka mock cluster with kafkajs 2.2.4.
import { after, before, describe, it } from 'node:test';
import { inputConformance, outputConformance } from '../../src/testing/index.js';
import { skipUnlessKcat, startKafkaMock, type KafkaMock } from '../support/kafka-mock.js';
import { kafkaInputHarness, kafkaOutputHarness } from './support.js';

const skip = skipUnlessKcat();

describe('polku/kafka conformance (kafkajs, mock cluster)', { skip }, () => {
	let mock: KafkaMock;
	before(async () => {
		mock = await startKafkaMock(1);
	});
	after(() => mock?.stop());
	const brokers = (): readonly string[] => mock.brokers;

	describe('KafkaOutput', () => {
		for (const c of outputConformance(kafkaOutputHarness(brokers))) it(c.name, { skip: c.skip ?? false, timeout: c.timeoutMs }, () => c.run());
	});
	describe('KafkaInput', () => {
		for (const c of inputConformance(kafkaInputHarness(brokers))) it(c.name, { skip: c.skip ?? false, timeout: c.timeoutMs }, () => c.run());
	});
});

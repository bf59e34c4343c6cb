// polku/nats against the conformance suite, on the real NATS server (127.0.0.1:4222, JetStream enabled).
import { describe, it } from 'node:test';
import { inputConformance, outputConformance } from '../../src/testing/index.js';
import { skipUnless } from '../support/services.js';
import { jetStreamInputHarness, jetStreamOutputHarness, natsInputHarness, natsOutputHarness } from './support.js';

const skip = await skipUnless('nats');

describe('polku/nats conformance (real server)', { skip }, () => {
	describe('JetStreamOutput', () => {
		for (const c of outputConformance(jetStreamOutputHarness())) it(c.name, { skip: c.skip ?? false, timeout: c.timeoutMs }, () => c.run());
	});
	describe('NatsOutput', () => {
		for (const c of outputConformance(natsOutputHarness())) it(c.name, { skip: c.skip ?? false, timeout: c.timeoutMs }, () => c.run());
	});
	describe('JetStreamInput', () => {
		for (const c of inputConformance(jetStreamInputHarness())) it(c.name, { skip: c.skip ?? false, timeout: c.timeoutMs }, () => c.run());
	});
	describe('NatsInput', () => {
		for (const c of inputConformance(natsInputHarness())) it(c.name, { skip: c.skip ?? false, timeout: c.timeoutMs }, () => c.run());
	});
});

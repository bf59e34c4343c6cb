export { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './circuit-breaker.js';
export { circuitBreaker, type CircuitBreakerOutput, type CircuitBreakerWrapperOptions } from './circuit-breaker-output.js';
export { fallback } from './fallback.js';
export { retry } from './retry.js';
export { timeout } from './timeout.js';

// Built-in middleware: one factory per file, re-exported from `polku`.
export { aggregate, AGGREGATE_ERROR_KEY, AGGREGATED_COUNT_KEY, type AggregateMiddleware, type AggregateOptions } from './aggregate.js';
export type { AggregateStrategy } from './aggregate-strategy.js';
export { auth, PRINCIPAL_KEY, type AuthOptions, type AuthVerifier } from './auth.js';
export { dedup, type DedupMiddleware, type DedupOptions } from './dedup.js';
export { enrich, type EnrichLookup, type EnrichMiddleware, type EnrichOptions } from './enrich.js';
export { filter, type FilterOptions } from './filter.js';
export type { KeySelector } from './internal/key.js';
export type { TextPattern } from './internal/pattern.js';
export { rateLimit, type RateLimitOptions } from './rate-limit.js';
export { router, type RouteRule, type RouterOptions } from './router.js';
export { sample, type SampleOptions } from './sample.js';
export { throttle, type ThrottleMiddleware, type ThrottleOptions } from './throttle.js';
export { transform, type TransformOptions } from './transform.js';
export { INVALID_REASON_KEY, validate, type ValidateOptions } from './validate.js';
export {
	json,
	maxSize,
	nonEmpty,
	type PayloadCheck,
	type StandardSchemaIssue,
	type StandardSchemaPathSegment,
	type StandardSchemaResult,
	type StandardSchemaV1,
	type Validator,
} from './validators.js';

export { systemClock, type Clock, type TimerHandle } from './clock.js';
export { parseRateLimitHeaders, parseRetryAfterMs, readHeader, type HeaderSource } from './headers.js';
export { RateLimiter } from './rate-limiter.js';
export { TokenBucket, MINUTE_MS } from './token-bucket.js';
export * from './types.js';

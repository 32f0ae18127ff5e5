import { describe, expect, it } from 'vitest';
import { parseRateLimitHeaders, parseRetryAfterMs, readHeader } from './headers.js';

describe('rate-limit headers', () => {
  it('reads the three buckets from fetch Headers and ignores the combined tokens headers', () => {
    const headers = new Headers({
      'anthropic-ratelimit-requests-limit': '4000',
      'anthropic-ratelimit-requests-remaining': '3999',
      'anthropic-ratelimit-requests-reset': '2025-01-01T00:00:01Z',
      'anthropic-ratelimit-input-tokens-limit': '2000000',
      'anthropic-ratelimit-input-tokens-remaining': '1990000',
      'anthropic-ratelimit-output-tokens-limit': '400000',
      'anthropic-ratelimit-output-tokens-remaining': '399000',
      'anthropic-ratelimit-tokens-limit': '1',
      'anthropic-ratelimit-tokens-remaining': '0',
    });
    expect(parseRateLimitHeaders(headers)).toEqual({
      requests: { limit: 4000, remaining: 3999, resetAt: Date.parse('2025-01-01T00:00:01Z') },
      input: { limit: 2_000_000, remaining: 1_990_000 },
      output: { limit: 400_000, remaining: 399_000 },
    });
  });

  it('reads plain objects in any key case, arrays and numbers, and drops garbage', () => {
    const headers = {
      'Anthropic-RateLimit-Input-Tokens-Limit': ['5000'],
      'anthropic-ratelimit-output-tokens-limit': 800,
      'anthropic-ratelimit-requests-limit': 'lots',
    };
    expect(readHeader(headers, 'anthropic-ratelimit-input-tokens-limit')).toBe('5000');
    expect(parseRateLimitHeaders(headers)).toEqual({
      requests: {},
      input: { limit: 5000 },
      output: { limit: 800 },
    });
    expect(parseRateLimitHeaders(undefined)).toEqual({ requests: {}, input: {}, output: {} });
  });

  it('parses retry-after as seconds or an HTTP date, then retry-after-ms', () => {
    expect(parseRetryAfterMs({ 'retry-after': '7' }, 0)).toBe(7_000);
    expect(parseRetryAfterMs({ 'retry-after': '0.5' }, 0)).toBe(500);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfterMs({ 'retry-after': 'Wed, 01 Jan 2025 00:00:03 GMT' }, now)).toBe(3_000);
    expect(parseRetryAfterMs({ 'retry-after-ms': '250' }, 0)).toBe(250);
    expect(parseRetryAfterMs({}, 0)).toBeUndefined();
  });
});

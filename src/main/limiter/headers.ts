/**
 * Response headers as the SDK exposes them (a fetch `Headers`, or anything with `get`) or as
 * a plain object (any key case; arrays take their first value).
 */
export type HeaderSource =
  | { get(name: string): string | null | undefined }
  | Readonly<Record<string, string | number | readonly string[] | null | undefined>>;

/** What one rate-limit bucket's headers said. */
export interface BucketHeaders {
  limit?: number;
  remaining?: number;
  /** Epoch ms at which the server says the bucket is full again. */
  resetAt?: number;
}

/** The per-bucket rate-limit headers of one response. */
export interface RateLimitHeaders {
  requests: BucketHeaders;
  input: BucketHeaders;
  output: BucketHeaders;
}

/**
 * Reads one header, case-insensitively.
 * @returns the trimmed value, or undefined when absent or empty.
 */
export function readHeader(headers: HeaderSource | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const lower = name.toLowerCase();
  let raw: unknown;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    raw = (headers as { get(n: string): unknown }).get(lower);
  } else {
    const record = headers as Readonly<Record<string, unknown>>;
    raw = record[lower];
    if (raw === undefined) {
      const key = Object.keys(record).find((k) => k.toLowerCase() === lower);
      raw = key === undefined ? undefined : record[key];
    }
  }
  if (Array.isArray(raw)) raw = raw[0];
  if (raw === null || raw === undefined) return undefined;
  const text = String(raw).trim();
  return text === '' ? undefined : text;
}

function readNumber(headers: HeaderSource | undefined, name: string): number | undefined {
  const text = readHeader(headers, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

function readBucket(headers: HeaderSource | undefined, prefix: string): BucketHeaders {
  const out: BucketHeaders = {};
  const limit = readNumber(headers, `${prefix}-limit`);
  const remaining = readNumber(headers, `${prefix}-remaining`);
  const reset = readHeader(headers, `${prefix}-reset`);
  const resetAt = reset === undefined ? NaN : Date.parse(reset);
  if (limit !== undefined) out.limit = limit;
  if (remaining !== undefined) out.remaining = remaining;
  if (Number.isFinite(resetAt)) out.resetAt = resetAt;
  return out;
}

/**
 * Extracts the requests, input-token and output-token rate-limit headers. The combined
 * `anthropic-ratelimit-tokens-*` headers are deliberately ignored: they mix input and output
 * and would corrupt both buckets.
 */
export function parseRateLimitHeaders(headers: HeaderSource | undefined): RateLimitHeaders {
  return {
    requests: readBucket(headers, 'anthropic-ratelimit-requests'),
    input: readBucket(headers, 'anthropic-ratelimit-input-tokens'),
    output: readBucket(headers, 'anthropic-ratelimit-output-tokens'),
  };
}

/**
 * How long a 429 asks us to wait: `retry-after` in seconds (or an HTTP date), falling back
 * to the SDK-style `retry-after-ms`.
 * @param now epoch ms, to turn an HTTP date into a delay.
 * @returns milliseconds, or undefined when the response gave no usable value.
 */
export function parseRetryAfterMs(headers: HeaderSource | undefined, now: number): number | undefined {
  const seconds = readHeader(headers, 'retry-after');
  if (seconds !== undefined) {
    const n = Number(seconds);
    if (Number.isFinite(n) && n >= 0) return n * 1000;
    const date = Date.parse(seconds);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  const ms = readNumber(headers, 'retry-after-ms');
  return ms;
}

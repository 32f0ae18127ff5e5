// WHATWG URL is a global wherever this runs (Node, every browser) but ES2023's lib, the only
// one src/shared compiles with, does not declare it; this is the part of it used here.
declare const URL: new (input: string) => {
  password: string;
  href: string;
  searchParams: { has(name: string): boolean; set(name: string, value: string): void };
};

/**
 * A Redis URL as it may be shown: the password (in the user info, or a `password` query
 * parameter, which ioredis also reads) replaced by `***`. The Settings view, the fleet
 * status and the logs only ever carry this form.
 */
export function maskRedisUrl(url: string): string {
  let parsed: InstanceType<typeof URL>;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL at all (a hand-edited ledger): nothing in it can be trusted to be harmless.
    return '***';
  }
  if (!parsed.password && !parsed.searchParams.has('password')) return url;
  if (parsed.password) parsed.password = '***';
  if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
  return parsed.href;
}

/**
 * `text` (an error message) with `redisUrl` and its password masked: the fleet's errors
 * name the Redis they could not reach, and they end up on screen and in logs.
 */
export function maskRedisUrlIn(text: string, redisUrl: string): string {
  let masked = text.split(redisUrl).join(maskRedisUrl(redisUrl));
  try {
    const password = decodeURIComponent(new URL(redisUrl).password);
    // A one- or two-letter password would turn the message into asterisks; it is no secret anyway.
    if (password.length >= 3) masked = masked.split(password).join('***');
  } catch {
    // Not a URL: it was replaced whole above.
  }
  return masked;
}

/**
 * A Redis URL as it may be shown: the password (in the user info, or a `password` query
 * parameter, which ioredis also reads) replaced by `***`. The Settings view, the fleet
 * status and the logs only ever carry this form.
 */
export function maskRedisUrl(url: string): string {
  let parsed: URL;
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

/**
 * Waits until `ready` settles, at most 5 s. When Redis does not answer, closes what was
 * opened (a client that never connected can wait on that connection, so this is bounded
 * too) and throws one line naming the Redis, its password masked.
 */
export async function connectOrFail(redisUrl: string, ready: Promise<unknown>, close: () => Promise<void>): Promise<void> {
  try {
    await Promise.race([
      ready,
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 5 s')), 5_000).unref()),
    ]);
  } catch (error) {
    await Promise.race([close().catch(() => undefined), new Promise((r) => setTimeout(r, 1_000).unref())]);
    throw new Error(maskRedisUrlIn(`cannot reach Redis at ${redisUrl}: ${(error as Error).message}`, redisUrl));
  }
}

import { maskRedisUrlIn } from '../../shared/redis-url.js';

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

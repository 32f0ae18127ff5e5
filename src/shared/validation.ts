import { safeMessage } from './quote.js';

/**
 * Turns schema issues into one message that names each offending field, so a person
 * (or the UI) can point at it: `design.teams.0.agents.2.model: unknown model "x"`.
 */
export function formatIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  prefix?: string,
): string {
  const shown = issues.slice(0, 5).map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter((p) => p !== undefined && p !== '').join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
  // Messages may embed input (a parser's, a refinement's): escaped and cut, whatever they hold.
  return safeMessage(shown.join('; ') + more);
}

/** What a Redis URL looks like, for messages and placeholders. */
export const REDIS_URL_EXAMPLE = 'redis://127.0.0.1:6379';

/** Longest Redis URL accepted: far above any real one, short enough to refuse a pasted file. */
export const MAX_REDIS_URL_LENGTH = 2_048;

// WHATWG URL is a global wherever this runs (Node, every browser) but ES2023's lib, the only
// one src/shared compiles with, does not declare it.
declare const URL: new (input: string) => unknown;

/**
 * Why `value` is not a Redis URL the fleet can use, or null when it is: `redis://` or
 * `rediss://`, then anything the WHATWG URL parser (which ioredis uses) accepts. The same
 * rule as `control-room worker --redis` (`parseRedisUrl`), so the Settings field, the
 * `serve`/`start` flag and the worker refuse the same values.
 */
/**
 * Why a Redis URL may not be saved in Settings, or null: one with a user or password
 * would put a secret in the ledger, which keeps none. Such a URL goes on the command line
 * (`--redis`), which nothing stores.
 */
export function savedRedisUrlProblem(value: string): string | null {
  const problem = redisUrlProblem(value);
  if (problem) return problem;
  // Credentials are whatever stands before an '@' in the authority, or a `password`
  // query parameter (ioredis reads that too).
  if (/^rediss?:\/\/[^/?#]*@/.test(value) || /[?&]password=/i.test(value)) {
    return 'a Redis URL with a user or password is not saved (the ledger keeps no secrets); start with --redis URL instead';
  }
  return null;
}

export function redisUrlProblem(value: string): string | null {
  const expected = `expected redis://host:port or rediss://host:port (e.g. ${REDIS_URL_EXAMPLE})`;
  if (value.length > MAX_REDIS_URL_LENGTH) return `must be at most ${MAX_REDIS_URL_LENGTH} characters`;
  if (!/^rediss?:\/\//.test(value)) return expected;
  try {
    new URL(value);
  } catch {
    return expected;
  }
  return null;
}

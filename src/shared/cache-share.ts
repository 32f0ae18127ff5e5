/**
 * How much of the input the prompt cache served (`costs:cache-share`): the cache-read
 * share is cache-read tokens over all input tokens (fresh input, cache writes and cache
 * reads), per agent and per model. Cache reads cost a tenth of fresh input, so the share
 * is what caching does for the bill: an agent whose share stays near zero re-sends its
 * whole conversation at full price every turn.
 */

/** Input tokens by how they were billed. */
export interface CacheTokens {
  /** Fresh (uncached) input. */
  inputTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  cacheReadTokens: number;
  /** cacheReadTokens / all input tokens, 0..1; null without any input. */
  readShare: number | null;
}

export interface CacheShareAgentRow extends CacheTokens {
  missionId: string;
  agentId: string;
  /** The agent's name in its mission; its id when the mission no longer lists it. */
  agentName: string;
  /** leader, coder, reviewer, researcher; null for calls of no known agent. */
  role: string | null;
  model: string;
  calls: number;
}

export interface CacheShareModelRow extends CacheTokens {
  model: string;
  calls: number;
}

export interface CacheShare {
  /** The mission the figures cover; null for all missions. */
  missionId: string | null;
  total: CacheTokens;
  byModel: CacheShareModelRow[];
  /** Agents with the most input first, at most `MAX_CACHE_SHARE_AGENTS`. */
  byAgent: CacheShareAgentRow[];
  /** Agent rows left out past the cap. */
  agentsLeftOut: number;
}

/** Most agent rows one answer carries (a thousand-agent mission still answers quickly). */
export const MAX_CACHE_SHARE_AGENTS = 200;

/** The cache-read share of a set of input counts; null when there is no input. */
export function readShare(t: Pick<CacheTokens, 'inputTokens' | 'cacheWrite5mTokens' | 'cacheWrite1hTokens' | 'cacheReadTokens'>): number | null {
  const all = t.inputTokens + t.cacheWrite5mTokens + t.cacheWrite1hTokens + t.cacheReadTokens;
  return all === 0 ? null : t.cacheReadTokens / all;
}

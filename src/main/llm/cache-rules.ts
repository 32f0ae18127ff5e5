import { findModel } from '../../shared/models.js';

/**
 * The API's prompt-caching rules that every model of the API in this folder follows (the
 * simulated provider's usage and the loopback fake both bill by them).
 */

/**
 * The shortest prefix the API caches, in tokens, by model (Anthropic's prompt-caching
 * docs: 4,096 for Opus 4.5 and later and Haiku 4.5, 2,048 for Sonnet 4.6, 1,024 for Sonnet
 * 4.5). A breakpoint on a shorter prefix is ignored: the request is billed as plain input.
 */
export function minCacheableTokens(model: string): number {
  if (model === 'claude-sonnet-4-5') return 1_024;
  if (findModel(model)?.pool === 'sonnet') return 2_048;
  return 4_096;
}

/** Most `cache_control` breakpoints one request may carry. */
export const MAX_CACHE_BREAKPOINTS = 4;

/**
 * What an answered attempt reports, and its usage in the two shapes that consume it: the
 * ledger's columns (what the attempt is billed for) and the limiter's (what it learns from).
 */
import type { CallUsage } from '../ledger/calls-repository.js';
import type { Usage as LimiterUsage } from '../limiter/index.js';
import type { Usage } from '../llm/provider.js';

/** What an attempt the API answered in full reports, for its ledger row and the limiter. */
export interface Answered {
  usage: Usage;
  headers: Record<string, string>;
  requestId: string | null;
  messageId: string | null;
  modelResolved: string | null;
  firstTokenAt: number | null;
  stopReason: string | null;
  httpStatus: number;
}

/** What a streamed answer's message_start says: from here on the attempt is billed. */
export interface StreamStart {
  /** The response's `request-id` header, when it had one. */
  requestId: string | null;
  messageId: string | null;
  /** The model the API answered with, when known. */
  model: string | null;
  /** message_start's usage: the input and cache tokens, and the output so far. */
  usage: Usage;
}

/** The ledger's usage columns from the API's usage object. */
export function toCallUsage(usage: Usage): CallUsage {
  const split = usage.cache_creation;
  return {
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    // Without the 5 m / 1 h split, the API's default cache lifetime (5 m) applies.
    cacheCreation5mTokens: split ? split.ephemeral_5m_input_tokens : usage.cache_creation_input_tokens,
    cacheCreation1hTokens: split ? split.ephemeral_1h_input_tokens : 0,
    cacheReadTokens: usage.cache_read_input_tokens,
    thinkingTokens: 0,
    serverToolRequests: usage.server_tool_use?.web_search_requests ?? 0,
  };
}

/** The limiter's usage from the API's usage object: it settles reservations on the token counts alone. */
export function toLimiterUsage(usage: Usage): LimiterUsage {
  return {
    input_tokens: usage.input_tokens,
    output_tokens: usage.output_tokens,
    cache_creation_input_tokens: usage.cache_creation_input_tokens,
    cache_read_input_tokens: usage.cache_read_input_tokens,
  };
}

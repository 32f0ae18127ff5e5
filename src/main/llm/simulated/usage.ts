/**
 * Token accounting for simulated calls, shaped like the real API's `usage`: ~4
 * characters a token, prompt caching at the request's cache_control breakpoints, and
 * output that costs more than what is visible. Cache hits are derived from the request
 * alone, so the same request is always billed the same.
 */
import { minCacheableTokens } from '../cache-rules.js';
import type { CacheControl, MessagesRequest, Usage } from '../provider.js';
import type { ModelProfile } from './profiles.js';
import type { Rng } from './random.js';

/** Characters per token, the usual rule of thumb for English and code. */
export const CHARS_PER_TOKEN = 4;

/** Tokens of `chars` characters. */
export function tokensOf(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

// The API wraps tools in a system preamble and frames every message; these are its rough sizes.
const TOOL_PREAMBLE_TOKENS = 290;
const MESSAGE_FRAME_TOKENS = 4;

interface Segment {
  tokens: number;
  cache: CacheControl | undefined;
  /** Index of the message the segment belongs to; -1 for tools and system. */
  message: number;
}

/** The prompt as the API sees it for caching: tools, then system, then messages, block by block. */
function segments(request: MessagesRequest): Segment[] {
  const out: Segment[] = [];
  const tools = request.tools ?? [];
  if (tools.length > 0) out.push({ tokens: TOOL_PREAMBLE_TOKENS, cache: undefined, message: -1 });
  for (const tool of tools) {
    const { cache_control, ...rest } = tool;
    out.push({ tokens: tokensOf(JSON.stringify(rest).length), cache: cache_control, message: -1 });
  }
  const { system } = request;
  if (typeof system === 'string')
    out.push({ tokens: tokensOf(system.length), cache: undefined, message: -1 });
  else
    for (const block of system ?? [])
      out.push({ tokens: tokensOf(block.text.length), cache: block.cache_control, message: -1 });
  request.messages.forEach((message, index) => {
    out.push({ tokens: MESSAGE_FRAME_TOKENS, cache: undefined, message: index });
    if (typeof message.content === 'string') {
      out.push({ tokens: tokensOf(message.content.length), cache: undefined, message: index });
      return;
    }
    for (const block of message.content) {
      const { cache_control, ...rest } = block;
      const chars =
        rest.type === 'text'
          ? rest.text.length
          : rest.type === 'tool_use'
            ? rest.name.length + JSON.stringify(rest.input).length + 20
            : (typeof rest.content === 'string'
                ? rest.content.length
                : rest.content.reduce((n, b) => n + b.text.length, 0)) + 20;
      out.push({ tokens: tokensOf(chars), cache: cache_control, message: index });
    }
  });
  return out;
}

export interface InputUsage {
  input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_5m: number;
  cache_creation_1h: number;
}

/**
 * Input tokens of a request. With a cache_control breakpoint, the part of the prefix a
 * previous turn of the same conversation already sent is read from the cache: that is
 * everything before the assistant's last reply (the previous request ended there), or
 * before the last user message when the conversation has no such shape. The rest of the
 * prefix, up to the last breakpoint, is written to the cache; after it is plain input. A
 * prefix under the model's minimum cacheable length is neither read nor written.
 *
 * Stateless, like every reply of this provider (a pure function of the request): it
 * assumes the previous turn's prefix is cached, which holds for every turn but the first
 * after a compaction (which the API bills as a write) or after the cache expired. The
 * loopback fake (`testing/fake-messages-api.ts`) keeps a real cache for tests that need it.
 */
export function inputUsage(request: MessagesRequest): InputUsage {
  const segs = segments(request);
  const total = Math.max(
    1,
    segs.reduce((n, s) => n + s.tokens, 0),
  );
  let breakpointEnd = -1;
  let ttl: '5m' | '1h' = '5m';
  let position = 0;
  for (const seg of segs) {
    position += seg.tokens;
    if (seg.cache) {
      breakpointEnd = position;
      ttl = seg.cache.ttl ?? '5m';
    }
  }
  if (breakpointEnd < 0) {
    return { input_tokens: total, cache_read_input_tokens: 0, cache_creation_5m: 0, cache_creation_1h: 0 };
  }

  let seenEnd = 0;
  const messages = request.messages;
  if (messages.length > 1) {
    const lastUser = messages.map((m) => m.role).lastIndexOf('user');
    const previousReply =
      lastUser > 0 && messages[lastUser - 1]?.role === 'assistant' ? lastUser - 1 : lastUser;
    const boundary = previousReply > 0 ? previousReply : -1;
    if (boundary > 0) {
      seenEnd = segs.filter((s) => s.message < boundary).reduce((n, s) => n + s.tokens, 0);
    }
  }
  // A prefix shorter than the model's minimum is never cached: neither read nor written.
  const minimum = minCacheableTokens(request.model);
  if (breakpointEnd < minimum) {
    return { input_tokens: total, cache_read_input_tokens: 0, cache_creation_5m: 0, cache_creation_1h: 0 };
  }
  const read = seenEnd >= minimum ? Math.min(seenEnd, breakpointEnd) : 0;
  const written = breakpointEnd - read;
  return {
    input_tokens: Math.max(0, total - breakpointEnd),
    cache_read_input_tokens: read,
    cache_creation_5m: ttl === '5m' ? written : 0,
    cache_creation_1h: ttl === '1h' ? written : 0,
  };
}

/** Output tokens for a reply showing `visibleChars`, with the model's hidden overhead. */
export function outputTokens(visibleChars: number, profile: ModelProfile, rng: Rng): number {
  const [low, high] = profile.overheadTokens;
  return Math.max(1, Math.round(tokensOf(visibleChars) * profile.verbosity) + rng.int(low, high));
}

/** A full `Usage` record in the shape the Anthropic provider produces. */
export function toUsage(input: InputUsage, output: number): Usage {
  return {
    input_tokens: input.input_tokens,
    output_tokens: output,
    cache_creation_input_tokens: input.cache_creation_5m + input.cache_creation_1h,
    cache_creation: {
      ephemeral_5m_input_tokens: input.cache_creation_5m,
      ephemeral_1h_input_tokens: input.cache_creation_1h,
    },
    cache_read_input_tokens: input.cache_read_input_tokens,
    server_tool_use: null,
    service_tier: 'standard',
  };
}

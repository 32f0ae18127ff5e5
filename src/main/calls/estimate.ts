/**
 * Input-token estimates made before anything is sent: budget admission prices its worst
 * case from them and the rate limiter reserves them, until the API reports the real usage.
 */
import type { MessagesRequest } from '../llm/provider.js';

/**
 * A conservative input estimate from the request's size. The tokenizer is not available
 * offline; about 3 characters a token over-estimates English and code slightly, which
 * is the safe side for both the rate limiter (refunds settle the difference) and budget
 * admission (a cap must never be overrun).
 */
export function estimateInputTokens(request: MessagesRequest): number {
  let chars = 0;
  if (typeof request.system === 'string') chars += request.system.length;
  else if (request.system) chars += JSON.stringify(request.system).length;
  // The length of JSON.stringify(messages), without serialising the whole conversation
  // on every call: "[" + items joined by "," + "]", each item's length cached.
  const messages = request.messages;
  chars += 2 + Math.max(0, messages.length - 1);
  for (const message of messages) chars += jsonLength(message);
  if (request.tools) chars += jsonLength(request.tools);
  return Math.ceil(chars / 3) + 16;
}

/** Tokens an image costs at most (about 1.15 megapixels, the API's resize target). */
const IMAGE_TOKENS = 1_600;

/**
 * The input estimate of a raw request body (a Claude Code call), by the same rule as
 * {@link estimateInputTokens}: its JSON size at about 3 characters a token. Base64 images
 * are the exception: their data is not tokenised as text, and counting it would reserve
 * more input than a whole minute's limit for one screenshot, so each counts its ceiling.
 * @param body the parsed JSON body
 * @param byteLength the body's size as sent
 */
export function estimateRawInputTokens(body: { messages?: unknown; system?: unknown }, byteLength: number): number {
  let chars = byteLength;
  let images = 0;
  const visit = (blocks: unknown): void => {
    if (!Array.isArray(blocks)) return;
    for (const block of blocks as unknown[]) {
      if (block === null || typeof block !== 'object') continue;
      const b = block as { type?: unknown; source?: { type?: unknown; data?: unknown }; content?: unknown };
      if (b.type === 'image' && b.source?.type === 'base64' && typeof b.source.data === 'string') {
        chars -= b.source.data.length;
        images += 1;
      } else if (b.type === 'tool_result') visit(b.content);
    }
  };
  if (Array.isArray(body.messages)) {
    for (const message of body.messages as unknown[]) visit((message as { content?: unknown } | null)?.content);
  }
  visit(body.system);
  return Math.ceil(Math.max(0, chars) / 3) + images * IMAGE_TOKENS + 16;
}

// An agent's conversation grows by a turn per call and every earlier message is sent
// again, so serialising it all per call was O(conversation) each time (tens of µs at a
// few turns, milliseconds near the context window). Messages and tool lists are not
// changed once sent (the engine appends new objects; tool definitions are shared and
// frozen), so each object's JSON length is computed once.
const jsonLengths = new WeakMap<object, number>();

function jsonLength(value: object): number {
  let length = jsonLengths.get(value);
  if (length === undefined) {
    length = JSON.stringify(value).length;
    jsonLengths.set(value, length);
  }
  return length;
}

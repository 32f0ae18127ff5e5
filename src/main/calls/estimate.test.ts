import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coderTools, toolDefinitions } from '../tools/agent-tools.js';
import { estimateInputTokens, estimateRawInputTokens } from './estimate.js';
import type { ConversationMessage, MessagesRequest } from '../llm/provider.js';

/** The estimate as it was first written: one serialisation of everything per call. */
function reference(request: MessagesRequest): number {
  let chars = 0;
  if (typeof request.system === 'string') chars += request.system.length;
  else if (request.system) chars += JSON.stringify(request.system).length;
  chars += JSON.stringify(request.messages).length;
  if (request.tools) chars += JSON.stringify(request.tools).length;
  return Math.ceil(chars / 3) + 16;
}

const text = fc.string({ unit: 'binary', maxLength: 200 });
const message: fc.Arbitrary<ConversationMessage> = fc.oneof(
  fc.record({ role: fc.constantFrom('user' as const, 'assistant' as const), content: text }),
  fc.record({
    role: fc.constant('assistant' as const),
    content: fc.array(
      fc.oneof(
        fc.record({ type: fc.constant('text' as const), text }),
        fc.record({
          type: fc.constant('tool_use' as const),
          id: fc.string({ maxLength: 12 }),
          name: fc.constantFrom('write_file', 'read_file'),
          input: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 })),
        }),
      ),
      { minLength: 1, maxLength: 3 },
    ),
  }),
  fc.record({
    role: fc.constant('user' as const),
    content: fc.array(
      fc.record(
        {
          type: fc.constant('tool_result' as const),
          tool_use_id: fc.string({ maxLength: 12 }),
          content: text,
          is_error: fc.option(fc.boolean(), { nil: undefined }),
        },
        { requiredKeys: ['type', 'tool_use_id', 'content'] },
      ),
      { minLength: 1, maxLength: 3 },
    ),
  }),
);

describe('estimateInputTokens', () => {
  it('equals one serialisation of the whole request, call after call on a growing conversation', () => {
    fc.assert(
      fc.property(
        fc.array(message, { maxLength: 12 }),
        fc.option(
          fc.oneof(text, fc.array(fc.record({ type: fc.constant('text' as const), text }), { maxLength: 2 })),
          { nil: undefined },
        ),
        fc.boolean(),
        (messages, system, withTools) => {
          // The engine sends the same array, one turn longer each time: earlier messages are cache hits.
          const conversation: ConversationMessage[] = [];
          const tools = withTools ? toolDefinitions(coderTools) : undefined;
          for (const m of [{ role: 'user' as const, content: 'Start.' }, ...messages]) {
            conversation.push(m);
            const request: MessagesRequest = {
              model: 'claude-sonnet-4-6',
              messages: conversation,
              max_tokens: 1_024,
              ...(system === undefined ? {} : { system }),
              ...(tools ? { tools } : {}),
            };
            expect(estimateInputTokens(request)).toBe(reference(request));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('counts an empty conversation as its brackets', () => {
    const request: MessagesRequest = { model: 'claude-sonnet-4-6', messages: [], max_tokens: 1 };
    expect(estimateInputTokens(request)).toBe(reference(request));
  });
});

describe('estimateRawInputTokens', () => {
  it('counts a base64 image at its token ceiling, not its size', () => {
    const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'A'.repeat(3_000_000) } };
    const body = { messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [image] }] }] };
    const bytes = JSON.stringify(body).length;
    expect(estimateRawInputTokens(body, bytes)).toBeLessThan(2_000);
    expect(estimateRawInputTokens({ messages: [] }, 3_000)).toBe(1_016);
  });
});

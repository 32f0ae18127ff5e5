import { afterEach, describe, expect, it } from 'vitest';
import type { ConversationMessage, MessagesRequest } from '../llm/provider.js';
import { DEFAULT_FAKE_API_KEY, startFakeMessagesApi, type FakeMessagesApi } from '../llm/testing/fake-messages-api.js';
import { withCacheBreakpoints } from './conversation.js';

/** Where `withCacheBreakpoints` puts a call's breakpoints, and what they buy against the fake's prompt cache. */

let fake: FakeMessagesApi | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const TOOLS: MessagesRequest['tools'] = [{ name: 'read_file', description: 'Read a file', input_schema: { type: 'object' } }];
const FILE = 'const x = 1; // an existing module\n'.repeat(600); // ~5k tokens: over every model's minimum

/** A conversation of `turns` completed tool turns after the task prompt. */
function conversation(turns: number): ConversationMessage[] {
  const out: ConversationMessage[] = [{ role: 'user', content: 'Task: add a retry queue.' }];
  for (let i = 0; i < turns; i++) {
    out.push({ role: 'assistant', content: [{ type: 'tool_use', id: `t${i}`, name: 'read_file', input: { path: `lib/m${i}.js` } }] });
    out.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: `t${i}`, content: FILE }] });
  }
  return out;
}

const marked = (messages: readonly ConversationMessage[]): number[] =>
  messages.flatMap((m, i) => (typeof m.content !== 'string' && m.content.some((b) => b.cache_control) ? [i] : []));

async function send(body: MessagesRequest): Promise<void> {
  const res = await fetch(`${fake?.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': DEFAULT_FAKE_API_KEY, 'anthropic-version': '2023-06-01' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  await res.text();
}

describe('withCacheBreakpoints', () => {
  it('marks the system prompt, the previous turn\'s end and the newest message, and leaves the stored messages alone', () => {
    const messages = conversation(3);
    const before = JSON.stringify(messages);
    const out = withCacheBreakpoints({ system: 'You are c1.', messages, tools: TOOLS }, { ttl: '5m', compactedHead: false });
    expect(out.system).toEqual([{ type: 'text', text: 'You are c1.', cache_control: { type: 'ephemeral' } }]);
    // 7 messages: the previous turn ended at index 4 (before the last reply, at 5); the newest is 6.
    expect(marked(out.messages)).toEqual([4, 6]);
    // Every message goes out as blocks, so a message is the same bytes with or without a mark.
    expect(out.messages.every((m) => Array.isArray(m.content))).toBe(true);
    expect(JSON.stringify(messages)).toBe(before);
    expect(out.tools).toBe(TOOLS);
  });

  it('after a compaction also marks the summary, with the one TTL of the request; without a system prompt, the tools', () => {
    const messages = conversation(2);
    const out = withCacheBreakpoints({ system: '', messages, tools: TOOLS }, { ttl: '1h', compactedHead: true });
    expect(marked(out.messages)).toEqual([0, 2, 4]);
    expect(out.tools?.at(-1)?.cache_control).toEqual({ type: 'ephemeral', ttl: '1h' });
    const all = [...(out.tools ?? []), ...out.messages.flatMap((m) => (typeof m.content === 'string' ? [] : m.content))].flatMap((b) => (b.cache_control ? [b.cache_control] : []));
    expect(all).toHaveLength(4);
    expect(all.every((c) => c.ttl === '1h')).toBe(true);
  });

  it('a 1-hour breakpoint is still read after a 10-minute wait, a 5-minute one is written again', async () => {
    let now = 0;
    fake = await startFakeMessagesApi({ now: () => now });
    for (const ttl of ['5m', '1h'] as const) {
      const turn = (turns: number): MessagesRequest => ({
        model: 'claude-sonnet-4-6',
        max_tokens: 100,
        ...withCacheBreakpoints({ system: `You are the ${ttl} agent.`, messages: conversation(turns), tools: TOOLS }, { ttl, compactedHead: false }),
      });
      await send(turn(1));
      now += 10 * 60_000; // a leader waiting on its coders
      await send(turn(2));
    }
    const [first5m, second5m, first1h, second1h] = fake.billing;
    expect(second5m?.cacheReadInputTokens).toBe(0);
    expect(second5m?.cacheCreation5mInputTokens).toBeGreaterThan(first5m?.cacheCreation5mInputTokens ?? 0);
    expect(second1h?.cacheReadInputTokens).toBe(first1h?.cacheCreation1hInputTokens);
    expect(second1h?.cacheReadInputTokens).toBeGreaterThan(0);
  });
});

describe('withCacheBreakpoints and per-message caches', () => {
  it('sends the stored message objects unmarked (a string one as the same block form each time), so per-message work is done once', () => {
    const messages = conversation(4);
    const first = withCacheBreakpoints({ system: 's', messages }, { ttl: '5m', compactedHead: false }).messages;
    messages.push({ role: 'assistant', content: [{ type: 'text', text: 'done' }] }, { role: 'user', content: 'next' });
    const second = withCacheBreakpoints({ system: 's', messages }, { ttl: '5m', compactedHead: false }).messages;
    // Index 0 was a string: the same block-form object both times; 1-5 are the stored objects.
    expect(second[0]).toBe(first[0]);
    for (let i = 1; i <= 5; i++) expect(second[i]).toBe(messages[i]);
    // Only the marked ones are new: the previous turn's end (8) and the newest message (10).
    expect(marked(second)).toEqual([8, 10]);
  });
});

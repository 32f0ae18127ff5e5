import { describe, expect, it } from 'vitest';
import type { TranscriptEntry } from '../../../src/shared/mission.js';
import { conversationTitle, toTranscriptMessages } from './transcript-view.js';

const entry = (id: number, over: Partial<TranscriptEntry>): TranscriptEntry => ({
  id,
  conversation: 'task:k1:c1',
  seq: id,
  kind: 'message',
  role: 'user',
  content: '',
  createdAt: '2025-01-01T00:00:00.000Z',
  ...over,
});

describe('transcript view', () => {
  it('reads text, tool calls and their results, naming the tool a result answers', () => {
    const messages = toTranscriptMessages([
      entry(1, { content: 'Your task: add the parser.' }),
      entry(2, {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Reading the file first.' },
          { type: 'tool_use', id: 'tu1', name: 'read_file', input: { path: 'src/a.js' } },
        ],
      }),
      entry(3, { content: [{ type: 'tool_result', tool_use_id: 'tu1', content: [{ type: 'text', text: 'no such file' }], is_error: true }] }),
      entry(4, { conversation: 'review:k1:a0', kind: 'compaction', content: '[Summary of your earlier work]' }),
    ]);
    expect(messages.map((m) => m.startsConversation)).toEqual([true, false, false, true]);
    expect(messages[1]?.items).toEqual([
      { kind: 'text', text: 'Reading the file first.' },
      { kind: 'tool_use', id: 'tu1', name: 'read_file', input: '{\n  "path": "src/a.js"\n}', preview: 'src/a.js' },
    ]);
    expect(messages[2]?.items).toEqual([
      { kind: 'tool_result', toolUseId: 'tu1', toolName: 'read_file', text: 'no such file', isError: true, preview: 'no such file' },
    ]);
    expect(messages[3]?.summary).toBe(true);
  });

  it('titles each job’s conversation', () => {
    const label = (id: string) => (id === 'k1' ? 'T1 “Parser”' : undefined);
    expect(conversationTitle('plan:r0', label)).toBe('Planning, round 1');
    expect(conversationTitle('plan:r2', label)).toBe('Planning, round 3');
    expect(conversationTitle('task:k1:c1', label)).toBe('Task T1 “Parser”');
    expect(conversationTitle('task:k1:c3', label)).toBe('Task T1 “Parser”, claim 3');
    expect(conversationTitle('review:k1:a1', label)).toBe('Review of T1 “Parser”, attempt 2');
    expect(conversationTitle('esc:e1', label)).toBe('Answering an escalation');
  });
});

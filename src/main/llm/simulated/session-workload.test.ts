import { describe, expect, it } from 'vitest';
import type { ConversationMessage, MessagesRequest, RequestContentBlock, ToolDefinition } from '../provider.js';
import { SimulatedProvider, type SimulatedProviderOptions } from '../simulated-provider.js';
import { WORKLOADS } from './profiles.js';

const TOOLS: ToolDefinition[] = ['list_dir', 'read_file', 'write_file', 'edit_file', 'search', 'submit_task', 'ask_leader'].map((name) => ({
  name,
  input_schema: { type: 'object' },
}));

const LISTING = [
  'lib/',
  'lib/core/',
  ...Array.from({ length: 30 }, (_, i) => `lib/core/module-${String(i).padStart(2, '0')}.js`),
  'src/',
  'src/retry/',
  'src/retry/old.js',
  'README.md',
  'package.json',
].join('\n');

/** Plays a coder's task to its submit, answering list_dir with LISTING and reads with a file; the tool calls in order. */
async function playTask(options: SimulatedProviderOptions): Promise<string[]> {
  const provider = new SimulatedProvider({ latencyScale: 0, questionRate: 0, commandRate: 0, ...options });
  const messages: ConversationMessage[] = [
    { role: 'user', content: 'Task: retry-queue — Retry queue\nDescription: add a retry queue\nOwns: src/retry/\nAllowed commands: npm test' },
  ];
  const calls: string[] = [];
  for (let turn = 0; turn < 60; turn++) {
    const request: MessagesRequest = { model: 'claude-sonnet-4-6', system: 'You are c1, a coder of team core.', messages, tools: TOOLS, max_tokens: 8_000 };
    const reply = await provider.send(request);
    const uses = reply.message.content.flatMap((b) => (b.type === 'tool_use' ? [b] : []));
    calls.push(...uses.map((u) => `${u.name} ${String(u.input['path'] ?? '')}`.trim()));
    if (uses.some((u) => u.name === 'submit_task')) return calls;
    const blocks: RequestContentBlock[] = [];
    for (const b of reply.message.content) {
      if (b.type === 'text') blocks.push({ type: 'text', text: b.text });
      else if (b.type === 'tool_use') blocks.push({ type: 'tool_use', id: b.id, name: b.name, input: b.input });
    }
    messages.push({ role: 'assistant', content: blocks });
    messages.push({
      role: 'user',
      content: uses.map((u) => ({ type: 'tool_result' as const, tool_use_id: u.id, content: u.name === 'list_dir' ? LISTING : u.name === 'read_file' ? '// a file\n'.repeat(50) : 'ok' })),
    });
  }
  throw new Error(`no submit after 60 turns: ${calls.join(', ')}`);
}

describe('simulated workloads', () => {
  it('demo: a coder looks around once, writes and submits within a few turns', async () => {
    const calls = await playTask({});
    expect(calls.filter((c) => c.startsWith('read_file lib/'))).toEqual([]);
    expect(calls.length).toBeLessThan(8);
  });

  it('session: a coder reads the code around its task one file a turn (never its own paths) before writing, tens of turns a task', async () => {
    const calls = await playTask({ workload: 'session' });
    const reads = calls.filter((c) => c.startsWith('read_file lib/'));
    expect(reads).toHaveLength(WORKLOADS.session.readsPerTask);
    expect(new Set(reads).size).toBe(reads.length);
    expect(calls.some((c) => c.startsWith('read_file src/retry/'))).toBe(false);
    const firstWrite = calls.findIndex((c) => c.startsWith('write_file'));
    expect(firstWrite).toBeGreaterThan(calls.lastIndexOf(reads.at(-1) ?? ''));
    expect(calls.length).toBeGreaterThanOrEqual(WORKLOADS.session.readsPerTask + 3);
    // The same seed reads the same files in the same order: a resumed mission replays it.
    expect(await playTask({ workload: 'session' })).toEqual(calls);
  });
});

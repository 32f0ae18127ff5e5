import { describe, expect, it } from 'vitest';
import {
  summaryPrompt,
  RESULT_SUMMARY_TOOL,
  RESULT_SUMMARY_TOOL_DEFINITION,
  parseSummaryReply,
} from './result-summary.js';
import { SimulatedProvider } from '../llm/simulated-provider.js';

// The simulated leader's summary of its team's delivery is written from what its prompt
// lists, never a fixed text: two deliveries read differently, each naming its own work.

async function summarise(prompt: string): Promise<string> {
  const provider = new SimulatedProvider({ seed: 1, latencyScale: 0 });
  const result = await provider.send({
    model: 'claude-opus-4-8',
    max_tokens: 1024,
    messages: [{ role: 'user', content: prompt }],
    tools: [RESULT_SUMMARY_TOOL_DEFINITION],
    tool_choice: { type: 'tool', name: RESULT_SUMMARY_TOOL },
  });
  const parsed = parseSummaryReply(result.message.content);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.summary;
}

describe('the simulated leader summary', () => {
  it("names the team's tasks, their coders and files, from the prompt", async () => {
    const a = await summarise(
      summaryPrompt({
        team: 'Storage',
        goal: 'Bookmarks',
        share: null,
        planSummary: null,
        files: ['src/storage/store.js', 'test/store.test.js'],
        tasks: [
          {
            key: 'store',
            title: 'In-memory store',
            submissionSummary: 'Added add() and list().',
            assignee: 'Cora',
          },
        ],
      }),
    );
    const b = await summarise(
      summaryPrompt({
        team: 'Parsing',
        goal: 'Bookmarks',
        share: null,
        planSummary: null,
        files: ['src/parsing/read.js'],
        tasks: [
          { key: 'read', title: 'Bookmark file reader', submissionSummary: null, assignee: 'Cody' },
          {
            key: 'write',
            title: 'Bookmark file writer',
            submissionSummary: 'Writes the file.',
            assignee: null,
          },
        ],
      }),
    );
    expect(a).toContain('Storage delivered 1 task: In-memory store (Cora)');
    expect(a).toContain('Added add() and list().');
    expect(a).toContain('src/storage/store.js');
    expect(a).toContain('test/store.test.js passes');
    expect(b).toContain('Parsing delivered 2 tasks: Bookmark file reader (Cody); Bookmark file writer');
    expect(b).toContain('src/parsing/read.js');
    expect(b).not.toContain('In-memory store');
  });
});

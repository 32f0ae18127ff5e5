import { describe, expect, it } from 'vitest';
import type { ConversationMessage, MessagesRequest } from '../provider.js';
import { parseCoders, planningReply, type PlannedTask } from './planner.js';
import { Rng } from './random.js';
import type { DraftBlock } from './reply.js';

/**
 * The simulated leader's plan is the plan that runs: a create_task the engine refused (an
 * unknown assignee) is retried with its dependencies, and the submitted summary describes
 * the tasks as they were created. (It used to drop a dependency naming a task not created
 * yet, so "feature-2 (after feature-1)" in the summary ran with no dependency at all.)
 */

const PROMPT = 'You are the leader.\nGoal: Build a todo CLI\nCoders: Coder 1 (claude-sonnet-4-6), Coder 2 (claude-sonnet-4-6)';

const reply = (messages: ConversationMessage[]): DraftBlock[] =>
  planningReply({
    request: { model: 'claude-opus-4-8', max_tokens: 8_192, messages } as MessagesRequest,
    rng: new Rng(1),
    seed: 7,
    behaviour: { questionRate: 0, commandRate: 0, rejectRate: 0 },
    parallel: true,
  } as Parameters<typeof planningReply>[0]);

const creates = (blocks: DraftBlock[]): PlannedTask[] =>
  blocks.flatMap((b) => (b.type === 'tool_use' && b.name === 'create_task' ? [b.input as unknown as PlannedTask] : []));

/** The assistant's turn, and the engine's answers to it (`refuse` says which create_task calls fail and why). */
function answered(turn: number, blocks: DraftBlock[], refuse: (input: PlannedTask) => string | null): ConversationMessage[] {
  const uses = blocks.flatMap((b, i) => (b.type === 'tool_use' ? [{ type: 'tool_use' as const, id: `tu-${turn}-${i}`, name: b.name, input: b.input }] : []));
  const refused = uses.some((u) => u.name === 'create_task' && refuse(u.input as unknown as PlannedTask) !== null);
  return [
    { role: 'assistant', content: uses },
    {
      role: 'user',
      content: uses.map((u) => {
        // submit_plan in the same turn fails as the engine's check would: the plan is incomplete.
        const problem = u.name === 'create_task' ? refuse(u.input as unknown as PlannedTask) : refused ? 'the plan is missing tasks' : null;
        return { type: 'tool_result' as const, tool_use_id: u.id, content: problem ?? 'Task created.', ...(problem ? { is_error: true } : {}) };
      }),
    },
  ] as ConversationMessage[];
}

describe('the simulated leader planning', () => {
  it('reads coder names whole, spaces included', () => {
    expect(parseCoders(PROMPT)).toEqual(['Coder 1', 'Coder 2']);
  });

  it('keeps every dependency when it retries refused tasks, and submits a summary of the tasks as created', () => {
    const messages: ConversationMessage[] = [{ role: 'user', content: PROMPT }];
    const first = creates(reply(messages));
    expect(first.length).toBeGreaterThanOrEqual(2);
    const withDeps = first.filter((t) => t.depends_on.length > 0);
    expect(withDeps.length).toBeGreaterThan(0);

    // The engine refuses every assignee (as it did names cut at their first word).
    messages.push(...answered(1, reply(messages), (t) => (t.assignee ? `unknown assignee "${t.assignee}"; the team's coders are: Coder 1, Coder 2` : null)));
    const second = reply(messages);
    const retried = creates(second);
    expect(retried.map((t) => t.key)).toEqual(first.map((t) => t.key));
    for (const t of retried) {
      expect(t.assignee).toBeUndefined();
      expect(t.depends_on).toEqual(first.find((f) => f.key === t.key)?.depends_on);
    }

    // The same turn submits the plan.
    const submit = second.find((b) => b.type === 'tool_use' && b.name === 'submit_plan');
    const summary = String((submit as { input: { summary: string } } | undefined)?.input.summary);
    for (const t of retried) {
      const line = summary.split('\n').find((l) => l.startsWith(`- ${t.key}:`)) ?? '';
      // Exactly what runs: the dependencies as created, and no assignee the engine refused.
      expect(line.endsWith(t.depends_on.length > 0 ? `(after ${t.depends_on.join(', ')})` : t.title)).toBe(true);
      expect(line).not.toContain('->');
    }
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MessagesRequest } from '../../llm/provider.js';
import { SimulatedProvider } from '../../llm/simulated-provider.js';
import type * as missionWorkspace from '../../workspace/mission-workspace.js';
import { openMissionWorkspace } from '../../workspace/mission-workspace.js';
import { createHarness, driveToEnd, saveDesign, waitFor, type Harness } from '../testing/harness.js';
import { ScriptedProvider } from '../testing/scripted-provider.js';
import { needsWorkspace } from './decisions.js';

// The real workspace, counted: how often a decision (re)opens a mission's git workspace.
vi.mock('../../workspace/mission-workspace.js', async (importOriginal) => {
  const real = await importOriginal<typeof missionWorkspace>();
  return { ...real, openMissionWorkspace: vi.fn(real.openMissionWorkspace) };
});
const opened = vi.mocked(openMissionWorkspace);

let h: Harness | undefined;
beforeEach(() => {
  opened.mockClear();
});
afterEach(() => {
  h?.cleanup();
  h = undefined;
});

const quiet = () => new SimulatedProvider({ seed: 3, latencyScale: 0, questionRate: 0, commandRate: 0, rejectRate: 0 });

const toolCalls = (request: MessagesRequest): string[] =>
  request.messages.flatMap((m) =>
    m.role === 'assistant' && typeof m.content !== 'string' ? m.content.filter((b) => b.type === 'tool_use').map((b) => b.name) : [],
  );

/** The process ends (the engine pauses what works, the ledger closes) and starts again on the same ledger. */
function restart(harness: Harness, provider: SimulatedProvider | ScriptedProvider): void {
  harness.engine.close();
  harness.ledger.close();
  harness.reopen(provider);
}

function create(harness: Harness, skipPlanApproval: boolean) {
  const design = saveDesign(harness.ledger, [{ id: 'core', coders: 1 }]);
  return harness.engine.create({
    designId: design.id,
    goal: 'Build a todo CLI',
    repoPath: harness.repo,
    baseBranch: 'main',
    skipPlanApproval,
    allowedCommands: ['node --test'],
    copyFiles: [],
  });
}

describe('deciding an escalation', () => {
  it('opens no git workspace for a decision that needs none, and opens it for one that starts agents', async () => {
    h = createHarness(quiet());
    const first = create(h, false);
    const second = create(h, false);
    await h.engine.start(first.id);
    await h.engine.start(second.id);
    const harness = h;
    const planApproval = (missionId: string) => waitFor(() => harness.engine.escalations(missionId, true).find((e) => e.type === 'plan_approval'), 15_000, 'plan approval');
    const denied = await planApproval(first.id);
    const approved = await planApproval(second.id);
    restart(h, quiet());
    expect(opened).not.toHaveBeenCalled();

    // Rejecting a plan cancels the mission: a ledger row, no git.
    await h.engine.decide({ id: denied.id, decision: 'deny', comment: '', alwaysAllow: false });
    expect(h.engine.get(first.id).mission.state).toBe('cancelled');
    expect(opened).not.toHaveBeenCalled();

    // Approving one starts its coders in their worktrees: the workspace is opened first.
    await h.engine.decide({ id: approved.id, decision: 'approve', comment: '', alwaysAllow: false });
    expect(opened).toHaveBeenCalledTimes(1);
    await driveToEnd(h, second.id);
    expect(h.engine.get(second.id).mission.state).toBe('done');
  });

  it("records the person's permission for a paused mission without its workspace; resume opens it and the command runs", async () => {
    const provider = () =>
      new ScriptedProvider({
        fallback: quiet(),
        script: (r, i) => {
          if (!i.tools.includes('submit_task')) return undefined;
          const done = toolCalls(r);
          if (!done.includes('run_command')) return [{ tool: 'run_command', input: { command: 'echo from-the-person' } }];
          return undefined;
        },
      });
    h = createHarness(provider());
    const m = create(h, true);
    await h.engine.start(m.id);
    const harness = h;
    const asked = await waitFor(() => harness.engine.escalations(m.id, true).find((e) => e.type === 'permission'), 15_000, 'a permission escalation');
    expect(asked.level).toBe('human');
    restart(h, provider());
    expect(h.engine.get(m.id).mission.state).toBe('paused');

    const decided = await h.engine.decide({ id: asked.id, decision: 'approve', comment: '', alwaysAllow: false });
    expect(decided).toMatchObject({ state: 'resolved', decision: 'approve', decidedBy: 'human' });
    expect(opened).not.toHaveBeenCalled();

    await h.engine.resume(m.id);
    expect(opened).toHaveBeenCalledTimes(1);
    await driveToEnd(h, m.id);
    expect(h.engine.get(m.id).mission.state).toBe('done');
    const outputs = h.engine
      .transcript(m.id, asked.agentId ?? '')
      .flatMap((e) => (Array.isArray(e.content) ? (e.content as { type: string; content?: unknown }[]) : []))
      .filter((b) => b.type === 'tool_result')
      .map((b) => String(b.content));
    expect(outputs.some((o) => o.includes('from-the-person'))).toBe(true);
  });
});

describe('needsWorkspace', () => {
  const esc = (type: string, extra: { payload?: Record<string, unknown>; taskId?: string | null } = {}) =>
    ({ type, payload: extra.payload ?? {}, taskId: extra.taskId ?? null }) as Parameters<typeof needsWorkspace>[0];

  it.each([
    ['an approved final merge', esc('final_merge'), 'approve', true],
    ['a declined final merge', esc('final_merge'), 'deny', false],
    ['a merge conflict to try again', esc('merge_conflict', { payload: { stage: 'teams' } }), 'approve', true],
    ['a merge conflict given up', esc('merge_conflict'), 'deny', false],
    ['an approved plan', esc('plan_approval'), 'approve', true],
    ['a plan sent back', esc('plan_approval'), 'reply', true],
    ['a rejected plan', esc('plan_approval'), 'deny', false],
    ["a stalled coder's reset", esc('stall', { taskId: 't-1' }), 'approve', true],
    ['a stalled task given up', esc('stall', { taskId: 't-1' }), 'deny', false],
    ['a stalled leader', esc('stall', { payload: { leader: true } }), 'approve', false],
    ['a team restarted', esc('stall', { payload: { noAgents: true } }), 'approve', false],
    ['a permission', esc('permission', { taskId: 't-1' }), 'approve', false],
    ['an answer', esc('question', { taskId: 't-1' }), 'reply', false],
    ['a budget', esc('budget'), 'approve', false],
    ['a dead letter retried', esc('dead_letter', { taskId: 't-1' }), 'approve', false],
  ] as const)('%s', (_what, e, decision, needed) => {
    expect(needsWorkspace(e, decision)).toBe(needed);
  });
});

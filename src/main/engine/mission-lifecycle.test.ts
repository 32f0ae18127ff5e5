import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../limiter/testing/fake-clock.js';
import type { MessagesRequest } from '../llm/provider.js';
import { SimulatedProvider } from '../llm/simulated-provider.js';
import { createHarness, driveToEnd, git, saveDesign, waitFor, type Harness } from './testing/harness.js';
import { ScriptedProvider, type ScriptedTurn } from './testing/scripted-provider.js';

let h: Harness | undefined;
afterEach(() => {
  h?.cleanup();
  h = undefined;
});

const sim = () => new SimulatedProvider({ seed: 11, latencyScale: 0, questionRate: 0, commandRate: 0, rejectRate: 0 });

function toolCalls(request: MessagesRequest): string[] {
  return request.messages.flatMap((m) =>
    m.role === 'assistant' && typeof m.content !== 'string' ? m.content.filter((b) => b.type === 'tool_use').map((b) => b.name) : [],
  );
}

/** The leader plans exactly one task owning `src/only.js`. */
function onePlan(request: MessagesRequest, tools: string[]): ScriptedTurn[] | undefined {
  if (!tools.includes('create_task')) return undefined;
  if (!toolCalls(request).includes('create_task')) {
    return [
      {
        tool: 'create_task',
        input: {
          key: 'only',
          title: 'Write the only module',
          description: 'Write src/only.js exporting a function, and its test.',
          acceptance_criteria: ['src/only.js exists'],
          owns: ['src/only.js', 'test/only.test.js'],
          depends_on: [],
        },
      },
    ];
  }
  return [{ tool: 'submit_plan', input: { summary: 'One task.' } }];
}

function start(harness: Harness, coders: number, extra: Partial<Parameters<Harness['engine']['create']>[0]> = {}) {
  const design = saveDesign(harness.ledger, [{ id: 'core', coders }]);
  const m = harness.engine.create({
    designId: design.id,
    goal: 'Build a todo CLI',
    repoPath: harness.repo,
    baseBranch: 'main',
    skipPlanApproval: true,
    allowedCommands: ['node --test'],
    copyFiles: [],
    ...extra,
  });
  return m;
}

const callRows = (harness: Harness, missionId: string) =>
  harness.ledger.db.prepare('SELECT request_id, agent_id, status, input_tokens, output_tokens, cost_total_nano FROM calls WHERE mission_id = ? ORDER BY id').all(missionId) as {
    request_id: string;
    agent_id: string;
    status: string;
    input_tokens: number;
    output_tokens: number;
    cost_total_nano: number;
  }[];

describe('killing', () => {
  it('aborts the in-flight call (partial usage recorded), returns the task to ready and keeps the worktree', async () => {
    let held = false;
    const provider = new ScriptedProvider({
      fallback: sim(),
      script: (r, i) => onePlan(r, i.tools),
      hold: (_r, i) => {
        if (i.agent !== 'core-c1' || held || !i.tools.includes('submit_task')) return false;
        held = true;
        return true;
      },
    });
    h = createHarness(provider);
    const m = start(h, 1);
    await h.engine.start(m.id);
    await waitFor(() => provider.held.length === 1, 10_000, 'the coder call to be held');
    const coder = await waitFor(() => h?.engine.agents(m.id).find((a) => a.id === 'core-c1' && a.state === 'working'));
    const task = h.engine.tasks(m.id)[0];
    expect(task?.state).toBe('in_progress');
    const worktree = join(h.dir, 'worktrees', m.id, 'core', 'core-c1');
    expect(existsSync(worktree)).toBe(true);

    const killed = h.engine.killAgent(m.id, coder.id);
    expect(killed.state).toBe('killed');
    await waitFor(() => callRows(h!, m.id).some((r) => r.agent_id === 'core-c1' && r.status === 'cancelled'), 5_000, 'the cancelled call row');
    const row = callRows(h, m.id).find((r) => r.agent_id === 'core-c1' && r.status === 'cancelled');
    expect(row?.input_tokens).toBeGreaterThan(0);
    expect(row?.output_tokens).toBe(7);
    expect(h.engine.tasks(m.id)[0]).toMatchObject({ state: 'ready', assignee: null });
    expect(existsSync(worktree)).toBe(true);
    const agent = h.engine.agents(m.id).find((a) => a.id === 'core-c1');
    expect(agent?.costNanoUsd).toBe(callRows(h, m.id).filter((r) => r.agent_id === 'core-c1').reduce((n, r) => n + r.cost_total_nano, 0));

    // The team has no coder left: the person is asked, restarts it, and the mission finishes.
    const decided = await driveToEnd(h, m.id);
    expect(decided[0]).toMatchObject({ type: 'stall', title: expect.stringContaining('no coders') });
    expect(h.engine.get(m.id).mission.state).toBe('done');
    const log = h.ledger.db.prepare("SELECT to_state FROM mission_log WHERE subject_id = 'core-c1' AND kind = 'agent' ORDER BY id").pluck().all() as string[];
    expect(log).toContain('killed');
  });

  it('kills a whole team and cancels a mission mid-call', async () => {
    const provider = new ScriptedProvider({ fallback: sim(), script: (r, i) => onePlan(r, i.tools), hold: (_r, i) => i.tools.includes('submit_task') });
    h = createHarness(provider);
    const m = start(h, 2);
    await h.engine.start(m.id);
    await waitFor(() => provider.held.length >= 1, 10_000, 'a held call');
    const team = h.engine.killTeam(m.id, 'core');
    expect(team.every((a) => a.state === 'killed')).toBe(true);
    const cancelled = h.engine.cancel(m.id);
    expect(cancelled.state).toBe('cancelled');
    expect(h.engine.tasks(m.id).every((t) => t.state === 'cancelled')).toBe(true);
    await waitFor(() => callRows(h!, m.id).some((r) => r.status === 'cancelled'), 5_000, 'cancelled row');
  });
});

describe('the idle reaper', () => {
  it('stops coders idle past their timeout while the work goes on, and "kill all idle" takes the rest', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    let release = false;
    const provider = new ScriptedProvider({
      fallback: sim(),
      script: (r, i) => onePlan(r, i.tools),
      hold: (_r, i) => i.agent === 'core-c1' && i.tools.includes('submit_task') && !release,
    });
    h = createHarness(provider, { clock });
    const m = start(h, 3);
    await h.engine.start(m.id);
    // The one task goes to one coder; which one depends on scheduling order.
    const worker = await waitFor(() => h?.engine.tasks(m.id)[0]?.assignee ?? undefined, 10_000, 'a claim');
    await waitFor(() => (h?.engine.agents(m.id).filter((a) => a.state === 'idle').length ?? 0) >= 2, 5_000, 'idle coders');

    clock.advance(60_000);
    expect(h.engine.reapIdle()).toEqual([]);
    clock.advance(61_000);
    const reaped = h.engine.reapIdle();
    expect(reaped.sort()).toEqual(['core-c1', 'core-c2', 'core-c3'].filter((id) => id !== worker));
    for (const id of reaped) expect(h.engine.agents(m.id).find((a) => a.id === id)?.stateReason).toBe('idle for too long');
    // Never the worker nor the leader still needed for its review.
    expect(h.engine.killIdle(m.id).killed).toEqual([]);

    release = true;
    for (const held of provider.held) held.release();
    await driveToEnd(h, m.id);
    expect(h.engine.get(m.id).mission.state).toBe('done');
  });
});

describe('stalls and dead letters', () => {
  it('re-plans a stalled coder through its leader, then asks the person after a second stall', async () => {
    const provider = new ScriptedProvider({
      fallback: sim(),
      script: (r, i) => {
        const plan = onePlan(r, i.tools);
        if (plan) return plan;
        if (i.tools.includes('submit_task')) return [{ tool: 'list_dir', input: { path: '.' } }];
        if (i.tools.includes('answer_coder')) return [{ tool: 'answer_coder', input: { answer: 'Write src/only.js first, then submit.' } }];
        return undefined;
      },
    });
    h = createHarness(provider);
    const m = start(h, 1);
    await h.engine.start(m.id);
    const decided = await driveToEnd(h, m.id, () => ({ decision: 'deny' }));
    const escalations = h.engine.escalations(m.id);
    expect(escalations.map((e) => [e.type, e.level, e.decidedBy])).toEqual([
      ['stall', 'leader', 'leader'],
      ['stall', 'human', 'human'],
    ]);
    expect(decided).toHaveLength(1);
    const [task] = h.engine.tasks(m.id);
    expect(task).toMatchObject({ state: 'dead_letter', feedback: 'Write src/only.js first, then submit.' });
    expect(h.engine.get(m.id).mission).toMatchObject({ state: 'failed', outcome: 'no task was merged' });
    // The second claim was told the leader's guidance.
    const prompts = h.engine.transcript(m.id, 'core-c1').filter((e) => e.seq === 0).map((e) => String(e.content));
    expect(prompts).toHaveLength(2);
    expect(prompts[1]).toContain('Feedback: Write src/only.js first');
  });

  it('dead-letters a task rejected N times, and retries it when the person approves', async () => {
    let approve = false;
    const provider = new ScriptedProvider({
      fallback: sim(),
      script: (r, i) => {
        const plan = onePlan(r, i.tools);
        if (plan) return plan;
        if (i.tools.includes('reject_submission')) {
          return approve
            ? [{ tool: 'approve_submission', input: { comment: 'Fine now.' } }]
            : [{ tool: 'reject_submission', input: { feedback: 'Not good enough yet.' } }];
        }
        return undefined;
      },
    });
    h = createHarness(provider);
    const m = start(h, 1, { settings: { maxAttempts: 2 } });
    await h.engine.start(m.id);
    const decided = await driveToEnd(h, m.id, (e) => {
      if (e.type === 'dead_letter') approve = true;
      return { decision: 'approve' };
    });
    expect(decided.map((e) => e.type)).toEqual(['dead_letter', 'final_merge']);
    const log = h.ledger.db.prepare("SELECT to_state FROM mission_log WHERE kind = 'task' AND mission_id = ? ORDER BY id").pluck().all(m.id) as string[];
    expect(log.filter((s) => s === 'dead_letter')).toHaveLength(1);
    expect(log.filter((s) => s === 'submitted')).toHaveLength(3);
    expect(log.at(-1)).toBe('merged');
    expect(h.engine.get(m.id).mission.state).toBe('done');
  });
});

describe('budgets', () => {
  it('stops at the mission cap with a budget escalation; the agent waits and nothing is overspent', async () => {
    h = createHarness(sim());
    const cap = 300_000_000; // $0.30: a few worst-case calls of Opus/Sonnet with 8k output
    const m = start(h, 1, { budgetNanoUsd: cap });
    await h.engine.start(m.id);
    const esc = await waitFor(() => h?.engine.escalations(m.id, true).find((e) => e.type === 'budget'), 20_000, 'a budget escalation');
    expect(esc.level).toBe('human');
    const waiting = h.engine.agents(m.id).find((a) => a.id === esc.agentId);
    expect(waiting?.state).toBe('waiting_escalation');
    const spent = (h.ledger.db.prepare('SELECT coalesce(sum(cost_total_nano), 0) FROM calls WHERE mission_id = ?').pluck().get(m.id) as number);
    expect(spent).toBeLessThanOrEqual(cap);
    const rowsBefore = callRows(h, m.id).length;
    await new Promise((r) => setTimeout(r, 100));
    // A waiting agent spends nothing.
    expect(callRows(h, m.id).length).toBe(rowsBefore);

    await h.engine.decide({ id: esc.id, decision: 'approve', comment: '', alwaysAllow: false, budgetNanoUsd: 100_000_000_000 });
    await driveToEnd(h, m.id);
    expect(h.engine.get(m.id).mission).toMatchObject({ state: 'done', budgetNanoUsd: 100_000_000_000 });
  });
});

describe('confinement', () => {
  it('refuses path traversal and symlink escapes as tool errors the model sees', async () => {
    let turn = 0;
    const provider = new ScriptedProvider({
      fallback: sim(),
      script: (r, i) => {
        const plan = onePlan(r, i.tools);
        if (plan) return plan;
        if (!i.tools.includes('submit_task')) return undefined;
        turn += 1;
        if (turn === 1) return [{ tool: 'write_file', input: { path: '../../escape.txt', content: 'x' } }];
        if (turn === 2) return [{ tool: 'read_file', input: { path: 'link/secret.txt' } }];
        if (turn === 3) return [{ tool: 'write_file', input: { path: 'link/planted.txt', content: 'x' } }];
        if (turn === 4) return [{ tool: 'write_file', input: { path: 7 } }];
        if (turn === 5) return [{ tool: 'write_file', input: { path: 'src/only.js', content: 'export const only = 1;\n' } }];
        return [{ tool: 'submit_task', input: { summary: 'done' } }];
      },
    });
    h = createHarness(provider);
    // A committed symlink that points outside the repository.
    const secretDir = join(h.dir, 'secret');
    mkdirSync(secretDir);
    writeFileSync(join(secretDir, 'secret.txt'), 'top secret');
    symlinkSync(secretDir, join(h.repo, 'link'));
    git(h.repo, 'add', 'link');
    git(h.repo, 'commit', '-q', '-m', 'add a link');
    const m = start(h, 1);
    await h.engine.start(m.id);
    await driveToEnd(h, m.id);
    const results = h.engine
      .transcript(m.id, 'core-c1')
      .flatMap((e) => (Array.isArray(e.content) ? (e.content as { type: string; is_error?: boolean; content?: unknown }[]) : []))
      .filter((b) => b.type === 'tool_result');
    expect(results.slice(0, 4).every((b) => b.is_error === true)).toBe(true);
    expect(String(results[0]?.content)).toMatch(/outside/);
    expect(String(results[1]?.content)).not.toContain('top secret');
    expect(results[4]?.is_error).toBeUndefined();
    expect(existsSync(join(h.dir, 'escape.txt'))).toBe(false);
    expect(existsSync(join(h.dir, 'worktrees', 'escape.txt'))).toBe(false);
    expect(existsSync(join(secretDir, 'planted.txt'))).toBe(false);
    expect(h.engine.get(m.id).mission.state).toBe('done');
  });
});

describe('escalations', () => {
  it('lets the leader allow a team-allowlisted command, asks the person otherwise, and remembers "always allow"', async () => {
    let turn = 0;
    const provider = new ScriptedProvider({
      fallback: sim(),
      script: (r, i) => {
        const plan = onePlan(r, i.tools);
        if (plan) return plan;
        if (!i.tools.includes('submit_task')) return undefined;
        turn += 1;
        if (turn === 1) return [{ tool: 'run_command', input: { command: 'git status --short' } }];
        if (turn === 2) return [{ tool: 'run_command', input: { command: 'echo hello' } }];
        if (turn === 3) return [{ tool: 'run_command', input: { command: 'echo hello' } }];
        if (turn === 4) return [{ tool: 'write_file', input: { path: 'src/only.js', content: 'export const only = 1;\n' } }];
        return [{ tool: 'submit_task', input: { summary: 'done' } }];
      },
    });
    h = createHarness(provider);
    const design = saveDesign(h.ledger, [{ id: 'core', coders: 1 }]);
    // The leader's own allowlist is part of the team's: the leader may grant it.
    const stored = h.ledger.db.prepare("UPDATE design_agents SET allowed_commands_json = '[\"git status --short\"]' WHERE role = 'leader'");
    stored.run();
    const m = h.engine.create({ designId: design.id, goal: 'Build a todo CLI', repoPath: h.repo, baseBranch: 'main', skipPlanApproval: true, allowedCommands: [], copyFiles: [] });
    await h.engine.start(m.id);
    const decided = await driveToEnd(h, m.id, (e) => (e.type === 'permission' ? { decision: 'approve', alwaysAllow: true } : { decision: 'approve' }));
    const permissions = h.engine.escalations(m.id).filter((e) => e.type === 'permission');
    expect(permissions.map((e) => [e.payload.command, e.decidedBy])).toEqual([
      ['git status --short', 'leader'],
      ['echo hello', 'human'],
    ]);
    expect(decided.filter((e) => e.type === 'permission')).toHaveLength(1);
    const rules = h.ledger.db.prepare('SELECT command FROM team_command_rules WHERE mission_id = ?').pluck().all(m.id);
    expect(rules).toEqual(['echo hello']);
    const outputs = h.engine
      .transcript(m.id, 'core-c1')
      .flatMap((e) => (Array.isArray(e.content) ? (e.content as { type: string; content?: unknown }[]) : []))
      .filter((b) => b.type === 'tool_result')
      .map((b) => String(b.content));
    expect(outputs.filter((o) => o.includes('hello'))).toHaveLength(2);
  });

  it('decides an unanswered escalation with its default action after the timeout', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    h = createHarness(sim(), { clock });
    const m = start(h, 1, { skipPlanApproval: false, settings: { escalationTimeouts: { plan_approval: { afterSec: 300, action: 'approve' } } } });
    await h.engine.start(m.id);
    const esc = await waitFor(() => h?.engine.escalations(m.id, true).find((e) => e.type === 'plan_approval'), 10_000, 'plan approval');
    clock.advance(299_000);
    expect(h.engine.escalations(m.id, true)).toHaveLength(1);
    clock.advance(2_000);
    await waitFor(() => h?.engine.get(m.id).mission.state === 'running' || h?.engine.get(m.id).mission.state === 'integrating' || undefined, 5_000, 'running');
    expect(h.engine.escalations(m.id).find((e) => e.id === esc.id)).toMatchObject({ decision: 'approve', decidedBy: 'timeout' });
  });
});

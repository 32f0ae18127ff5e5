import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scopedId } from '../ledger/budgets.js';
import { RateLimiter } from '../limiter/index.js';
import { FakeClock } from '../limiter/testing/fake-clock.js';
import type { Ticket } from '../limiter/types.js';
import type { MessagesRequest, ModelProvider } from '../llm/provider.js';
import { SimulatedProvider } from '../llm/simulated-provider.js';
import { createHarness, driveToEnd, git, saveDesign, waitFor, type Harness } from './testing/harness.js';
import { ScriptedProvider, type ScriptedTurn } from './testing/scripted-provider.js';

let h: Harness | undefined;
afterEach(() => {
  h?.cleanup();
  h = undefined;
});

const sim = () => new SimulatedProvider({ seed: 7, latencyScale: 0, questionRate: 0, commandRate: 0, rejectRate: 0 });

function create(harness: Harness, teams: { id: string; coders: number }[], skipPlanApproval: boolean) {
  const design = saveDesign(harness.ledger, teams);
  return harness.engine.create({
    designId: design.id,
    goal: 'Build a todo CLI',
    repoPath: harness.repo,
    baseBranch: 'main',
    skipPlanApproval,
    allowedCommands: ['node --test'],
    copyFiles: [],
    director: false,
  });
}

/** The crash: the ledger goes away under the running engine, no shutdown; then a new engine on the same file. */
async function crashAndReopen(harness: Harness, provider: ModelProvider = sim(), extra: Parameters<Harness['reopen']>[1] = {}): Promise<void> {
  harness.ledger.close();
  await new Promise((r) => setTimeout(r, 200));
  harness.reopen(provider, extra);
}

const userTexts = (request: MessagesRequest): string[] =>
  request.messages.flatMap((m) =>
    m.role !== 'user' ? [] : typeof m.content === 'string' ? [m.content] : m.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])),
  );

const logSummaries = (harness: Harness, missionId: string): string[] => harness.engine.log(missionId).map((e) => e.summary);

const callsOf = (harness: Harness, missionId: string, agentId: string): number =>
  Number(harness.ledger.db.prepare('SELECT count(*) FROM calls WHERE mission_id = ? AND agent_id = ?').pluck().get(missionId, agentId));

/** Two independent tasks, neither assigned: whichever coder is free takes the next one. */
function twoTasks(request: MessagesRequest, tools: string[]): ScriptedTurn[] | undefined {
  if (!tools.includes('create_task')) return undefined;
  const made = request.messages.flatMap((m) =>
    m.role === 'assistant' && typeof m.content !== 'string' ? m.content.filter((b) => b.type === 'tool_use').map((b) => b.name) : [],
  );
  if (made.includes('create_task')) return [{ tool: 'submit_plan', input: { summary: 'Two modules.' } }];
  const task = (key: string) => ({
    tool: 'create_task',
    input: {
      key,
      title: `Write the ${key} module`,
      description: `Write src/${key}.js exporting a function, and its test.`,
      acceptance_criteria: [`src/${key}.js exists`],
      owns: [`src/${key}.js`, `test/${key}.test.js`],
      depends_on: [],
    },
  });
  return [task('alpha'), task('beta')];
}

describe('a message to a leader', () => {
  it('reaches a busy leader at its next turn and is in its transcript', async () => {
    // What each request of the leader carried when it was sent (the engine's arrays grow afterwards).
    const leaderRequests: string[][] = [];
    let held = false;
    const provider = new ScriptedProvider({
      fallback: sim(),
      hold: (_r, i) => {
        if (i.agent !== 'core-lead' || held) return false;
        held = true;
        return true;
      },
      // Two turns of planning (the tasks, then the submission), so there is a next turn.
      script: (r, i) => {
        if (i.agent === 'core-lead') leaderRequests.push(userTexts(r));
        return twoTasks(r, i.tools);
      },
    });
    h = createHarness(provider);
    const m = create(h, [{ id: 'core', coders: 1 }], false);
    await h.engine.start(m.id);
    await waitFor(() => provider.held.length === 1, 10_000, 'the leader\'s first call to be held');

    const text = 'Keep the CLI free of dependencies, please.';
    const sent = h.engine.messageLeader(m.id, 'core', text);
    expect(sent).toMatchObject({ teamId: 'core', agentId: 'core-lead', text, deliveredAt: null });
    provider.held[0]?.release();

    const said = `Message from the person: ${text}`;
    const carrying = await waitFor(() => leaderRequests.find((texts) => texts.includes(said)), 10_000, 'a leader request carrying the message');
    // The call in flight when it was sent did not carry it; the next one did.
    expect(leaderRequests[0]).not.toContain(said);
    expect(leaderRequests.indexOf(carrying)).toBe(1);
    const transcript = h.engine.transcript(m.id, 'core-lead');
    expect(transcript.some((e) => e.role === 'user' && JSON.stringify(e.content).includes(said))).toBe(true);
    expect(h.engine.steeringMessages(m.id)[0]?.deliveredAt).not.toBeNull();
    await waitFor(() => h!.engine.get(m.id).mission.state === 'awaiting_plan_approval', 10_000, 'the plan');
    expect(logSummaries(h, m.id)).toEqual(expect.arrayContaining([`The person wrote to core-lead: “${text}”`, "core-lead read the person's message"]));

    // Bad input is refused before anything is written.
    expect(() => h!.engine.messageLeader(m.id, 'nope', 'hello')).toThrow(/no team "nope"/);
    expect(h.engine.steeringMessages(m.id)).toHaveLength(1);
  });

  it('gives a leader with nothing to do a job to read it, delivered after a restart when it had not been', async () => {
    h = createHarness(sim());
    const m = create(h, [{ id: 'core', coders: 1 }], false);
    await h.engine.start(m.id);
    const approval = await waitFor(() => h!.engine.escalations(m.id, true).find((e) => e.type === 'plan_approval'), 15_000, 'the plan approval');
    // Awaiting approval nobody works: the message waits in the ledger.
    const text = 'Write the README last.';
    h.engine.messageLeader(m.id, 'core', text);
    expect(h.engine.steeringMessages(m.id)[0]?.deliveredAt).toBeNull();

    await crashAndReopen(h);
    expect(h.engine.steeringMessages(m.id)).toMatchObject([{ text, deliveredAt: null }]);
    await h.engine.decide({ id: approval.id, decision: 'approve', comment: '', alwaysAllow: false });
    // The leader has no review yet: it gets a job of its own to read the message and reply.
    await waitFor(() => logSummaries(h!, m.id).some((s) => s.startsWith('core-lead replied to the person: ')), 15_000, 'the leader\'s reply');
    const [delivered] = h.engine.steeringMessages(m.id);
    expect(delivered?.deliveredAt).not.toBeNull();
    const transcript = h.engine.transcript(m.id, 'core-lead');
    expect(transcript.some((e) => e.conversation === `steer:${delivered?.id}` && JSON.stringify(e.content).includes(`Message from the person: ${text}`))).toBe(true);
    await driveToEnd(h, m.id);
    expect(h.engine.get(m.id).mission.state).toBe('done');
  });
});

describe("a team's priority", () => {
  /** Two backlogged teams on a limiter that admits one call per ms; returns team a's share of 4,000 calls. */
  async function shareOfA(limiter: RateLimiter, clock: FakeClock, keys: { a: string; b: string }): Promise<number> {
    const counts = new Map<string, number>([[keys.a, 0], [keys.b, 0]]);
    const ready: Ticket[] = [];
    const ask = (teamId: string, agentId: string) =>
      void limiter
        .acquire({ pool: 'sonnet', teamId, agentId, role: 'coder', estimatedInputTokens: 100, maxOutputTokens: 100 })
        .then((t) => ready.push(t), () => undefined);
    const flush = async () => {
      for (let i = 0; i < 10; i++) await Promise.resolve();
    };
    for (let i = 0; i < 40; i++) {
      ask(keys.a, `a-${i}`);
      ask(keys.b, `b-${i}`);
    }
    await flush();
    for (let ms = 0; ms < 4_000; ms++) {
      for (const t of ready.splice(0)) {
        counts.set(t.teamId, (counts.get(t.teamId) ?? 0) + 1);
        limiter.complete(t, { usage: { input_tokens: 100, output_tokens: 10, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } });
        ask(t.teamId, t.agentId);
      }
      clock.advance(1);
      await flush();
    }
    const a = counts.get(keys.a) ?? 0;
    return a / (a + (counts.get(keys.b) ?? 0));
  }

  const limiterWithClock = () => {
    const clock = new FakeClock(0);
    const limits = { rpm: 60_000, itpm: 1e9, otpm: 1e9, burstWindowMs: 1 };
    const limiter = new RateLimiter({ clock, pools: { opus: limits, sonnet: limits, haiku: limits }, rampStartFraction: 1, random: () => 0.5 });
    return { clock, limiter };
  };

  it('shifts the shared limiter between two busy teams, and is re-applied after a restart', async () => {
    const first = limiterWithClock();
    const provider = new ScriptedProvider({ fallback: sim(), hold: () => true });
    h = createHarness(provider, { teamWeights: first.limiter });
    const m = create(h, [{ id: 'a', coders: 1 }, { id: 'b', coders: 1 }], false);
    await h.engine.start(m.id);
    // The limiter keys a mission's team as the gateway does.
    const keys = { a: scopedId(m.id, 'a'), b: scopedId(m.id, 'b') };

    expect(() => h!.engine.setTeamPriority(m.id, 'a', 10)).toThrow(/between 0.25 and 4/);
    const team = h.engine.setTeamPriority(m.id, 'a', 3);
    expect(team).toMatchObject({ id: 'a', priorityWeight: 3 });
    expect(await shareOfA(first.limiter, first.clock, keys)).toBeCloseTo(0.75, 2);
    expect(logSummaries(h, m.id)).toContain("Team a's priority set to ×3");
    first.limiter.close();

    const second = limiterWithClock();
    await crashAndReopen(h, sim(), { teamWeights: second.limiter });
    expect(h.engine.get(m.id).teams.find((t) => t.id === 'a')?.priorityWeight).toBe(3);
    expect(await shareOfA(second.limiter, second.clock, keys)).toBeCloseTo(0.75, 2);
    second.limiter.close();
  });
});

describe('coders added and removed', () => {
  it('adds a coder that claims a ready task; removes an idle one with its worktree; refuses one that holds a task', async () => {
    const provider = new ScriptedProvider({
      fallback: sim(),
      script: (r, i) => twoTasks(r, i.tools),
      // The first coder stays in the middle of its task.
      hold: (_r, i) => i.agent === 'core-c1' && i.tools.includes('submit_task'),
    });
    h = createHarness(provider);
    const m = create(h, [{ id: 'core', coders: 1 }], true);
    await h.engine.start(m.id);
    await waitFor(() => provider.held.length >= 1, 15_000, 'the first coder at work');
    const waiting = await waitFor(() => h!.engine.tasks(m.id).find((t) => t.state === 'ready'), 5_000, 'a ready task');

    await expect(h.engine.removeCoder(m.id, 'core-c1')).rejects.toThrow(/core-c1 holds the task “Write the (alpha|beta) module” \((claimed|in progress)\)/);
    await expect(h.engine.removeCoder(m.id, 'core-lead')).rejects.toThrow(/only coders can be removed/);
    await expect(h.engine.addCoder(m.id, 'core', { model: 'gpt-5' })).rejects.toThrow(/unknown model/);

    const added = await h.engine.addCoder(m.id, 'core', { name: 'Extra hand' });
    expect(added).toMatchObject({ id: 'core-c2', name: 'Extra hand', role: 'coder', model: 'claude-sonnet-4-6' });
    // Named after its name: `core/extra-hand`.
    const worktree = join(h.dir, 'worktrees', m.id, 'core', 'extra-hand');
    expect(existsSync(worktree)).toBe(true);
    // Its branch starts from the team branch.
    const branch = git(h.repo, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/').split('\n').find((b) => b.endsWith('/core/extra-hand'));
    expect(branch).toBeDefined();
    // It claims the task nobody had taken, and its work is merged.
    await waitFor(() => h!.engine.tasks(m.id).find((t) => t.id === waiting.id && t.state === 'merged' && t.assignee === 'core-c2'), 20_000, 'the new coder\'s task merged');
    await waitFor(() => h!.engine.agents(m.id).find((a) => a.id === 'core-c2' && a.state === 'idle' && a.currentTaskId === null), 10_000, 'the new coder idle');

    // A restart keeps it: it is still in the team, with its worktree.
    await crashAndReopen(h, new ScriptedProvider({ fallback: sim(), hold: (_r, i) => i.agent === 'core-c1' && i.tools.includes('submit_task') }));
    expect(h.engine.agents(m.id).find((a) => a.id === 'core-c2')).toMatchObject({ name: 'Extra hand', state: 'idle' });
    await h.engine.resume(m.id);
    expect(existsSync(worktree)).toBe(true);

    const removed = await h.engine.removeCoder(m.id, 'core-c2');
    expect(removed).toMatchObject({ id: 'core-c2', state: 'done', stateReason: 'removed from the team by the person' });
    expect(existsSync(worktree)).toBe(false);
    expect(git(h.repo, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/')).toContain(branch);
    // The first coder still holds its task.
    await expect(h.engine.removeCoder(m.id, 'core-c1')).rejects.toThrow(/holds the task/);

    // Removed for good: a restart does not bring its worktree back.
    await crashAndReopen(h);
    await h.engine.resume(m.id);
    expect(existsSync(worktree)).toBe(false);
    await driveToEnd(h, m.id);
    expect(h.engine.get(m.id).mission.state).toBe('done');
    expect(h.engine.agents(m.id).find((a) => a.id === 'core-c2')?.state).toBe('done');
  });
});

describe('pausing one team', () => {
  it('stops its agents while the other team works, stays paused after a restart, and resumes', async () => {
    h = createHarness(sim());
    const m = create(h, [{ id: 'a', coders: 1 }, { id: 'b', coders: 1 }], true);
    await h.engine.start(m.id);
    const paused = h.engine.pauseTeam(m.id, 'a');
    expect(paused).toMatchObject({ id: 'a', paused: true });
    expect(() => h!.engine.pauseTeam(m.id, 'a')).toThrow(/already paused/);

    // Team b plans; team a's leader stops after the call it had in flight.
    await waitFor(() => h!.engine.get(m.id).teams.find((t) => t.id === 'b')?.planState === 'submitted', 15_000, 'team b\'s plan');
    await waitFor(() => !h!.engine.isBusy(m.id), 10_000, 'every job to end');
    const callsOfA = callsOf(h, m.id, 'a-lead');
    expect(callsOfA).toBeLessThanOrEqual(1);
    expect(h.engine.get(m.id).teams.find((t) => t.id === 'a')?.planState).not.toBe('submitted');
    expect(h.engine.get(m.id).mission.state).toBe('planning');

    await crashAndReopen(h);
    expect(h.engine.get(m.id).teams.find((t) => t.id === 'a')?.paused).toBe(true);
    await h.engine.resume(m.id);
    await new Promise((r) => setTimeout(r, 200));
    expect(callsOf(h, m.id, 'a-lead')).toBe(callsOfA);

    expect(h.engine.resumeTeam(m.id, 'a')).toMatchObject({ id: 'a', paused: false });
    await driveToEnd(h, m.id);
    expect(h.engine.get(m.id).mission.state).toBe('done');
    expect(h.engine.tasks(m.id).filter((t) => t.teamId === 'a').every((t) => t.state === 'merged')).toBe(true);
    expect(logSummaries(h, m.id)).toEqual(expect.arrayContaining(['Team a was paused by the person', 'Team a was resumed by the person']));
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { MissionResult } from '../../shared/mission-result.js';
import type { TeamSpec } from '../../shared/team.js';
import { SimulatedProvider } from '../llm/simulated-provider.js';
import { ScriptedProvider } from './testing/scripted-provider.js';
import { createHarness, driveToEnd, git, saveDesign, type Harness } from './testing/harness.js';
import { RESULT_SUMMARY_TOOL } from './result-summary.js';
import type { ModelProvider } from '../llm/provider.js';

/**
 * A mission's result, end to end on real git and the real ledger: the leaders' summaries
 * (a billed model call per team at integration), the files, the commits per team and
 * coder, cost per team and task adding up to the calls ledger, the escalations; and how it
 * ended (a declined final merge is 'declined', not merged, in the list too).
 */

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

const BRIEFS: Record<string, NonNullable<TeamSpec['brief']>> = {
  core: { focus: 'Storage: the in-memory store of bookmarks', owns: ['src/storage'] },
  cli: { focus: 'Interface: the command line on top of storage', owns: ['src/cli'] },
};

const sim = (seed = 4) => new SimulatedProvider({ seed, latencyScale: 0, questionRate: 0, commandRate: 0, rejectRate: 0 });

async function runMission(provider: ModelProvider, finalMerge: 'approve' | 'deny'): Promise<{ id: string; result: MissionResult }> {
  h = createHarness(provider);
  const design = saveDesign(h.ledger, [
    { id: 'core', coders: 2, brief: BRIEFS.core },
    { id: 'cli', coders: 1, brief: BRIEFS.cli, after: ['core'] },
  ]);
  const { id } = h.engine.create({
    designId: design.id,
    goal: 'Build a bookmarks manager',
    repoPath: h.repo,
    baseBranch: 'main',
    skipPlanApproval: false,
    allowedCommands: [],
    copyFiles: [],
  });
  await h.engine.start(id);
  await driveToEnd(h, id, (e) => (e.type === 'final_merge' ? { decision: finalMerge } : { decision: 'approve' }));
  return { id, result: await h.engine.result(id) };
}

const ledgerTotal = (harness: Harness, id: string) =>
  (harness.ledger.db.prepare('SELECT coalesce(sum(cost_total_nano), 0) AS c, count(*) AS n FROM calls WHERE mission_id = ?').get(id) as { c: number; n: number });

describe('a mission result', () => {
  it('of a merged mission: leaders\' summaries, files, commits per team and coder, cost per team and task that add up', async () => {
    const { id, result } = await runMission(sim(), 'approve');
    const harness = h as Harness;
    const detail = harness.engine.get(id);
    expect(result.resultKind).toBe('merged');
    expect(result.headline).toBe('Merged into main');
    expect(result.finalCommit).toBe(git(harness.repo, 'rev-parse', 'main'));
    expect(detail.mission.resultKind).toBe('merged');

    // Each team's leader summarised what its own team did: its tasks' titles, not the other team's.
    for (const team of result.teams) {
      expect(team.summarySource).toBe('leader');
      expect(team.summaryNote).toBeNull();
      const own = result.tasks.filter((t) => t.teamId === team.id);
      expect(own.length).toBeGreaterThan(0);
      for (const t of own) expect(team.summary).toContain(t.title);
      for (const t of result.tasks.filter((x) => x.teamId !== team.id)) expect(team.summary).not.toContain(t.title);
      // The summary was a model call of the team's leader, billed and in its transcript.
      const calls = harness.ledger.db
        .prepare("SELECT count(*) AS n FROM transcript_entries WHERE mission_id = ? AND agent_id = ? AND conversation = ?")
        .get(id, `${team.id}-lead`, `result:${team.id}`) as { n: number };
      expect(calls.n).toBe(2);
    }

    // Files: every team's delivered files, and they are on main.
    const onMain = git(harness.repo, 'ls-tree', '-r', '--name-only', 'main').split('\n');
    expect(result.files.length).toBeGreaterThan(0);
    for (const f of result.files) expect(onMain).toContain(f.path);
    // Each file's lines as git counts them from the team's start to its merge (new files: added only).
    for (const f of result.files) {
      const team = result.teams.find((t) => f.teams.includes(t.name));
      const start = harness.ledger.db.prepare('SELECT start_commit AS c FROM mission_teams WHERE mission_id = ? AND id = ?').get(id, team?.id) as { c: string };
      const [added, deleted] = git(harness.repo, 'diff', '--numstat', start.c, team?.mergedCommit ?? '', '--', f.path).split('\t');
      expect([f.additions, f.deletions]).toEqual([Number(added), Number(deleted)]);
      expect(f.additions).toBeGreaterThan(0);
    }
    expect(result.files.filter((f) => f.teams.includes('core')).every((f) => f.path.startsWith('src/storage/'))).toBe(true);

    // Commits: from git, each attributed to the coder of its task's team, and each is on main.
    expect(result.commitsSource).toBe('git');
    expect(result.commits.length).toBeGreaterThanOrEqual(result.tasks.filter((t) => t.state === 'merged').length);
    const mainLog = git(harness.repo, 'log', '--format=%H', 'main');
    for (const c of result.commits) {
      expect(mainLog).toContain(c.sha);
      expect(c.agentId?.startsWith(`${c.teamId}-c`)).toBe(true);
      expect(c.author).toBe(c.agentId);
    }
    const byCoder = result.coders.reduce((n, c) => n + c.commits, 0);
    expect(byCoder).toBe(result.commits.length);
    expect(result.coders.find((c) => c.agentId === 'cli-c1')?.commits).toBeGreaterThan(0);

    // Cost: tasks add up to their team, teams (and the director's, here none) to the ledger's total.
    const total = ledgerTotal(harness, id);
    expect(result.cost.totalNanoUsd).toBe(total.c);
    expect(result.cost.calls).toBe(total.n);
    expect(result.teams.reduce((n, t) => n + t.costNanoUsd, 0) + result.cost.unattributedNanoUsd).toBe(total.c);
    expect(result.cost.unattributedNanoUsd).toBe(0);
    for (const team of result.teams) {
      const tasks = result.tasks.filter((t) => t.teamId === team.id);
      expect(tasks.reduce((n, t) => n + t.costNanoUsd, 0) + team.untaskedCostNanoUsd).toBe(team.costNanoUsd);
      expect(team.untaskedCostNanoUsd).toBeGreaterThan(0);
      expect(team.durationMs).not.toBeNull();
    }
    for (const t of result.tasks) {
      expect(t.costNanoUsd).toBeGreaterThan(0);
      expect(t.durationMs).not.toBeNull();
    }

    // Escalations and who decided them.
    expect(result.escalations.map((e) => [e.type, e.decision, e.decidedBy])).toEqual([
      ['plan_approval', 'approve', 'human'],
      ['plan_approval', 'approve', 'human'],
      ['final_merge', 'approve', 'human'],
    ]);
    expect(harness.errors).toEqual([]);

    // A mission merged before leaders wrote summaries (no rows) shows what each merge recorded, and says so.
    harness.ledger.db.prepare('DELETE FROM team_result_summaries WHERE mission_id = ?').run(id);
    const older = await harness.engine.result(id);
    for (const t of older.teams) {
      expect(t.summarySource).toBe('fallback');
      expect(t.summary).toBe(detail.teams.find((x) => x.id === t.id)?.delivery?.summary);
      expect(t.summaryNote).toMatch(/before leaders wrote summaries/);
    }
  }, 120_000);

  it('of a declined final merge: declined, in the list too, with its work still listed from the mission branch', async () => {
    const { id, result } = await runMission(sim(9), 'deny');
    const harness = h as Harness;
    expect(result.state).toBe('done');
    expect(result.resultKind).toBe('declined');
    expect(result.headline).toMatch(/declined/);
    expect(result.finalCommit).toBeNull();
    expect(harness.engine.list().find((m) => m.id === id)?.resultKind).toBe('declined');
    expect(harness.engine.get(id).mission.resultKind).toBe('declined');
    expect(result.commits.length).toBeGreaterThan(0);
    expect(result.escalations.at(-1)).toMatchObject({ type: 'final_merge', decision: 'deny', decidedBy: 'human' });
  }, 120_000);

  it("falls back to the tasks' own summaries, and says why, when a leader's summary reply is malformed", async () => {
    const provider = new ScriptedProvider({
      fallback: sim(),
      // The core leader answers without its tool; the cli leader's call goes through.
      script: (request, info) => (info.tools.includes(RESULT_SUMMARY_TOOL) && info.prompt.startsWith('Team: core') ? [{ text: 'Sure, it went well.' }] : undefined),
    });
    const { result } = await runMission(provider, 'approve');
    expect(result.resultKind).toBe('merged');
    const core = result.teams.find((t) => t.id === 'core');
    expect(core?.summarySource).toBe('fallback');
    expect(core?.summaryNote).toMatch(/without calling submit_result_summary/);
    for (const t of result.tasks.filter((x) => x.teamId === 'core')) {
      expect(core?.summary).toContain(t.key);
      expect(core?.summary).toContain(t.submissionSummary?.split('\n')[0] ?? '');
    }
    expect(result.teams.find((t) => t.id === 'cli')?.summarySource).toBe('leader');
  }, 120_000);
});

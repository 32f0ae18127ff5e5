import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedProvider } from '../llm/simulated-provider.js';
import { createHarness, driveToEnd, git, saveDesign, type Harness } from './testing/harness.js';

let h: Harness | undefined;
afterEach(() => {
  h?.cleanup();
  h = undefined;
});

const quiet = () => new SimulatedProvider({ seed: 7, latencyScale: 0, questionRate: 0, commandRate: 0, rejectRate: 0 });

describe('a mission, plan to final merge', () => {
  it('runs one team: plan approval, parallel coders, reviews, merges and the final merge into main', async () => {
    h = createHarness(quiet());
    const design = saveDesign(h.ledger, [{ id: 'core', coders: 2 }]);
    const created = h.engine.create({
      designId: design.id,
      goal: 'Build a todo CLI',
      repoPath: h.repo,
      baseBranch: 'main',
      skipPlanApproval: false,
      allowedCommands: ['node --test'],
      copyFiles: [],
    });
    expect(created.state).toBe('draft');
    await h.engine.start(created.id);

    const decided = await driveToEnd(h, created.id);
    expect(decided.map((e) => e.type)).toEqual(['plan_approval', 'final_merge']);
    const detail = h.engine.get(created.id);
    expect(detail.mission.state).toBe('done');
    expect(detail.tasks.length).toBeGreaterThanOrEqual(2);
    expect(detail.tasks.every((t) => t.state === 'merged')).toBe(true);
    // Every task's files are on main now.
    const files = git(h.repo, 'ls-tree', '-r', '--name-only', 'main').split('\n');
    for (const t of detail.tasks) for (const path of t.owns) expect(files).toContain(path);
    expect(detail.mission.finalCommit).toBe(git(h.repo, 'rev-parse', 'main'));

    // The ledger has a row for every transition and every call is attributed.
    const log = h.ledger.db.prepare('SELECT kind, count(*) AS n FROM mission_log WHERE mission_id = ? GROUP BY kind').all(created.id) as { kind: string; n: number }[];
    const byKind = Object.fromEntries(log.map((r) => [r.kind, r.n]));
    expect(byKind.mission).toBeGreaterThanOrEqual(5);
    expect(byKind.task).toBeGreaterThanOrEqual(detail.tasks.length * 5);
    expect(byKind.decision).toBe(2);
    const calls = h.ledger.db.prepare('SELECT count(*) AS n, count(DISTINCT request_id) AS ids, sum(agent_id IS NULL) AS unattributed FROM calls WHERE mission_id = ?').get(created.id) as { n: number; ids: number; unattributed: number };
    expect(calls.n).toBeGreaterThan(5);
    expect(calls.ids).toBe(calls.n);
    expect(calls.unattributed).toBe(0);

    // Agent costs come from the calls ledger.
    const agents = h.engine.agents(created.id);
    const total = h.ledger.db.prepare('SELECT sum(cost_total_nano) AS c FROM calls WHERE mission_id = ?').get(created.id) as { c: number };
    expect(agents.reduce((n, a) => n + a.costNanoUsd, 0)).toBe(total.c);
    expect(agents.every((a) => a.state === 'done')).toBe(true);
    expect(h.engine.transcript(created.id, 'core-lead').length).toBeGreaterThan(3);
    expect(h.errors).toEqual([]);
  });

  it('runs two teams with questions, commands, rejections and human escalations, and merges both', async () => {
    // Every first submission is rejected: reviews see the test command's output, whose
    // timings differ run to run, so a rejection *rate* would make rework a matter of luck.
    h = createHarness(new SimulatedProvider({ seed: 3, latencyScale: 0, questionRate: 0.5, commandRate: 0.5, rejectRate: 1 }));
    const design = saveDesign(h.ledger, [
      { id: 'api', coders: 2 },
      { id: 'ui', coders: 1 },
    ]);
    const m = h.engine.create({
      designId: design.id,
      goal: 'Build a bookmarks manager',
      repoPath: h.repo,
      baseBranch: 'main',
      skipPlanApproval: true,
      allowedCommands: ['node --test'],
      copyFiles: [],
    });
    await h.engine.start(m.id);
    const decided = await driveToEnd(h, m.id, (e) => (e.type === 'question' ? { decision: 'reply', comment: 'Use your judgement.' } : { decision: 'approve' }));
    expect(decided.at(-1)?.type).toBe('final_merge');
    const detail = h.engine.get(m.id);
    expect(detail.mission.state).toBe('done');
    expect(new Set(detail.tasks.map((t) => t.teamId))).toEqual(new Set(['api', 'ui']));
    expect(detail.tasks.every((t) => t.state === 'merged')).toBe(true);
    const files = git(h.repo, 'ls-tree', '-r', '--name-only', 'main').split('\n');
    expect(detail.tasks.every((t) => t.attempts >= 1)).toBe(true);
    for (const t of detail.tasks) for (const path of t.owns) expect(files).toContain(path);
    expect(h.errors).toEqual([]);
  });
});

describe('reviewers and researchers', () => {
  it('takes reviews off the leader with a reviewer, and coders\' questions with a researcher', async () => {
    h = createHarness(new SimulatedProvider({ seed: 3, latencyScale: 0, questionRate: 1, commandRate: 0, rejectRate: 0.3 }));
    const design = saveDesign(h.ledger, [{ id: 'core', coders: 2, reviewers: 1, researchers: 1 }]);
    const m = h.engine.create({ designId: design.id, goal: 'Build a todo CLI', repoPath: h.repo, baseBranch: 'main', skipPlanApproval: true, allowedCommands: [], copyFiles: [] });
    await h.engine.start(m.id);
    await driveToEnd(h, m.id, (e) => (e.type === 'question' ? { decision: 'reply', comment: 'Keep it simple.' } : { decision: 'approve' }));
    const detail = h.engine.get(m.id);
    expect(detail.mission.state).toBe('done');
    expect(detail.tasks.every((t) => t.state === 'merged')).toBe(true);

    // Who worked on what, from the transcripts' conversation keys.
    const conversations = (agentId: string): string[] =>
      h!.ledger.db.prepare('SELECT DISTINCT conversation FROM transcript_entries WHERE agent_id = ?').pluck().all(agentId) as string[];
    const lead = conversations('core-lead');
    const reviewer = conversations('core-rev1');
    const researcher = conversations('core-res1');
    expect(reviewer.filter((c) => c.startsWith('review:')).length).toBeGreaterThanOrEqual(detail.tasks.length);
    expect(lead.filter((c) => c.startsWith('review:'))).toEqual([]);
    expect(researcher.some((c) => c.startsWith('esc:'))).toBe(true);
    // The reviewer's verdicts are its own ledger rows; its calls are billed to it.
    const reviewers = h.ledger.db.prepare("SELECT json_extract(detail_json, '$.by') AS by, count(*) AS n FROM mission_log WHERE kind = 'task' AND to_state = 'reviewed' GROUP BY by").all() as { by: string; n: number }[];
    expect(reviewers.map((r) => r.by)).toEqual(['core-rev1']);
    expect(reviewers[0]?.n).toBeGreaterThanOrEqual(detail.tasks.length);
    const billed = h.ledger.db.prepare("SELECT DISTINCT role FROM calls WHERE agent_id IN ('core-rev1', 'core-res1') ORDER BY role").pluck().all();
    expect(billed).toEqual(['researcher', 'reviewer']);
    expect(h.errors).toEqual([]);
  });
});

describe('worktrees', () => {
  it('keeps the user checkout untouched until the final merge', async () => {
    h = createHarness(quiet());
    const design = saveDesign(h.ledger, [{ id: 'core', coders: 1 }]);
    const m = h.engine.create({ designId: design.id, goal: 'Build a todo CLI', repoPath: h.repo, baseBranch: 'main', skipPlanApproval: true, allowedCommands: [], copyFiles: [] });
    await h.engine.start(m.id);
    const before = git(h.repo, 'rev-parse', 'main');
    await driveToEnd(h, m.id, (e) => (e.type === 'final_merge' ? { decision: 'deny' } : { decision: 'approve' }));
    expect(git(h.repo, 'rev-parse', 'main')).toBe(before);
    expect(h.engine.get(m.id).mission.outcome).toMatch(/declined/);
    // Declined, it is over all the same: its worktrees go, its mission branch keeps the work.
    await h.engine.branchesSettled();
    expect(existsSync(join(h.dir, 'worktrees', m.id))).toBe(false);
    expect(git(h.repo, 'rev-parse', '--verify', h.engine.get(m.id).mission.missionBranch ?? '')).toMatch(/^[0-9a-f]{40}$/);
    expect(readFileSync(join(h.repo, 'README.md'), 'utf8')).toBe('# demo\n');
  });
});

describe('crash safety', () => {
  it('comes back paused after the process dies mid-mission, and resume finishes without re-billing', async () => {
    h = createHarness(new SimulatedProvider({ seed: 5, latencyScale: 0, questionRate: 0.3, commandRate: 0, rejectRate: 0.3 }));
    const design = saveDesign(h.ledger, [{ id: 'core', coders: 2 }]);
    const m = h.engine.create({ designId: design.id, goal: 'Build a todo CLI', repoPath: h.repo, baseBranch: 'main', skipPlanApproval: true, allowedCommands: [], copyFiles: [] });
    await h.engine.start(m.id);
    const harness = h;
    // Let it get some way: at least one task merged, answering the person's questions meanwhile.
    for (;;) {
      for (const e of harness.engine.escalations(m.id, true).filter((x) => x.level === 'human' && x.type !== 'final_merge')) {
        await harness.engine.decide({ id: e.id, decision: 'approve', comment: '', alwaysAllow: false });
      }
      if (harness.engine.tasks(m.id).some((t) => t.state === 'merged')) break;
      await new Promise((r) => setTimeout(r, 2));
    }
    // The crash: the connection goes away under the running engine, no shutdown.
    h.ledger.close();
    await new Promise((r) => setTimeout(r, 300));

    h.reopen(new SimulatedProvider({ seed: 5, latencyScale: 0, questionRate: 0.3, commandRate: 0, rejectRate: 0.3 }));
    const before = h.ledger.db.prepare('SELECT max(id) AS last, count(*) AS n, sum(cost_total_nano) AS cost FROM calls').get() as { last: number; n: number; cost: number };
    const afterCrash = h.engine.get(m.id);
    expect(afterCrash.mission.state).toBe('paused');
    expect(afterCrash.agents.every((a) => ['idle', 'waiting_escalation', 'done', 'killed'].includes(a.state))).toBe(true);
    const merged = afterCrash.tasks.filter((t) => t.state === 'merged').map((t) => t.id);
    expect(merged.length).toBeGreaterThan(0);

    await h.engine.resume(m.id);
    await driveToEnd(h, m.id);
    const done = h.engine.get(m.id);
    expect(done.mission.state).toBe('done');
    expect(done.tasks.every((t) => t.state === 'merged')).toBe(true);
    // What was billed before the crash is exactly as it was, and nothing was recorded twice.
    const again = h.ledger.db.prepare('SELECT count(*) AS n, sum(cost_total_nano) AS cost FROM calls WHERE id <= ?').get(before.last) as { n: number; cost: number };
    expect(again).toEqual({ n: before.n, cost: before.cost });
    const ids = h.ledger.db.prepare('SELECT count(*) AS n, count(DISTINCT request_id) AS d FROM calls').get() as { n: number; d: number };
    expect(ids.d).toBe(ids.n);
    // Tasks merged before the crash were not redone.
    const mergedAgain = h.ledger.db.prepare("SELECT subject_id FROM mission_log WHERE kind = 'task' AND to_state = 'merged'").pluck().all() as string[];
    expect(mergedAgain.filter((id) => merged.includes(id))).toHaveLength(merged.length);
    expect(h.errors.filter((e) => !String(e.error).includes('not open'))).toEqual([]);
  });
});

describe('crash right after a call is billed', () => {
  const billedWithoutReply = (hh: Harness): number =>
    Number(
      hh.ledger.db
        .prepare(
          `SELECT (SELECT count(*) FROM calls WHERE status = 'ok' AND role != 'background')
                - (SELECT count(*) FROM transcript_entries WHERE kind = 'message' AND role = 'assistant')`,
        )
        .pluck()
        .get(),
    );

  it('finds every billed reply stored on restart, so resume never sends (and pays for) it again', async () => {
    let ok = 0;
    let crash = (): void => undefined;
    h = createHarness(quiet(), {}, {
      // The process dies the moment the 6th successful call is committed.
      onCallRecorded: (row) => {
        if (row.status === 'ok' && ++ok === 6) crash();
      },
    });
    const first = h.ledger;
    const died = new Promise<void>((resolve) => {
      crash = () => {
        first.close();
        resolve();
      };
    });
    const design = saveDesign(h.ledger, [{ id: 'core', coders: 2 }]);
    const m = h.engine.create({ designId: design.id, goal: 'Build a todo CLI', repoPath: h.repo, baseBranch: 'main', skipPlanApproval: true, allowedCommands: [], copyFiles: [] });
    await h.engine.start(m.id);
    await died;
    await new Promise((r) => setTimeout(r, 300));

    h.reopen(quiet());
    expect(h.ledger.db.prepare("SELECT count(*) FROM calls WHERE status = 'ok'").pluck().get()).toBe(6);
    expect(billedWithoutReply(h)).toBe(0);

    await h.engine.resume(m.id);
    await driveToEnd(h, m.id);
    expect(h.engine.get(m.id).mission.state).toBe('done');
    // Every successful call's reply was used: none was repeated because it went missing.
    expect(billedWithoutReply(h)).toBe(0);
  });
});

describe('context compaction', () => {
  it('summarises older turns through the cheap model, as a background call of its own', async () => {
    h = createHarness(quiet(), { contextLimit: () => 300 });
    const design = saveDesign(h.ledger, [{ id: 'core', coders: 1 }]);
    const m = h.engine.create({ designId: design.id, goal: 'Build a todo CLI', repoPath: h.repo, baseBranch: 'main', skipPlanApproval: true, allowedCommands: [], copyFiles: [] });
    await h.engine.start(m.id);
    await driveToEnd(h, m.id);
    expect(h.engine.get(m.id).mission.state).toBe('done');
    const compactions = h.ledger.db.prepare("SELECT agent_id, conversation, replaces_through_seq FROM transcript_entries WHERE kind = 'compaction'").all() as { agent_id: string }[];
    expect(compactions.length).toBeGreaterThan(0);
    const background = h.ledger.db.prepare("SELECT agent_id, model_requested FROM calls WHERE role = 'background'").all() as { agent_id: string; model_requested: string }[];
    expect(background.length).toBe(compactions.length);
    expect(background.every((c) => c.model_requested === 'claude-haiku-4-5' && c.agent_id !== null)).toBe(true);
    // The transcript keeps every original message: compaction only adds a row.
    const head = h.engine.transcript(m.id, compactions[0]?.agent_id ?? '').find((e) => e.kind === 'compaction');
    expect(String(head?.content)).toContain('[Summary of your earlier work');
  });
});

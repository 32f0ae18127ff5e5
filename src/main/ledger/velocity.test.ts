import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_MISSION_SETTINGS, type EscalationType, type MissionState, type TaskState, type TeamPhaseState } from '../../shared/mission.js';
import { AppError } from '../../shared/result.js';
import { CallsRepository } from './calls-repository.js';
import { openLedger, type Ledger } from './database.js';
import { MissionStore, type EscalationRecord, type TaskRecord } from './mission-repository.js';
import { defaultPricer } from './pricing.js';
import { taskSpend } from './task-spend.js';
import { activeMs, median, pausedIntervals, teamStatus } from './velocity.js';

/**
 * A mission scripted into a real ledger through the real repositories, with every
 * timestamp given, so each figure can be worked out by hand (the arithmetic is in the
 * comments next to what it checks).
 */

const T0 = Date.UTC(2026, 0, 15, 10, 0, 0);
const MIN = 60_000;
const at = (minute: number): string => new Date(T0 + minute * MIN).toISOString();

let ledger: Ledger | undefined;
afterEach(() => {
  ledger?.close();
  ledger = undefined;
});

class Script {
  readonly store: MissionStore;
  readonly calls: CallsRepository;
  private readonly tasks = new Map<string, TaskRecord>();
  private sort = 0;
  private seq = 0;

  constructor(
    readonly l: Ledger,
    readonly missionId: string,
  ) {
    this.store = new MissionStore(l.db);
    this.calls = new CallsRepository(l.db, defaultPricer());
  }

  /**
   * The mission's row, written directly: its columns grow with other features, and these
   * figures read only its state, plan round and end.
   */
  mission(state: MissionState, planRound: number, endedAt: string | null = null): void {
    this.l.db
      .prepare(
        `INSERT INTO missions (id, name, design_id, design_revision, design_json, goal, repo_path, base_branch, worktree_root,
                               state, settings_json, plan_round, created_at, updated_at, started_at, ended_at)
         VALUES (@id, 'Scripted', 'd1', 1, '{}', 'A goal', '/tmp/repo', 'main', '/tmp/wt', @state, @settings, @planRound, @t, @t, @t, @endedAt)
         ON CONFLICT (id) DO UPDATE SET state = excluded.state, plan_round = excluded.plan_round, ended_at = excluded.ended_at`,
      )
      .run({ id: this.missionId, state, settings: JSON.stringify(DEFAULT_MISSION_SETTINGS), planRound, t: at(-10), endedAt });
  }

  team(id: string, name: string, phaseState: TeamPhaseState): void {
    this.store.saveTeam({
      missionId: this.missionId,
      id,
      name,
      budgetNano: null,
      planState: 'submitted',
      planSummary: null,
      sortOrder: this.sort++,
      share: null,
      after: [],
      phaseState,
      startCommit: null,
      mergedCommit: null,
      delivery: null,
      priorityWeight: 1,
      paused: false,
    });
  }

  task(id: string, teamId: string, planRound: number, state: TaskState = 'ready'): void {
    const rec: TaskRecord = {
      id,
      missionId: this.missionId,
      teamId,
      planRound,
      key: id,
      title: `Task ${id}`,
      description: '',
      acceptanceCriteria: [],
      owns: [],
      dependsOn: [],
      preferredAssignee: null,
      state,
      assignee: null,
      attempts: 0,
      claims: 0,
      stalls: 0,
      feedback: null,
      submissionSummary: null,
      mergedCommit: null,
      sortOrder: this.sort++,
      createdAt: at(-5),
      updatedAt: at(-5),
    };
    this.tasks.set(id, rec);
    this.store.saveTask(rec);
  }

  /** Moves a task as the engine's saveTask does: the row, and a log row with the detail. */
  move(id: string, minute: number, to: TaskState, detail: Record<string, unknown> = {}, assignee?: string | null): void {
    const task = this.tasks.get(id)!;
    const next: TaskRecord = { ...task, state: to, updatedAt: at(minute), ...(assignee !== undefined ? { assignee } : {}) };
    this.tasks.set(id, next);
    this.store.saveTask(next);
    this.store.log({ missionId: this.missionId, at: at(minute), kind: 'task', subjectId: id, fromState: task.state, toState: to, detail });
  }

  /** A coder's whole pass: claim, work, submit. */
  work(id: string, coder: string, claim: number, submit: number): void {
    this.move(id, claim, 'claimed', { agentId: coder }, coder);
    this.move(id, claim, 'in_progress', { agentId: coder });
    this.move(id, submit, 'submitted', { commit: 'abc' });
  }

  missionMove(minute: number, from: MissionState, to: MissionState): void {
    this.store.log({ missionId: this.missionId, at: at(minute), kind: 'mission', subjectId: this.missionId, fromState: from, toState: to, detail: { reason: 'by the person' } });
  }

  escalation(e: {
    id: string;
    teamId: string | null;
    type: EscalationType;
    level?: 'leader' | 'human';
    created: number;
    decided?: number;
    cancelled?: boolean;
    agentId?: string;
    taskId?: string;
    payload?: Record<string, unknown>;
  }): void {
    const rec: EscalationRecord = {
      id: e.id,
      missionId: this.missionId,
      teamId: e.teamId,
      agentId: e.agentId ?? null,
      taskId: e.taskId ?? null,
      type: e.type,
      level: e.level ?? 'human',
      state: e.cancelled ? 'cancelled' : e.decided === undefined ? 'open' : 'resolved',
      title: `Escalation ${e.id}`,
      detail: '',
      payload: e.payload ?? {},
      toolUseId: null,
      decision: e.decided === undefined || e.cancelled ? null : 'approve',
      comment: null,
      alwaysAllow: false,
      decidedBy: e.decided === undefined || e.cancelled ? null : 'human',
      timeoutAt: null,
      createdAt: at(e.created),
      decidedAt: e.decided === undefined ? null : at(e.decided),
    };
    this.store.saveEscalation(rec);
  }

  /** A Sonnet 4.6 call: $3 per million input tokens, $15 per million output tokens. */
  call(teamId: string | null, taskId: string | null, input: number, output: number): void {
    this.seq += 1;
    const outcome = this.calls.insert({
      requestId: `req-${this.seq}`,
      missionId: this.missionId,
      teamId,
      agentId: teamId ? `${teamId}-agent` : 'director',
      taskId,
      modelRequested: 'claude-sonnet-4-6',
      startedAt: T0 + this.seq * 1_000,
      endedAt: T0 + this.seq * 1_000 + 500,
      status: 'ok',
      usage: { inputTokens: input, outputTokens: output },
    });
    expect(outcome.inserted).toBe(true);
  }
}

/**
 * Two teams. "ui" worked in phase 1 (plan round 0) and is merged into the mission
 * branch; "core" works now in plan round 1 (its round-0 plan was sent back).
 */
function scripted(): Script {
  ledger = openLedger(':memory:');
  const s = new Script(ledger, 'm-velocity');
  s.mission('running', 1);
  s.team('core', 'Core', 'active');
  s.team('ui', 'UI', 'merged');

  // core, round 1: five tasks. A round-0 task left 'ready' belongs to the plan sent back.
  for (const id of ['A', 'B', 'C', 'D', 'E']) s.task(id, 'core', 1);
  s.task('F-old', 'core', 0, 'ready');

  // A: rejected on its first review, then approved and merged at minute 22.
  s.work('A', 'c1', 0, 10);
  s.move('A', 12, 'ready', { feedback: 'tests fail' }, null);
  s.work('A', 'c1', 13, 20);
  s.move('A', 22, 'reviewed', { by: 'rev', comment: 'ok' });
  s.move('A', 22, 'merged', { commit: 'c-a' });
  // B: approved on its first review, but its merge conflicted; redone, merged at minute 31.
  s.work('B', 'c2', 2, 15);
  s.move('B', 16, 'reviewed', { by: 'rev', comment: 'ok' });
  s.move('B', 16, 'ready', { feedback: 'Your work conflicts with the team branch in a.ts' }, null);
  s.work('B', 'c2', 17, 30);
  s.move('B', 31, 'reviewed', { by: 'rev', comment: 'ok' });
  s.move('B', 31, 'merged', { commit: 'c-b' });
  // C: in progress, its coder waits on an open question (raised at minute 40): blocked.
  s.move('C', 25, 'claimed', { agentId: 'c1' }, 'c1');
  s.move('C', 25, 'in_progress', { agentId: 'c1' });
  // D: submitted at minute 45, not reviewed yet. E: still waiting.
  s.work('D', 'c2', 32, 45);
  // A move out of 'submitted' without feedback (its coder was killed) is not a review.
  s.task('G', 'core', 1);
  s.work('G', 'c3', 33, 34);
  s.move('G', 35, 'ready', { reason: 'c3 was killed' }, null);

  // core's escalations: one open, three decided after 10, 4 and 30 minutes, one cancelled.
  s.escalation({ id: 'q-open', teamId: 'core', type: 'question', created: 40, agentId: 'c1', taskId: 'C' });
  s.escalation({ id: 'q-10', teamId: 'core', type: 'permission', level: 'leader', created: 5, decided: 15, agentId: 'c2' });
  s.escalation({ id: 'q-4', teamId: 'core', type: 'question', created: 33, decided: 37, agentId: 'c2' });
  s.escalation({ id: 'q-30', teamId: 'core', type: 'stall', created: 1, decided: 31 });
  s.escalation({ id: 'q-cancelled', teamId: 'core', type: 'question', created: 2, decided: 3, cancelled: true });

  // ui, round 0: one task merged at minute 9; its merge into the mission branch conflicted,
  // and a leader of core resolved it (the escalation is core's, the conflict ui's).
  s.task('U1', 'ui', 0);
  s.work('U1', 'u1', 0, 8);
  s.move('U1', 9, 'reviewed', { by: 'ui-lead' });
  s.move('U1', 9, 'merged', { commit: 'c-u' });
  s.escalation({
    id: 'conflict-ui',
    teamId: 'core',
    type: 'merge_conflict',
    level: 'leader',
    created: 45,
    decided: 47,
    payload: { stage: 'teams', conflicts: ['a.ts'], resolution: { mergingTeam: 'ui', leaderId: 'core-lead' } },
  });

  // The mission was paused from minute 50 to 56.
  s.missionMove(50, 'running', 'paused');
  s.missionMove(56, 'paused', 'running');

  // Calls: Sonnet 4.6, $3 / M input = 3,000 nano per token, $15 / M output = 15,000 nano per token.
  s.call('core', 'A', 1_000, 100); // 3,000,000 + 1,500,000 = 4,500,000
  s.call('core', 'B', 2_000, 200); // 6,000,000 + 3,000,000 = 9,000,000
  s.call('core', null, 10_000, 0); // the leader planning: 30,000,000
  s.call('ui', 'U1', 1_000, 0); // 3,000,000
  s.call(null, null, 500, 0); // the director: 1,500,000, no team
  return s;
}

const NOW = T0 + 60 * MIN;

describe('teamStatus on a scripted mission', () => {
  it('counts the current plan by bucket, with the open blockers', () => {
    const s = scripted();
    const { teams } = teamStatus(s.l.db, s.missionId, NOW);
    expect(teams.map((t) => t.teamId)).toEqual(['core', 'ui']);
    const core = teams[0]!;
    // Round 1 has A..E and G (F-old is round 0, sent back): 6 tasks.
    // done: A, B; in review: D; blocked: C (its coder waits on q-open); waiting: E, G.
    expect(core.counts).toEqual({ assigned: 6, waiting: 2, inProgress: 0, inReview: 1, blocked: 1, done: 2 });
    // Only q-open is still open; it was raised at minute 40, so at minute 60 it is 20 minutes old.
    expect(core.blockers).toEqual([
      { escalationId: 'q-open', title: 'Escalation q-open', type: 'question', level: 'human', createdAt: at(40), ageMs: 20 * MIN },
    ]);
    expect(teams[1]!.counts).toEqual({ assigned: 1, waiting: 0, inProgress: 0, inReview: 0, blocked: 0, done: 1 });
    expect(teams[1]!.blockers).toEqual([]);
  });

  it("measures core's velocity: pace, ETA, blockers, reviews, rework, integration, cost", () => {
    const s = scripted();
    const core = teamStatus(s.l.db, s.missionId, NOW).teams[0]!;
    const v = core.velocity;
    expect(v.merged).toBe(2);
    // First claim at minute 0, work left, so it runs to now (minute 60), less the pause 50..56: 54 minutes.
    expect(v.activeMs).toBe(54 * MIN);
    // 2 merged in 54 min = 2 / 0.9 h.
    expect(v.mergedPerHour).toBeCloseTo(2 / 0.9, 10);
    // Decided: 10, 4 and 30 minutes (the cancelled one and ui's conflict do not count): median 10.
    expect(v.blockersResolved).toBe(3);
    expect(v.medianBlockerMs).toBe(10 * MIN);
    // Reviewed at least once: A (first review rejected), B (first approved) → 1 of 2.
    expect(v.firstReviewApproval).toEqual({ count: 1, of: 2 });
    // Submissions: A twice, B twice, D, G = 6; rejected by a reviewer: A once → 1 of 6.
    expect(v.rework).toEqual({ count: 1, of: 6 });
    // Merges tried: A, B's conflicting one, B again = 3, clean 2; core's team merge not tried yet.
    expect(v.integration).toEqual({ count: 2, of: 3 });
    // 4,500,000 + 9,000,000 + 30,000,000 = 43,500,000 nano; / 2 merged = 21,750,000.
    expect(v.costNanoUsd).toBe(43_500_000);
    expect(v.costPerMergedNanoUsd).toBe(21_750_000);
    // Left: C, D, E, G = 4; at 2 / 0.9 per hour that is 4 × 0.9 / 2 = 1.8 h = 108 min after minute 60.
    expect(core.eta).toEqual({ remaining: 4, finishAt: at(168), reason: null });
  });

  it("measures ui: its team merge conflicted, its pace ends at its last merge", () => {
    const s = scripted();
    const ui = teamStatus(s.l.db, s.missionId, NOW).teams[1]!;
    // Claimed at minute 0, all merged by minute 9: 9 minutes active, 1 merged → 60 / 9 per hour.
    expect(ui.velocity.activeMs).toBe(9 * MIN);
    expect(ui.velocity.mergedPerHour).toBeCloseTo(60 / 9, 10);
    // U1 merged clean; the team's merge into the mission branch conflicted → 1 of 2.
    expect(ui.velocity.integration).toEqual({ count: 1, of: 2 });
    // The conflict is ui's: raised at 45, decided at 47.
    expect(ui.velocity.medianBlockerMs).toBe(2 * MIN);
    expect(ui.velocity.firstReviewApproval).toEqual({ count: 1, of: 1 });
    expect(ui.velocity.rework).toEqual({ count: 0, of: 1 });
    expect(ui.velocity.costPerMergedNanoUsd).toBe(3_000_000);
    expect(ui.eta).toEqual({ remaining: 0, finishAt: null, reason: 'every task is merged' });
  });

  it('gives no pace or finish before anything merged, and none once the mission ended', () => {
    ledger = openLedger(':memory:');
    const s = new Script(ledger, 'm-new');
    s.mission('running', 0);
    s.team('t', 'T', 'active');
    s.task('X', 't', 0);
    s.work('X', 'c1', 0, 5);
    const t = teamStatus(s.l.db, 'm-new', NOW).teams[0]!;
    expect(t.velocity.mergedPerHour).toBeNull();
    expect(t.velocity.costPerMergedNanoUsd).toBeNull();
    expect(t.velocity.medianBlockerMs).toBeNull();
    expect(t.velocity.integration).toEqual({ count: 0, of: 0 });
    expect(t.eta).toEqual({ remaining: 1, finishAt: null, reason: 'nothing merged yet' });

    // Its one task waits on an open escalation: no finish is promised, whatever the pace.
    s.escalation({ id: 'q', teamId: 't', type: 'budget', created: 6, agentId: 'c1', taskId: 'X' });
    s.move('X', 7, 'ready', { feedback: 'redo' }, null);
    s.move('X', 8, 'claimed', { agentId: 'c1' }, 'c1');
    expect(teamStatus(s.l.db, 'm-new', NOW).teams[0]!.eta).toEqual({ remaining: 1, finishAt: null, reason: 'the task left is blocked' });

    s.mission('cancelled', 0, at(30));
    const ended = teamStatus(s.l.db, 'm-new', NOW).teams[0]!;
    expect(ended.eta.reason).toBe('the mission is cancelled');
    // Active until the mission ended at minute 30, not until now.
    expect(ended.velocity.activeMs).toBe(30 * MIN);
  });

  it('refuses an unknown mission by name', () => {
    ledger = openLedger(':memory:');
    expect(() => teamStatus(ledger!.db, 'nope', NOW)).toThrow(AppError);
    expect(() => teamStatus(ledger!.db, 'nope', NOW)).toThrow(/no mission .nope./);
  });
});

describe('taskSpend on the scripted mission', () => {
  it("sums each task's calls, dearest first, and keeps calls of no task apart", () => {
    const s = scripted();
    const spend = taskSpend(s.l.db, s.missionId);
    expect(spend.rows.slice(0, 3).map((r) => [r.taskId, r.teamName, r.calls, r.inputTokens, r.outputTokens, r.costNanoUsd])).toEqual([
      ['B', 'Core', 1, 2_000, 200, 9_000_000],
      ['A', 'Core', 1, 1_000, 100, 4_500_000],
      ['U1', 'UI', 1, 1_000, 0, 3_000_000],
    ]);
    // Every other task is listed at zero, with its title and state.
    expect(spend.rows).toHaveLength(8);
    expect(spend.rows.find((r) => r.taskId === 'D')).toMatchObject({ title: 'Task D', state: 'submitted', calls: 0, costNanoUsd: 0 });
    // The leader's planning call (30,000,000) and the director's (1,500,000).
    expect(spend.unattributed).toEqual({ calls: 2, inputTokens: 10_500, outputTokens: 0, costNanoUsd: 31_500_000 });
  });

  it('refuses an unknown mission', () => {
    ledger = openLedger(':memory:');
    expect(() => taskSpend(ledger!.db, 'nope')).toThrow(/no mission .nope./);
  });
});

describe('the pure helpers', () => {
  it('median, pauses and active time', () => {
    expect(median([])).toBeNull();
    expect(median([30, 10, 4])).toBe(10);
    expect(median([4, 10])).toBe(7);
    const gaps = pausedIntervals(
      [
        { at: 10, from: 'running', to: 'paused' },
        { at: 20, from: 'paused', to: 'running' },
        { at: 50, from: 'running', to: 'paused' },
      ],
      70,
    );
    expect(gaps).toEqual([
      [10, 20],
      [50, 70],
    ]);
    // 0..100 less 10 and 20 paused = 70; a window inside a pause is 0.
    expect(activeMs(0, 100, gaps)).toBe(70);
    expect(activeMs(12, 18, gaps)).toBe(0);
  });
});

import { FINAL_MISSION_STATES, type AgentState, type AgentView, type MissionState, type MissionSummary, type TaskState } from '../../shared/mission.js';
import type { Clock } from '../limiter/clock.js';
import {
  taskView,
  type AgentRecord,
  type EscalationRecord,
  type MissionRecord,
  type MissionStore,
  type TaskRecord,
  type TeamRecord,
} from '../ledger/mission-repository.js';
import { phaseNumbers, teamView } from './phases.js';
import { currentRounds, isCurrentTask, type RoundTeam } from '../../shared/plan-rounds.js';
import type { BudgetCapSink, EngineEventSink } from './runtime-types.js';

/**
 * The ledger-first writes of a loaded mission: each writes its ledger row (and a
 * `mission_log` row when a state changed) in one transaction, then changes memory, then
 * emits the event the UI follows. Called inside a caller's transaction they join it, so
 * a change of several rows commits as one. Escalation rows are written by
 * `escalations/`, on the same pattern.
 *
 * `AgentWrites` is the part an agent's turn loop needs; the engine benchmark's synthetic
 * agents (`src/bench/engine/synthetic-agents.ts`) write through it too, so they cost what
 * the engine's agents cost.
 */

/** The ledger, clock and event sink the writes go to. */
export interface LedgerIo {
  store: MissionStore;
  clock: Clock;
  events: EngineEventSink;
}

/** An agent as its writes see it: its row, its usage (the event's figures) and when it last did something. */
export interface WrittenAgent {
  rec: AgentRecord;
  usage: { input: number; output: number; cost: number };
  lastActivityMs: number;
}

/** What the UI sees of an agent: its ledger row and its usage so far. */
export function toAgentView(rec: AgentRecord, usage: { input: number; output: number; cost: number }): AgentView {
  return {
    missionId: rec.missionId,
    id: rec.id,
    teamId: rec.teamId,
    name: rec.name,
    role: rec.role,
    model: rec.model,
    state: rec.state,
    stateReason: rec.stateReason,
    currentTaskId: rec.currentTaskId,
    inputTokens: usage.input,
    outputTokens: usage.output,
    costNanoUsd: usage.cost,
    lastActivityAt: rec.lastActivityAt,
  };
}

/**
 * Mission summary shared by loaded runtimes and plain ledger reads. Its task counts are
 * the current plan's: each team's current round (`currentRounds`), so a plan sent back
 * is not counted and a team merged in an earlier phase still is. `teams` defaults to the
 * ledger's rows (a loaded runtime passes its own).
 */
export function missionSummary(
  store: MissionStore,
  m: MissionRecord,
  tasks: readonly TaskRecord[],
  escalations: readonly EscalationRecord[],
  teams: readonly RoundTeam[] = tasks.length > 0 ? store.teams(m.id) : [],
): MissionSummary {
  const taskCounts: Partial<Record<TaskState, number>> = {};
  const rounds = currentRounds(m.planRound, teams, tasks);
  for (const t of tasks) if (isCurrentTask(t, rounds)) taskCounts[t.state] = (taskCounts[t.state] ?? 0) + 1;
  return {
    id: m.id,
    name: m.name,
    designId: m.designId,
    goal: m.goal,
    state: m.state,
    repoPath: m.repoPath,
    baseBranch: m.baseBranch,
    budgetNanoUsd: m.budgetNano,
    spentNanoUsd: store.missionSpent(m.id),
    taskCounts,
    planRound: m.planRound,
    openEscalations: escalations.filter((e) => e.state === 'open').length,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    outcome: m.outcome,
    resultKind: m.resultKind,
  };
}

/** The writes of a mission's agents: their state (with its log row and event) and their bookkeeping. */
export class AgentWrites {
  constructor(
    protected readonly io: LedgerIo,
    private readonly missionId: string,
  ) {}

  /** The clock's now as an ISO string, for ledger rows. */
  now(): string {
    return new Date(this.io.clock.now()).toISOString();
  }

  /** Moves an agent to a state: its row, a log row when the state changed, then memory and an event. */
  setAgentState(a: WrittenAgent, state: AgentState, reason: string | null = null, patch: Partial<AgentRecord> = {}): void {
    const from = a.rec.state;
    if (from === state && a.rec.stateReason === reason && Object.keys(patch).length === 0) return;
    const at = this.now();
    const next: AgentRecord = { ...a.rec, ...patch, state, stateReason: reason, lastActivityAt: at };
    const { store } = this.io;
    store.tx(() => {
      store.saveAgent(next);
      if (from !== state) {
        store.log({
          missionId: this.missionId,
          at,
          kind: 'agent',
          subjectId: a.rec.id,
          fromState: from,
          toState: state,
          detail: reason ? { reason } : {},
        });
      }
    });
    a.rec = next;
    a.lastActivityMs = this.io.clock.now();
    this.io.events.emit('agents:changed', toAgentView(a.rec, a.usage), `${this.missionId}:${a.rec.id}`);
  }

  /** Tells the UI about an agent whose row was written directly (a coder added by the person). */
  emitAgent(a: WrittenAgent): void {
    this.io.events.emit('agents:changed', toAgentView(a.rec, a.usage), `${this.missionId}:${a.rec.id}`);
  }

  /** The stall counter alone: written on most idle turns, so only its column is. */
  setStallCounter(a: WrittenAgent, turns: number): void {
    this.io.store.setTurnsWithoutProgress(this.missionId, a.rec.id, turns);
    a.rec = { ...a.rec, turnsWithoutProgress: turns };
  }

  /** Saves an agent's row without a log row or an event (bookkeeping such as clearing `currentTaskId`). */
  saveAgentQuiet(a: WrittenAgent, patch: Partial<AgentRecord>): void {
    const next = { ...a.rec, ...patch };
    this.io.store.saveAgent(next);
    a.rec = next;
  }
}

/** What the mission's writes tell the hub that holds its indexes. */
export interface MissionWriteHooks {
  /** A task row was written: the hub's indexes follow it. */
  taskWritten(task: TaskRecord): void;
  /** The summary `missions:changed` carries (counts, open escalations). */
  summary(): MissionSummary;
  /** The mission's teams as loaded (for a team's phase, which depends on the others). */
  teams(): readonly TeamRecord[];
}

/** Every write of a loaded mission: its own row, its tasks' and its agents'. Holds the mission as last written. */
export class StateWrites extends AgentWrites {
  #mission: MissionRecord;
  private readonly budgets: BudgetCapSink | undefined;
  private readonly endedHook: ((mission: MissionRecord) => void) | undefined;

  constructor(
    io: LedgerIo & { budgets: BudgetCapSink | undefined; missionEnded?: ((mission: MissionRecord) => void) | undefined },
    mission: MissionRecord,
    private readonly hooks: MissionWriteHooks,
  ) {
    super(io, mission.id);
    this.budgets = io.budgets;
    this.endedHook = io.missionEnded;
    this.#mission = mission;
  }

  /** The mission as it is now. */
  get mission(): MissionRecord {
    return this.#mission;
  }

  setMissionState(state: MissionState, detail: Record<string, unknown> = {}, patch: Partial<MissionRecord> = {}): void {
    const from = this.#mission.state;
    const at = this.now();
    const next: MissionRecord = { ...this.#mission, ...patch, state, updatedAt: at };
    if (state === 'paused' && from !== 'paused') next.pausedFrom = from;
    if (state !== 'paused') next.pausedFrom = null;
    if ((state === 'done' || state === 'failed' || state === 'cancelled') && !next.endedAt) next.endedAt = at;
    // How it ended, told apart where the state is the same ('done': merged, declined, a pull request).
    if (state === 'failed' || state === 'cancelled') next.resultKind = state;
    else if (state === 'done') next.resultKind = patch.resultKind ?? 'merged';
    const { store } = this.io;
    store.tx(() => {
      store.saveMission(next);
      store.log({ missionId: next.id, at, kind: 'mission', subjectId: next.id, fromState: from, toState: state, detail });
    });
    this.#mission = next;
    this.emitMission();
    if (FINAL_MISSION_STATES.includes(state) && !FINAL_MISSION_STATES.includes(from)) this.endedHook?.(next);
  }

  /** A change of the mission's row that is no state change (steering's design snapshot); the caller logs why. */
  saveMissionQuiet(patch: Partial<MissionRecord>): void {
    this.#mission = { ...this.#mission, ...patch };
    this.io.store.saveMission(this.#mission);
  }

  /** A budget decision raised the mission's budget: the row, and the gateway's cap. */
  setMissionBudget(budgetNano: number): void {
    this.#mission = { ...this.#mission, budgetNano };
    this.io.store.saveMission(this.#mission);
    this.budgets?.setCap('mission', this.#mission.id, budgetNano);
  }

  /** Saves a task (and a log row when its state changed); call inside or outside a transaction. */
  saveTask(task: TaskRecord, patch: Partial<TaskRecord>, detail: Record<string, unknown> = {}): TaskRecord {
    const at = this.now();
    const next: TaskRecord = { ...task, ...patch, updatedAt: at };
    const { store } = this.io;
    store.tx(() => {
      store.saveTask(next);
      if (task.state !== next.state) {
        store.log({
          missionId: this.#mission.id,
          at,
          kind: 'task',
          subjectId: task.id,
          fromState: task.state,
          toState: next.state,
          detail,
        });
      }
    });
    this.hooks.taskWritten(next);
    this.emitTask(next);
    return next;
  }

  /** A task a leader just planned: its row and log row together, then the indexes and an event. */
  addTask(task: TaskRecord): void {
    const { store } = this.io;
    store.tx(() => {
      store.saveTask(task);
      store.log({ missionId: this.#mission.id, at: task.createdAt, kind: 'task', subjectId: task.id, fromState: null, toState: 'planned', detail: { key: task.key } });
    });
    this.hooks.taskWritten(task);
    this.emitTask(task);
  }

  /** A team's row was written (plan, phase, share, delivery, priority, pause): the mission page follows it. */
  emitTeam(team: TeamRecord): void {
    const view = teamView(team, phaseNumbers(this.hooks.teams()));
    this.io.events.emit('missions:team-changed', { missionId: this.#mission.id, ...view }, `${this.#mission.id}/${team.id}`);
  }

  /** The mission's summary changed (counts, open escalations). */
  emitMission(): void {
    this.io.events.emit('missions:changed', this.hooks.summary(), this.#mission.id);
  }

  private emitTask(t: TaskRecord): void {
    this.io.events.emit('tasks:changed', taskView(t), t.id);
  }
}

import { randomUUID } from 'node:crypto';
import type {
  AgentState,
  AgentView,
  EscalationDecision,
  EscalationType,
  MissionState,
  MissionSummary,
  TaskState,
} from '../../shared/mission.js';
import { AppError } from '../../shared/result.js';
import type { AgentSpec } from '../../shared/team.js';
import type { TimerHandle } from '../limiter/clock.js';
import type { ConversationMessage, RequestToolUseBlock } from '../llm/provider.js';
import { runAllowedCommand, runCommand, isCommandAllowed, type CommandOutcome } from '../workspace/commands.js';
import { createFileTools, type FileTools, type ToolResult } from '../workspace/file-tools.js';
import type { MissionWorkspace } from '../workspace/mission-workspace.js';
import { Conversation, renderForSummary } from './conversation.js';
import {
  escalationView,
  taskView,
  type AgentRecord,
  type EscalationRecord,
  type MissionRecord,
  type MissionStore,
  type TaskRecord,
  type TeamRecord,
} from './mission-store.js';
import { planPrompt, questionPrompt, reviewPrompt, stallPrompt, taskPrompt } from './prompts.js';
import {
  ACTIVE_TASK,
  BLOCKING,
  CONFLICT_FEEDBACK,
  done,
  errorText,
  Halt,
  TERMINAL_AGENT,
  TERMINAL_TASK,
  type AgentRt,
  type EngineContext,
  type RaiseInput,
  type TeamRt,
  type ToolOutcome,
} from './runtime-types.js';
import type { AgentHost, AgentJob, AgentRuntimeDriver } from './runtimes/agent-runtime.js';
import { BuiltInDriver } from './runtimes/built-in.js';
import { coderTools, escalationTools, planningTools, reviewTools } from './tools.js';

export type { BudgetCapSink, EngineContext, EngineEventSink, ResolvedEngineOptions } from './runtime-types.js';


type Job =
  | { kind: 'plan' }
  | { kind: 'review'; task: TaskRecord }
  | { kind: 'escalation'; esc: EscalationRecord }
  | { kind: 'task'; task: TaskRecord };

const alive = (a: AgentRt): boolean => !TERMINAL_AGENT.includes(a.rec.state);

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
 * One mission while it is loaded: its teams, agents, tasks and escalations in memory
 * (mirroring the ledger, which is written first), the agents' jobs, and the decisions
 * that move it on. Everything it does can be rebuilt from the ledger after a restart.
 */
export class MissionRuntime {
  mission: MissionRecord;
  workspace: MissionWorkspace | null = null;
  readonly teams = new Map<string, TeamRt>();
  readonly agents = new Map<string, AgentRt>();
  readonly tasks = new Map<string, TaskRecord>();
  readonly escalations = new Map<string, EscalationRecord>();
  /** Open escalations by id: what scheduling looks at, without scanning decided ones. */
  private readonly open = new Map<string, EscalationRecord>();
  /** Escalations raised by a tool call, by tool_use id: how a restarted agent finds its answer. */
  private readonly byToolUse = new Map<string, EscalationRecord>();
  /** Open escalations that block their raiser, by agent id. */
  private readonly blockers = new Map<string, EscalationRecord>();
  /** Reviews (`review:<task>`) and escalations (`esc:<id>`) being handled, by agent id. */
  private readonly claims = new Map<string, string>();
  private readonly timers = new Map<string, TimerHandle>();
  private readonly rules = new Map<string, Set<string>>();
  private integrating: Promise<void> | null = null;
  private readonly ctx: EngineContext;
  /** What the agent runtimes may touch of this mission (see `runtimes/agent-runtime.ts`). */
  private readonly host: AgentHost;
  private readonly builtIn: AgentRuntimeDriver;

  constructor(ctx: EngineContext, mission: MissionRecord) {
    this.ctx = ctx;
    this.mission = mission;
    const { store } = ctx;
    const specs = new Map<string, AgentSpec>();
    for (const team of mission.design.teams) for (const a of team.agents) specs.set(a.id, a);
    for (const rec of store.teams(mission.id)) this.teams.set(rec.id, { rec, leader: undefined, coders: [], reviewers: [], researchers: [], all: [], tasks: new Map(), round: -1 });
    const usage = new Map(store.agentUsage(mission.id).map((u) => [u.agentId, u]));
    for (const rec of store.agents(mission.id)) {
      const u = usage.get(rec.id);
      const agent: AgentRt = {
        rec,
        spec: specs.get(rec.id),
        loop: null,
        abort: null,
        conv: null,
        files: null,
        usage: { input: u?.inputTokens ?? 0, output: u?.outputTokens ?? 0, cost: u?.costNano ?? 0 },
        lastActivityMs: Date.parse(rec.lastActivityAt) || ctx.clock.now(),
      };
      this.agents.set(rec.id, agent);
      const team = this.teams.get(rec.teamId);
      if (!team) continue;
      team.all.push(agent);
      if (rec.role === 'leader') team.leader = agent;
      else if (rec.role === 'coder') team.coders.push(agent);
      else if (rec.role === 'reviewer') team.reviewers.push(agent);
      else team.researchers.push(agent);
    }
    for (const t of store.tasks(mission.id)) this.tasks.set(t.id, t);
    for (const e of store.escalations(mission.id)) {
      this.escalations.set(e.id, e);
      if (e.state === 'open') this.open.set(e.id, e);
      if (e.toolUseId) this.byToolUse.set(e.toolUseId, e);
      if (e.state === 'open' && e.agentId && BLOCKING.includes(e.type)) this.blockers.set(e.agentId, e);
    }
    for (const r of store.teamRules(mission.id)) this.ruleSet(r.teamId).add(r.command);
    this.host = this.createHost();
    this.builtIn = new BuiltInDriver(this.host);
  }

  // ---------------------------------------------------------------- views and events

  private now(): string {
    return new Date(this.ctx.clock.now()).toISOString();
  }

  agentView(a: AgentRt): AgentView {
    return toAgentView(a.rec, a.usage);
  }

  agentViews(): AgentView[] {
    return [...this.agents.values()].map((a) => this.agentView(a));
  }

  /** Re-reads an agent's spend from the calls ledger (after an abort, whose partial usage only the gateway knows). */
  refreshUsage(a: AgentRt): void {
    const u = this.ctx.store.oneAgentUsage(this.mission.id, a.rec.id);
    a.usage = { input: u.inputTokens, output: u.outputTokens, cost: u.costNano };
  }

  summary(): MissionSummary {
    return missionSummary(this.ctx.store, this.mission, [...this.tasks.values()], [...this.escalations.values()]);
  }

  private emitAgent(a: AgentRt): void {
    this.ctx.events.emit('agents:changed', this.agentView(a), `${this.mission.id}:${a.rec.id}`);
  }
  private emitTask(t: TaskRecord): void {
    this.ctx.events.emit('tasks:changed', taskView(t), t.id);
  }
  private emitEscalation(e: EscalationRecord): void {
    this.ctx.events.emit('escalations:changed', escalationView(e), e.id);
  }
  emitMission(): void {
    this.ctx.events.emit('missions:changed', this.summary(), this.mission.id);
  }

  // ------------------------------------------------------------------ state changes

  setMissionState(state: MissionState, detail: Record<string, unknown> = {}, patch: Partial<MissionRecord> = {}): void {
    const from = this.mission.state;
    const at = this.now();
    const next: MissionRecord = { ...this.mission, ...patch, state, updatedAt: at };
    if (state === 'paused' && from !== 'paused') next.pausedFrom = from;
    if (state !== 'paused') next.pausedFrom = null;
    if ((state === 'done' || state === 'failed' || state === 'cancelled') && !next.endedAt) next.endedAt = at;
    this.ctx.store.tx(() => {
      this.ctx.store.saveMission(next);
      this.ctx.store.log({ missionId: next.id, at, kind: 'mission', subjectId: next.id, fromState: from, toState: state, detail });
    });
    this.mission = next;
    this.emitMission();
  }

  private setAgentState(a: AgentRt, state: AgentState, reason: string | null = null, patch: Partial<AgentRecord> = {}): void {
    const from = a.rec.state;
    if (from === state && a.rec.stateReason === reason && Object.keys(patch).length === 0) return;
    const at = this.now();
    const next: AgentRecord = { ...a.rec, ...patch, state, stateReason: reason, lastActivityAt: at };
    this.ctx.store.tx(() => {
      this.ctx.store.saveAgent(next);
      if (from !== state) {
        this.ctx.store.log({
          missionId: this.mission.id,
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
    a.lastActivityMs = this.ctx.clock.now();
    this.emitAgent(a);
  }

  /** Saves a task (and a log row when its state changed); call inside or outside a transaction. */
  private saveTask(task: TaskRecord, patch: Partial<TaskRecord>, detail: Record<string, unknown> = {}): TaskRecord {
    const at = this.now();
    const next: TaskRecord = { ...task, ...patch, updatedAt: at };
    this.ctx.store.tx(() => {
      this.ctx.store.saveTask(next);
      if (task.state !== next.state) {
        this.ctx.store.log({
          missionId: this.mission.id,
          at,
          kind: 'task',
          subjectId: task.id,
          fromState: task.state,
          toState: next.state,
          detail,
        });
      }
    });
    this.indexTask(next);
    this.emitTask(next);
    return next;
  }

  private saveAgentQuiet(a: AgentRt, patch: Partial<AgentRecord>): void {
    const next = { ...a.rec, ...patch };
    this.ctx.store.saveAgent(next);
    a.rec = next;
  }

  /** The stall counter alone: written on most idle turns, so only its column is. */
  private setStallCounter(a: AgentRt, turns: number): void {
    this.ctx.store.setTurnsWithoutProgress(this.mission.id, a.rec.id, turns);
    a.rec = { ...a.rec, turnsWithoutProgress: turns };
  }

  // ------------------------------------------------------------------ scheduling

  /** Whether agents may work now. */
  isActive(): boolean {
    return this.ctx.store.open && (this.mission.state === 'planning' || this.mission.state === 'running');
  }

  /** Starts every job that can run now in every team. */
  kickAll(): void {
    for (const team of this.teams.values()) this.kick(team);
  }

  /** Starts the jobs that can run now in one team: O(agents + tasks of the team). */
  kick(team: TeamRt): void {
    if (!this.isActive()) return;
    for (const agent of team.all) this.maybeRun(team, agent);
    if (this.mission.state === 'running') this.checkTeamDone(team);
  }

  private maybeRun(team: TeamRt, agent: AgentRt): void {
    if (agent.loop || TERMINAL_AGENT.includes(agent.rec.state) || this.blockers.has(agent.rec.id)) return;
    let job: Job | undefined;
    try {
      job = this.nextJob(team, agent);
    } catch (error) {
      this.ctx.logError(`scheduling ${agent.rec.name}`, error);
      return;
    }
    if (!job) {
      if (agent.rec.state !== 'idle' && agent.rec.state !== 'starting') this.setAgentState(agent, 'idle');
      else if (agent.rec.state === 'starting') this.setAgentState(agent, 'idle');
      return;
    }
    const run = job;
    // A review or an escalation is taken by one agent at a time (a team may have several).
    const claim = run.kind === 'review' ? `review:${run.task.id}` : run.kind === 'escalation' ? `esc:${run.esc.id}` : null;
    if (claim) this.claims.set(claim, agent.rec.id);
    agent.loop = this.runJob(team, agent, run)
      .catch((error: unknown) => this.jobFailed(team, agent, error))
      .finally(() => {
        if (claim) this.claims.delete(claim);
        agent.loop = null;
        if (this.isActive()) this.kick(team);
        else this.settleIdle(agent);
      });
  }

  private free(claim: string): boolean {
    return !this.claims.has(claim);
  }

  /** Wakes the agents that review and answer for a team (its leader, reviewers, researchers). */
  private wakeLeads(team: TeamRt): void {
    for (const a of team.all) if (a.rec.role !== 'coder') this.maybeRun(team, a);
  }

  /** An agent whose job ended while the mission is not active waits, spending nothing. */
  private settleIdle(agent: AgentRt): void {
    if (!this.ctx.store.open || TERMINAL_AGENT.includes(agent.rec.state) || this.blockers.has(agent.rec.id)) return;
    if (agent.rec.state === 'idle') return;
    try {
      this.setAgentState(agent, 'idle', `mission ${this.mission.state}`);
    } catch (error) {
      if (this.ctx.store.open) this.ctx.logError(`agent ${agent.rec.name}`, error);
    }
  }

  private nextJob(team: TeamRt, agent: AgentRt): Job | undefined {
    const state = this.mission.state;
    const role = agent.rec.role;
    if (role === 'leader' && state === 'planning') return team.rec.planState === 'submitted' ? undefined : { kind: 'plan' };
    if (state !== 'running') return undefined;
    if (role !== 'coder') {
      // The leader delegates reviews to live reviewers and coders' questions to live
      // researchers, and keeps everything else (stalls, permissions).
      const answers = (e: EscalationRecord): boolean =>
        role === 'researcher' ? e.type === 'question' : role === 'leader' && (e.type !== 'question' || !team.researchers.some(alive));
      for (const e of this.open.values()) {
        if (e.state === 'open' && e.level === 'leader' && e.teamId === team.rec.id && this.free(`esc:${e.id}`) && answers(e)) {
          return { kind: 'escalation', esc: e };
        }
      }
      if (role === 'reviewer' || (role === 'leader' && !team.reviewers.some(alive))) {
        for (const t of this.teamTasks(team)) {
          if ((t.state === 'submitted' || t.state === 'reviewed') && this.free(`review:${t.id}`)) return { kind: 'review', task: t };
        }
      }
      return undefined;
    }
    if (agent.rec.currentTaskId) {
      const task = this.tasks.get(agent.rec.currentTaskId);
      if (task && ACTIVE_TASK.includes(task.state) && task.assignee === agent.rec.id) return { kind: 'task', task };
      if (task && (task.state === 'submitted' || task.state === 'reviewed')) return undefined; // awaiting review
      this.saveAgentQuiet(agent, { currentTaskId: null });
    }
    const task = this.claimable(team, agent);
    if (!task) return undefined;
    const claimed = this.ctx.store.tx(() => {
      const t = this.saveTask(task, { state: 'claimed', assignee: agent.rec.id, claims: task.claims + 1 }, { agentId: agent.rec.id });
      this.setAgentState(agent, 'working', null, { currentTaskId: t.id, turnsWithoutProgress: 0 });
      return t;
    });
    return { kind: 'task', task: claimed };
  }

  private indexTask(t: TaskRecord): void {
    this.tasks.set(t.id, t);
    const team = this.teams.get(t.teamId);
    if (team && team.round === t.planRound) team.tasks.set(t.id, t);
  }

  private teamTasks(team: TeamRt): TaskRecord[] {
    const round = this.mission.planRound;
    if (team.round !== round) {
      // Once per plan round per team: the only scan over the mission's tasks.
      const tasks = [...this.tasks.values()].filter((t) => t.teamId === team.rec.id && t.planRound === round);
      team.tasks = new Map(tasks.sort((a, b) => a.sortOrder - b.sortOrder).map((t) => [t.id, t]));
      team.round = round;
    }
    return [...team.tasks.values()];
  }

  private claimable(team: TeamRt, agent: AgentRt): TaskRecord | undefined {
    const tasks = this.teamTasks(team);
    const merged = new Set(tasks.filter((t) => t.state === 'merged').map((t) => t.key));
    const liveCoders = new Set(team.coders.filter((c) => !TERMINAL_AGENT.includes(c.rec.state)).map((c) => c.rec.id));
    let fallback: TaskRecord | undefined;
    for (const t of tasks) {
      if (t.state !== 'ready' || !t.dependsOn.every((k) => merged.has(k))) continue;
      const preferred = t.preferredAssignee;
      if (preferred === null || preferred === agent.rec.id) return t;
      if (!liveCoders.has(preferred)) fallback ??= t;
    }
    return fallback;
  }

  private checkTeamDone(team: TeamRt): void {
    const tasks = this.teamTasks(team);
    if (tasks.length === 0 || !tasks.every((t) => TERMINAL_TASK.includes(t.state))) {
      this.checkTeamViable(team, tasks);
      return;
    }
    for (const e of this.open.values()) if (e.teamId === team.rec.id) return;
    for (const a of team.all) {
      if (!TERMINAL_AGENT.includes(a.rec.state) && !a.loop) this.setAgentState(a, 'done', 'the team\'s work is approved', { currentTaskId: null });
    }
    this.maybeIntegrate();
  }

  /** A team with work left but nobody alive to do or review it asks the person what to do. */
  private checkTeamViable(team: TeamRt, tasks: TaskRecord[]): void {
    const unfinished = tasks.some((t) => !TERMINAL_TASK.includes(t.state));
    if (!unfinished) return;
    const leaderAlive = team.leader !== undefined && !TERMINAL_AGENT.includes(team.leader.rec.state);
    const coderAlive = team.coders.some((c) => !TERMINAL_AGENT.includes(c.rec.state));
    if (leaderAlive && coderAlive) return;
    for (const e of this.open.values()) {
      if (e.teamId === team.rec.id && e.type === 'stall' && e.payload.noAgents === true) return;
    }
    this.raise({
      type: 'stall',
      level: 'human',
      teamId: team.rec.id,
      agentId: null,
      taskId: null,
      title: `Team ${team.rec.name} has unfinished tasks and no ${leaderAlive ? 'coders' : 'leader'} left`,
      detail: 'Approve to restart the team\'s stopped agents (their worktrees were kept); deny to fail the mission.',
      payload: { noAgents: true },
    });
  }

  private maybeIntegrate(): void {
    if (this.mission.state !== 'running' || this.integrating) return;
    for (const team of this.teams.values()) {
      const tasks = this.teamTasks(team);
      if (!tasks.every((t) => TERMINAL_TASK.includes(t.state))) return;
    }
    if (this.open.size > 0) return;
    const merged = [...this.tasks.values()].some((t) => t.planRound === this.mission.planRound && t.state === 'merged');
    if (!merged) {
      this.setMissionState('failed', { reason: 'no task was merged' }, { outcome: 'no task was merged' });
      return;
    }
    this.integrate();
  }

  /** Merges the team branches into the mission branch, then asks for the final merge. */
  integrate(): void {
    if (this.integrating) return;
    this.integrating = this.doIntegrate()
      .catch((error: unknown) => {
        if (!this.ctx.store.open) return;
        this.ctx.logError('integrating the mission', error);
        this.setMissionState('failed', { reason: errorText(error) }, { outcome: `integration failed: ${errorText(error)}` });
      })
      .finally(() => {
        this.integrating = null;
      });
  }

  private async doIntegrate(): Promise<void> {
    if (this.mission.state !== 'integrating') this.setMissionState('integrating');
    const ws = this.requireWorkspace();
    const outcome = await ws.mergeTeamsIntoMission({ message: `Merge the teams of mission ${this.mission.name}` });
    if (!this.ctx.store.open || this.mission.state !== 'integrating') return;
    if (!outcome.merged) {
      this.raise({
        type: 'merge_conflict',
        level: 'human',
        teamId: outcome.teamId,
        agentId: null,
        taskId: null,
        title: `Team ${outcome.teamId} conflicts with the mission branch`,
        detail:
          `Conflicting files: ${outcome.conflicts.join(', ')}. Resolve the conflict on ${ws.missionBranch} ` +
          `(or the team branch) and approve to merge again; deny to fail the mission.`,
        payload: { stage: 'teams', conflicts: outcome.conflicts, mergedTeams: outcome.mergedTeams },
      });
      return;
    }
    this.raise({
      type: 'final_merge',
      level: 'human',
      teamId: null,
      agentId: null,
      taskId: null,
      title: `Merge mission "${this.mission.name}" into ${this.mission.baseBranch}?`,
      detail: `Every team's work is on ${ws.missionBranch} (${outcome.commit.slice(0, 12)}). Approve to merge it into ${this.mission.baseBranch}.`,
      payload: { missionBranch: ws.missionBranch, commit: outcome.commit },
    });
  }

  private async finalize(): Promise<void> {
    const ws = this.requireWorkspace();
    const outcome = await ws.finalizeIntoBase();
    if (!this.ctx.store.open) return;
    if (!outcome.merged) {
      this.raise({
        type: 'merge_conflict',
        level: 'human',
        teamId: null,
        agentId: null,
        taskId: null,
        title: `The mission conflicts with ${this.mission.baseBranch}`,
        detail: `Conflicting files: ${outcome.conflicts.join(', ')}. Resolve them and approve to merge again; deny to fail the mission.`,
        payload: { stage: 'final', conflicts: outcome.conflicts },
      });
      return;
    }
    this.setMissionState(
      'done',
      { commit: outcome.commit },
      { finalCommit: outcome.commit, outcome: `merged into ${this.mission.baseBranch} at ${outcome.commit.slice(0, 12)}` },
    );
  }

  private requireWorkspace(): MissionWorkspace {
    if (!this.workspace) throw new AppError('conflict', `mission "${this.mission.name}" has no workspace open`);
    return this.workspace;
  }

  // ------------------------------------------------------------------ jobs

  private ensureRunnable(agent: AgentRt): void {
    if (!this.ctx.store.open) throw new Halt('the ledger is closed');
    if (TERMINAL_AGENT.includes(agent.rec.state)) throw new Halt(`agent ${agent.rec.state}`);
    if (!this.isActive()) throw new Halt(`mission ${this.mission.state}`);
  }

  /**
   * The runtime that runs an agent's jobs: the one place a runtime is chosen per agent.
   * Every agent runs on the built-in loop today.
   */
  private driverFor(_agent: AgentRt): AgentRuntimeDriver {
    return this.builtIn;
  }

  /** The hub as the agent runtimes see it: live views of its state and the changes they may make. */
  private createHost(): AgentHost {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the host's getters must read the hub's current mission
    const hub = this;
    return {
      ctx: this.ctx,
      get mission() {
        return hub.mission;
      },
      now: () => this.now(),
      setAgentState: (a, state, reason, patch) => this.setAgentState(a, state, reason, patch),
      setStallCounter: (a, turns) => this.setStallCounter(a, turns),
      appendMessage: (a, conv, message, usage) => this.appendMessage(a, conv, message, usage),
      ensureRunnable: (a) => this.ensureRunnable(a),
      raise: (input) => this.raise(input),
      refreshUsage: (a) => this.refreshUsage(a),
      systemPrompt: (a, team) => this.systemPrompt(a, team),
      workdir: (job) => this.workdir(job),
      coderAllowlist: (team, a) => this.coderAllowlist(team, a),
      teamAllowlist: (team) => this.teamAllowlist(team),
      ruleSet: (teamId) => this.ruleSet(teamId),
      raisePermission: (team, a, taskId, use, command) => this.raisePermission(team, a, taskId, use, command),
      escalationForTool: (a, toolUseId) => this.escalationForTool(a, toolUseId),
    };
  }

  private workdir(job: Pick<AgentJob, 'kind' | 'team' | 'agent' | 'taskId'>): string {
    const ws = this.requireWorkspace();
    if (job.kind === 'task') return ws.coderWorktree(job.agent.rec.id);
    if (job.kind === 'review') {
      const coderId = job.taskId ? this.tasks.get(job.taskId)?.assignee : null;
      if (coderId) return ws.coderWorktree(coderId);
    }
    return ws.teamWorktree(job.team.rec.id);
  }

  private async runJob(team: TeamRt, agent: AgentRt, job: Job): Promise<void> {
    switch (job.kind) {
      case 'plan':
        return this.runPlan(team, agent);
      case 'review':
        return this.runReview(team, agent, job.task);
      case 'escalation':
        return this.runLeaderEscalation(team, agent, job.esc);
      case 'task':
        return this.runTask(team, agent, job.task);
    }
  }

  private jobFailed(team: TeamRt, agent: AgentRt, error: unknown): void {
    agent.abort = null;
    if (!this.ctx.store.open) return;
    try {
      if (error instanceof Halt) {
        // Paused or stopped between steps: the agent keeps its task and resumes it later.
        if (!TERMINAL_AGENT.includes(agent.rec.state) && !this.blockers.has(agent.rec.id) && agent.rec.state !== 'idle') {
          this.setAgentState(agent, 'idle', error.message);
        }
        return;
      }
      this.ctx.logError(`agent ${agent.rec.name}`, error);
      const reason = errorText(error);
      const task = agent.rec.currentTaskId ? this.tasks.get(agent.rec.currentTaskId) : undefined;
      this.ctx.store.tx(() => {
        if (task && ACTIVE_TASK.includes(task.state)) this.saveTask(task, { state: 'ready', assignee: null }, { reason });
        this.setAgentState(agent, 'failed', reason, { currentTaskId: task && ACTIVE_TASK.includes(task.state) ? null : agent.rec.currentTaskId });
      });
      this.kick(team);
    } catch (inner) {
      if (this.ctx.store.open) this.ctx.logError(`agent ${agent.rec.name} (while recording its failure)`, inner);
    }
  }

  private systemPrompt(agent: AgentRt, team: TeamRt): string {
    const role = agent.rec.role === 'leader' ? 'the leader' : `a ${agent.rec.role}`;
    const own = agent.spec?.systemPrompt.trim();
    return [
      `You are ${agent.rec.name}, ${role} of team ${team.rec.name} in a Control Room mission.`,
      own ? `\n${own}` : '',
    ].join('');
  }

  private openConversation(agent: AgentRt, key: string): Conversation {
    if (agent.conv?.key === key) return agent.conv;
    agent.conv = Conversation.load(this.ctx.store, this.mission.id, agent.rec.id, key);
    return agent.conv;
  }

  private appendMessage(agent: AgentRt, conv: Conversation, message: ConversationMessage, usage?: { inputTokens: number; outputTokens: number }): void {
    conv.append(this.ctx.store, { missionId: this.mission.id, agentId: agent.rec.id }, message, this.now(), usage);
  }

  private teamAllowlist(team: TeamRt): string[] {
    const out = new Set<string>(this.mission.allowedCommands);
    for (const a of team.all) for (const c of a.spec?.permissions.allowedCommands ?? []) out.add(c);
    for (const c of this.ruleSet(team.rec.id)) out.add(c);
    return [...out];
  }

  private coderAllowlist(team: TeamRt, agent: AgentRt): string[] {
    return [...new Set([...this.mission.allowedCommands, ...(agent.spec?.permissions.allowedCommands ?? []), ...this.ruleSet(team.rec.id)])];
  }

  private ruleSet(teamId: string): Set<string> {
    let set = this.rules.get(teamId);
    if (!set) {
      set = new Set();
      this.rules.set(teamId, set);
    }
    return set;
  }

  // --------------------------------------------------------------- leader: planning

  private async runPlan(team: TeamRt, agent: AgentRt): Promise<void> {
    const round = this.mission.planRound;
    if (team.rec.planState === 'pending') this.saveTeam(team, { planState: 'planning' });
    const conv = this.openConversation(agent, `plan:r${round}`);
    if (conv.messages.length === 0) {
      const feedback = [...this.escalations.values()]
        .filter((e) => e.type === 'plan_approval' && e.state === 'resolved' && e.comment)
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
        .at(-1)?.comment ?? null;
      this.appendMessage(agent, conv, {
        role: 'user',
        content: planPrompt({
          mission: this.mission,
          teamName: team.rec.name,
          coderNames: team.coders.map((c) => c.rec.name),
          otherTeams: [...this.teams.values()].filter((t) => t !== team).map((t) => t.rec.name),
          allowedCommands: this.teamAllowlist(team),
          feedback,
        }),
      });
    }
    this.setAgentState(agent, 'working');
    const end = await this.driverFor(agent).run({ kind: 'plan', team, agent, conv, tools: planningTools, taskId: null, handle: (use, input) => this.planTool(team, input, use) });
    if (end === 'stalled') this.raiseLeaderStall(team, agent, 'planning');
    if (end === 'ended') this.afterPlanSubmitted();
  }

  private planTool(team: TeamRt, input: Record<string, unknown>, use: RequestToolUseBlock): Promise<ToolOutcome> {
    const round = this.mission.planRound;
    const tasks = this.teamTasks(team);
    if (use.name === 'create_task') {
      const key = String(input.key);
      if (team.rec.planState === 'submitted') return done({ content: 'The plan is already submitted.', end: true });
      if (tasks.some((t) => t.key === key)) return done({ content: `a task with key "${key}" already exists; choose another key`, isError: true });
      let preferred: string | null = null;
      if (typeof input.assignee === 'string' && input.assignee.trim() !== '') {
        const wanted = input.assignee.trim().toLowerCase();
        const coder = team.coders.find((c) => c.rec.id.toLowerCase() === wanted || c.rec.name.toLowerCase() === wanted);
        if (!coder) {
          return done({
            content: `unknown assignee "${input.assignee}"; the team's coders are: ${team.coders.map((c) => c.rec.name).join(', ')}`,
            isError: true,
          });
        }
        preferred = coder.rec.id;
      }
      const at = this.now();
      const task: TaskRecord = {
        id: `t-${randomUUID()}`,
        missionId: this.mission.id,
        teamId: team.rec.id,
        planRound: round,
        key,
        title: String(input.title),
        description: String(input.description),
        acceptanceCriteria: input.acceptance_criteria as string[],
        owns: input.owns as string[],
        dependsOn: input.depends_on as string[],
        preferredAssignee: preferred,
        state: 'planned',
        assignee: null,
        attempts: 0,
        claims: 0,
        stalls: 0,
        feedback: null,
        submissionSummary: null,
        mergedCommit: null,
        sortOrder: tasks.length,
        createdAt: at,
        updatedAt: at,
      };
      this.ctx.store.tx(() => {
        this.ctx.store.saveTask(task);
        this.ctx.store.log({ missionId: this.mission.id, at, kind: 'task', subjectId: task.id, fromState: null, toState: 'planned', detail: { key } });
      });
      this.indexTask(task);
      this.emitTask(task);
      return done({ content: `Task "${key}" created (${tasks.length + 1} in the plan so far).`, progress: true });
    }
    // submit_plan
    if (team.rec.planState === 'submitted') return done({ content: 'The plan is already submitted.', end: true });
    const problem = planProblem(tasks);
    if (problem) return done({ content: problem, isError: true });
    this.saveTeam(team, { planState: 'submitted', planSummary: String(input.summary) });
    return done({ content: `Plan submitted with ${tasks.length} tasks.`, progress: true, end: true });
  }

  private saveTeam(team: TeamRt, patch: Partial<TeamRecord>): void {
    const next = { ...team.rec, ...patch };
    const at = this.now();
    this.ctx.store.tx(() => {
      this.ctx.store.saveTeam(next);
      if (patch.planState && patch.planState !== team.rec.planState) {
        this.ctx.store.log({
          missionId: this.mission.id,
          at,
          kind: 'note',
          subjectId: team.rec.id,
          fromState: team.rec.planState,
          toState: patch.planState,
          detail: { plan: true },
        });
      }
    });
    team.rec = next;
  }

  private afterPlanSubmitted(): void {
    if (this.mission.state !== 'planning') return;
    for (const team of this.teams.values()) if (team.rec.planState !== 'submitted') return;
    if (this.mission.skipPlanApproval) {
      this.startRunning('plan approval skipped by the mission settings');
      return;
    }
    const counts = [...this.teams.values()].map((t) => `${t.rec.name}: ${this.teamTasks(t).length} tasks`);
    this.ctx.store.tx(() => {
      this.setMissionState('awaiting_plan_approval');
      this.raise({
        type: 'plan_approval',
        level: 'human',
        teamId: null,
        agentId: null,
        taskId: null,
        title: `Approve the plan for "${this.mission.name}"?`,
        detail: `${counts.join('; ')}. Approve to start the coders, reply with a comment to have the leaders plan again, deny to cancel the mission.`,
        payload: { round: this.mission.planRound },
      });
    });
  }

  /** Planned tasks become ready and coders start. */
  startRunning(reason: string): void {
    this.ctx.store.tx(() => {
      for (const t of this.tasks.values()) {
        if (t.planRound === this.mission.planRound && t.state === 'planned') this.saveTask(t, { state: 'ready' }, { reason });
      }
      this.setMissionState('running', { reason });
    });
    this.kickAll();
  }

  private replan(comment: string): void {
    this.ctx.store.tx(() => {
      for (const t of this.tasks.values()) {
        if (t.planRound === this.mission.planRound && !TERMINAL_TASK.includes(t.state)) {
          this.saveTask(t, { state: 'cancelled' }, { reason: 'the plan was sent back' });
        }
      }
      for (const team of this.teams.values()) this.saveTeam(team, { planState: 'pending', planSummary: null });
      this.setMissionState('planning', { reason: 'the plan was sent back', comment }, { planRound: this.mission.planRound + 1 });
    });
    this.kickAll();
  }

  // ------------------------------------------------------------------ coder: a task

  private async runTask(team: TeamRt, agent: AgentRt, task: TaskRecord): Promise<void> {
    const ws = this.requireWorkspace();
    const conv = this.openConversation(agent, `task:${task.id}:c${task.claims}`);
    if (conv.messages.length === 0) {
      // A fresh claim starts from the team branch, unless it is the same coder reworking
      // its own rejected submission: then the review feedback applies to the work it has.
      // A conflict cannot be reworked in place, and another task's work must not leak in.
      const last = this.ctx.store.lastTaskConversation(this.mission.id, agent.rec.id);
      const rework =
        task.attempts > 0 && last?.startsWith(`task:${task.id}:`) === true && !(task.feedback ?? '').includes(CONFLICT_FEEDBACK);
      if (!rework) {
        this.setAgentState(agent, 'waiting_tool', 'preparing the worktree');
        await ws.resetCoderToTeam(agent.rec.id);
        this.ensureRunnable(agent);
      }
      this.appendMessage(agent, conv, {
        role: 'user',
        content: taskPrompt({ mission: this.mission, task, allowedCommands: this.coderAllowlist(team, agent) }),
      });
    }
    const current = this.tasks.get(task.id) ?? task;
    if (current.state === 'claimed') this.saveTask(current, { state: 'in_progress' }, { agentId: agent.rec.id });
    this.setAgentState(agent, 'working');
    const end = await this.driverFor(agent).run({
      kind: 'task',
      team,
      agent,
      conv,
      tools: coderTools,
      taskId: task.id,
      handle: (use, input) => this.coderTool(team, agent, task.id, use, input),
    });
    if (end === 'stalled') this.raiseCoderStall(team, agent, task.id);
  }

  private files(agent: AgentRt): FileTools {
    agent.files ??= createFileTools(this.requireWorkspace().coderWorktree(agent.rec.id), {
      writeScope: agent.spec?.permissions.writeScope ?? [],
    });
    return agent.files;
  }

  private async coderTool(
    team: TeamRt,
    agent: AgentRt,
    taskId: string,
    use: RequestToolUseBlock,
    input: Record<string, unknown>,
  ): Promise<ToolOutcome> {
    const fromFiles = (r: ToolResult, progress = false): ToolOutcome =>
      r.ok ? { content: r.output, progress } : { content: r.error, isError: true };
    switch (use.name) {
      case 'read_file': {
        const offset = typeof input.offset === 'number' && input.offset >= 1 ? input.offset : undefined;
        const limit = typeof input.limit === 'number' ? input.limit : undefined;
        return fromFiles(await this.files(agent).read_file(String(input.path), { ...(offset ? { offset } : {}), ...(limit ? { limit } : {}) }));
      }
      case 'write_file':
        return fromFiles(await this.files(agent).write_file(String(input.path), String(input.content)), true);
      case 'edit_file':
        return fromFiles(await this.files(agent).edit_file(String(input.path), String(input.old_text), String(input.new_text)), true);
      case 'list_dir':
        return fromFiles(await this.files(agent).list_dir(String(input.path ?? '.'), typeof input.depth === 'number' ? { depth: input.depth } : {}));
      case 'search':
        return fromFiles(await this.files(agent).search(String(input.pattern), typeof input.path === 'string' ? { path: input.path } : {}));
      case 'run_command':
        return this.runCommandTool(team, agent, taskId, use, String(input.command));
      case 'ask_leader':
        return this.askLeader(team, agent, taskId, use, String(input.question));
      case 'submit_task':
        return this.submitTask(agent, taskId, String(input.summary));
      default:
        return { content: `unknown tool "${use.name}"`, isError: true };
    }
  }

  private async runCommandTool(team: TeamRt, agent: AgentRt, taskId: string, use: RequestToolUseBlock, command: string): Promise<ToolOutcome> {
    const cwd = this.requireWorkspace().coderWorktree(agent.rec.id);
    const asked = this.escalationForTool(agent, use.id);
    const run = async (allowlist: readonly string[] | null): Promise<ToolOutcome> => {
      this.setAgentState(agent, 'waiting_tool', `running ${command.slice(0, 80)}`);
      const outcome: CommandOutcome = allowlist
        ? await runAllowedCommand(command, { cwd, allowlist, timeoutMs: this.ctx.options.commandTimeoutMs })
        : await runCommand(command.trim(), { cwd, timeoutMs: this.ctx.options.commandTimeoutMs });
      this.ensureRunnable(agent);
      this.setAgentState(agent, 'working');
      if (outcome.kind === 'needs_permission') return { content: 'needs permission', isError: true };
      return { content: formatCommandOutcome(command, outcome), isError: outcome.exitCode !== 0 };
    };
    if (asked) {
      if (asked.state === 'open') return { content: '', block: true };
      if (asked.decision === 'approve') return run(null);
      return {
        content: `The person did not allow \`${command}\`.${asked.comment ? ` Their comment: ${asked.comment}` : ''}`,
        isError: true,
      };
    }
    const own = this.coderAllowlist(team, agent);
    if (isCommandAllowed(command, own)) return run(own);
    this.raisePermission(team, agent, taskId, use, command);
    const decided = this.escalationForTool(agent, use.id);
    if (decided && decided.state === 'resolved' && decided.decision === 'approve') return run(null);
    return { content: '', block: true };
  }

  private raisePermission(team: TeamRt, agent: AgentRt, taskId: string | null, use: RequestToolUseBlock, command: string): EscalationRecord {
    const teamList = this.teamAllowlist(team);
    const leaderMayAllow = isCommandAllowed(command, teamList) && team.leader !== undefined && !TERMINAL_AGENT.includes(team.leader.rec.state);
    return this.raise({
      type: 'permission',
      level: leaderMayAllow ? 'leader' : 'human',
      teamId: team.rec.id,
      agentId: agent.rec.id,
      taskId,
      title: `${agent.rec.name} asks to run \`${command.slice(0, 200)}\``,
      detail: `The command is not on ${agent.rec.name}'s allowlist.`,
      payload: { command },
      toolUseId: use.id,
      // Already on the team's allowlist: the leader's policy allows it at once.
      resolveAs: leaderMayAllow ? { decision: 'approve', decidedBy: 'leader', comment: 'on the team allowlist' } : undefined,
    });
  }

  private askLeader(team: TeamRt, agent: AgentRt, taskId: string, use: RequestToolUseBlock, question: string): Promise<ToolOutcome> {
    const asked = this.escalationForTool(agent, use.id);
    if (asked) {
      if (asked.state === 'open') return done({ content: '', block: true });
      return done({ content: answerText(asked) });
    }
    const leaderAlive = team.leader !== undefined && !TERMINAL_AGENT.includes(team.leader.rec.state);
    this.raise({
      type: 'question',
      level: leaderAlive ? 'leader' : 'human',
      teamId: team.rec.id,
      agentId: agent.rec.id,
      taskId,
      title: `${agent.rec.name} asks: ${question.slice(0, 120)}`,
      detail: question,
      payload: {},
      toolUseId: use.id,
    });
    return done({ content: '', block: true });
  }

  private async submitTask(agent: AgentRt, taskId: string, summary: string): Promise<ToolOutcome> {
    const task = this.tasks.get(taskId);
    if (!task || task.state !== 'in_progress' || task.assignee !== agent.rec.id) {
      return { content: 'This task is no longer yours to submit.', end: true };
    }
    this.setAgentState(agent, 'waiting_tool', 'committing');
    const commit = await this.requireWorkspace().commitCoderWork(agent.rec.id, `${task.title}\n\n${summary}`, agent.rec.name);
    this.ensureRunnable(agent);
    this.ctx.store.tx(() => {
      this.saveTask(task, { state: 'submitted', submissionSummary: summary }, { commit });
      this.setAgentState(agent, 'idle', 'waiting for review');
    });
    const team = this.teams.get(task.teamId);
    if (team) this.wakeLeads(team);
    return { content: 'Submitted for review. Your leader will review it.', progress: true, end: true };
  }

  private escalationForTool(agent: AgentRt, toolUseId: string): EscalationRecord | undefined {
    const blocker = this.blockers.get(agent.rec.id);
    if (blocker?.toolUseId === toolUseId) return blocker;
    const e = this.byToolUse.get(toolUseId);
    return e?.agentId === agent.rec.id ? e : undefined;
  }

  // ------------------------------------------------------------ review (leader or reviewer)

  private async runReview(team: TeamRt, reviewer: AgentRt, task: TaskRecord): Promise<void> {
    const ws = this.requireWorkspace();
    const coderId = task.assignee;
    const coder = coderId ? this.agents.get(coderId) : undefined;
    if (!coderId || !coder) {
      this.saveTask(task, { state: 'ready', assignee: null }, { reason: 'the submission has no coder' });
      return;
    }
    const conv = this.openConversation(reviewer, `review:${task.id}:a${task.attempts}`);
    if (conv.messages.length === 0) {
      this.setAgentState(reviewer, 'waiting_tool', `reading ${coder.rec.name}'s diff`);
      const diff = await ws.diffCoder(coderId);
      const testCommand = this.teamAllowlist(team).find((c) => /\btest\b/.test(c) && !c.endsWith('*')) ?? null;
      let testOutput: string | null = null;
      if (testCommand) {
        const outcome = await runCommand(testCommand, { cwd: ws.coderWorktree(coderId), timeoutMs: this.ctx.options.commandTimeoutMs });
        testOutput = formatCommandOutcome(testCommand, outcome);
      }
      this.ensureRunnable(reviewer);
      this.appendMessage(reviewer, conv, {
        role: 'user',
        content: reviewPrompt({
          mission: this.mission,
          task,
          coderName: coder.rec.name,
          diff: diff.diff,
          filesChanged: diff.files.map((f) => f.path),
          testCommand,
          testOutput,
        }),
      });
    }
    this.setAgentState(reviewer, 'working');
    const end = await this.driverFor(reviewer).run({
      kind: 'review',
      team,
      agent: reviewer,
      conv,
      tools: reviewTools,
      taskId: task.id,
      handle: (use, input) => this.reviewTool(team, reviewer, task.id, use, input),
    });
    if (end === 'stalled') this.raiseLeaderStall(team, reviewer, `reviewing "${task.title}"`);
  }

  private async reviewTool(team: TeamRt, reviewer: AgentRt, taskId: string, use: RequestToolUseBlock, input: Record<string, unknown>): Promise<ToolOutcome> {
    const task = this.tasks.get(taskId);
    if (!task || (task.state !== 'submitted' && task.state !== 'reviewed')) {
      return { content: 'This submission was already decided.', end: true };
    }
    if (use.name === 'reject_submission') {
      this.rejectTask(team, task, String(input.feedback));
      return { content: 'Rejected; the task goes back to the coders with your feedback.', progress: true, end: true };
    }
    const coderId = task.assignee ?? '';
    const reviewed = task.state === 'reviewed' ? task : this.saveTask(task, { state: 'reviewed' }, { by: reviewer.rec.id, comment: String(input.comment ?? '') });
    this.setAgentState(reviewer, 'waiting_tool', 'merging');
    const outcome = await this.requireWorkspace().mergeCoderIntoTeam(coderId, {
      author: reviewer.rec.name,
      message: `${task.title} (${this.agents.get(coderId)?.rec.name ?? coderId})`,
    });
    this.ensureRunnable(reviewer);
    if (!outcome.merged) {
      this.rejectTask(team, reviewed, `${CONFLICT_FEEDBACK} in ${outcome.conflicts.join(', ')}; redo it on top of the latest team branch.`);
      return { content: `The merge conflicted (${outcome.conflicts.join(', ')}); the task goes back to the coders.`, end: true };
    }
    const coder = this.agents.get(coderId);
    this.ctx.store.tx(() => {
      this.saveTask(reviewed, { state: 'merged', mergedCommit: outcome.commit }, { commit: outcome.commit });
      if (coder && coder.rec.currentTaskId === taskId) {
        if (TERMINAL_AGENT.includes(coder.rec.state)) this.saveAgentQuiet(coder, { currentTaskId: null });
        else this.setAgentState(coder, 'idle', null, { currentTaskId: null });
      }
      this.setAgentState(reviewer, 'working');
    });
    return { content: `Merged into the team branch (${outcome.commit.slice(0, 12)}).`, progress: true, end: true };
  }

  private rejectTask(team: TeamRt, task: TaskRecord, feedback: string): void {
    const attempts = task.attempts + 1;
    const coder = task.assignee ? this.agents.get(task.assignee) : undefined;
    const dead = attempts >= this.mission.settings.maxAttempts;
    // The rework goes back to the coder who did the work, if it is still alive.
    const again = coder && !TERMINAL_AGENT.includes(coder.rec.state) ? coder.rec.id : task.preferredAssignee;
    this.ctx.store.tx(() => {
      this.saveTask(task, { state: dead ? 'dead_letter' : 'ready', attempts, feedback, assignee: null, preferredAssignee: again }, { feedback });
      if (coder && coder.rec.currentTaskId === task.id) {
        if (TERMINAL_AGENT.includes(coder.rec.state)) this.saveAgentQuiet(coder, { currentTaskId: null });
        else this.setAgentState(coder, 'idle', null, { currentTaskId: null });
      }
      if (dead) {
        this.raise({
          type: 'dead_letter',
          level: 'human',
          teamId: team.rec.id,
          agentId: null,
          taskId: task.id,
          title: `Task "${task.title}" failed ${attempts} attempts`,
          detail: `Last feedback: ${feedback}. Approve to try again (attempts reset; a reply is passed on as guidance), deny to give it up.`,
          payload: { attempts },
        });
      }
    });
  }

  // ------------------------------------------------------------------ escalations

  private async runLeaderEscalation(team: TeamRt, lead: AgentRt, esc: EscalationRecord): Promise<void> {
    const conv = this.openConversation(lead, `esc:${esc.id}`);
    const coder = esc.agentId ? this.agents.get(esc.agentId) : undefined;
    const task = esc.taskId ? this.tasks.get(esc.taskId) : undefined;
    if (conv.messages.length === 0) {
      const prompt = esc.type === 'stall' ? stallPrompt(esc, coder?.rec.name ?? '?', task) : questionPrompt(esc, coder?.rec.name ?? '?', task);
      this.appendMessage(lead, conv, { role: 'user', content: prompt });
    }
    this.setAgentState(lead, 'working');
    const handle = async (use: RequestToolUseBlock, input: Record<string, unknown>): Promise<ToolOutcome> => {
      const current = this.escalations.get(esc.id);
      if (!current || current.state !== 'open' || current.level !== 'leader') return { content: 'Already handled.', end: true };
      if (use.name === 'answer_coder') {
        await this.decide(esc.id, { decision: 'reply', comment: String(input.answer), decidedBy: 'leader' });
        return { content: 'Your answer was passed on.', progress: true, end: true };
      }
      this.escalateToHuman(current, String(input.reason), lead.rec.name);
      return { content: 'Passed to the person.', progress: true, end: true };
    };
    const end = await this.driverFor(lead).run({ kind: 'escalation', team, agent: lead, conv, tools: escalationTools, taskId: esc.taskId, handle });
    if (end === 'stalled') {
      const current = this.escalations.get(esc.id);
      if (current?.state === 'open') this.escalateToHuman(current, `${lead.rec.name} could not decide`, lead.rec.name);
    }
  }

  private escalateToHuman(esc: EscalationRecord, reason: string, by: string): void {
    const next: EscalationRecord = { ...esc, level: 'human', detail: `${esc.detail}\n\n${by} passed this on: ${reason}`, timeoutAt: this.timeoutAt(esc.type) };
    this.ctx.store.tx(() => {
      this.ctx.store.saveEscalation(next);
      this.ctx.store.log({ missionId: this.mission.id, at: this.now(), kind: 'escalation', subjectId: esc.id, fromState: 'leader', toState: 'human', detail: { reason } });
    });
    this.trackEscalation(next);
  }

  private raiseCoderStall(team: TeamRt, agent: AgentRt, taskId: string): void {
    const task = this.tasks.get(taskId);
    if (!task) return;
    const stalls = task.stalls + 1;
    const leaderAlive = team.leader !== undefined && !TERMINAL_AGENT.includes(team.leader.rec.state);
    const toLeader = stalls === 1 && leaderAlive;
    const recent = agent.conv ? renderForSummary(agent.conv.messages.slice(-6), 300) : '';
    this.ctx.store.tx(() => {
      this.saveTask(task, { stalls });
      this.raise({
        type: 'stall',
        level: toLeader ? 'leader' : 'human',
        teamId: team.rec.id,
        agentId: agent.rec.id,
        taskId,
        title: `${agent.rec.name} made no progress on "${task.title}"`,
        detail:
          `${agent.rec.turnsWithoutProgress} turns without writing a file or submitting (stall ${stalls}).` +
          (toLeader ? '' : ' Approve or reply (as guidance) to reset the task and try again; deny to give the task up.') +
          `\n\nRecent activity:\n${recent}`,
        payload: { stalls, turns: agent.rec.turnsWithoutProgress },
      });
    });
  }

  private raiseLeaderStall(team: TeamRt, agent: AgentRt, doing: string): void {
    this.raise({
      type: 'stall',
      level: 'human',
      teamId: team.rec.id,
      agentId: agent.rec.id,
      taskId: null,
      title: `${agent.rec.name} made no progress ${doing}`,
      detail: 'Approve to let it continue; deny to pause the mission.',
      payload: { leader: true },
    });
  }

  private timeoutAt(type: EscalationType): string | null {
    const rule = this.mission.settings.escalationTimeouts[type];
    return rule ? new Date(this.ctx.clock.now() + rule.afterSec * 1000).toISOString() : null;
  }

  /** Creates an escalation (optionally decided at once, e.g. by the leader's policy). */
  raise(input: RaiseInput): EscalationRecord {
    const at = this.now();
    const esc: EscalationRecord = {
      id: `e-${randomUUID()}`,
      missionId: this.mission.id,
      teamId: input.teamId,
      agentId: input.agentId,
      taskId: input.taskId,
      type: input.type,
      level: input.level,
      state: input.resolveAs ? 'resolved' : 'open',
      title: input.title,
      detail: input.detail,
      payload: input.payload,
      toolUseId: input.toolUseId ?? null,
      decision: input.resolveAs?.decision ?? null,
      comment: input.resolveAs?.comment ?? null,
      alwaysAllow: false,
      decidedBy: input.resolveAs?.decidedBy ?? null,
      timeoutAt: input.resolveAs || input.level !== 'human' ? null : this.timeoutAt(input.type),
      createdAt: at,
      decidedAt: input.resolveAs ? at : null,
    };
    const agent = input.agentId ? this.agents.get(input.agentId) : undefined;
    this.ctx.store.tx(() => {
      this.ctx.store.saveEscalation(esc);
      this.ctx.store.log({ missionId: this.mission.id, at, kind: 'escalation', subjectId: esc.id, fromState: null, toState: esc.level, detail: { type: esc.type, title: esc.title } });
      if (input.resolveAs) {
        this.ctx.store.log({
          missionId: this.mission.id,
          at,
          kind: 'decision',
          subjectId: esc.id,
          fromState: 'open',
          toState: input.resolveAs.decision,
          detail: { by: input.resolveAs.decidedBy, comment: input.resolveAs.comment },
        });
      } else if (agent && BLOCKING.includes(esc.type)) {
        this.setAgentState(agent, 'waiting_escalation', esc.id);
      }
    });
    this.trackEscalation(esc);
    if (esc.state === 'open' && esc.level === 'leader' && esc.teamId) {
      const team = this.teams.get(esc.teamId);
      if (team) this.wakeLeads(team);
    }
    return esc;
  }

  private trackEscalation(esc: EscalationRecord): void {
    this.escalations.set(esc.id, esc);
    if (esc.state === 'open') this.open.set(esc.id, esc);
    else this.open.delete(esc.id);
    if (esc.toolUseId) this.byToolUse.set(esc.toolUseId, esc);
    if (esc.agentId && BLOCKING.includes(esc.type)) {
      if (esc.state === 'open') this.blockers.set(esc.agentId, esc);
      else if (this.blockers.get(esc.agentId)?.id === esc.id) this.blockers.delete(esc.agentId);
    }
    this.armTimer(esc);
    this.emitEscalation(esc);
    this.emitMission();
  }

  /** Arms (or re-arms after a restart) the default-action timer of a human escalation. */
  armTimer(esc: EscalationRecord): void {
    const old = this.timers.get(esc.id);
    if (old !== undefined) {
      this.ctx.clock.clearTimeout(old);
      this.timers.delete(esc.id);
    }
    if (esc.state !== 'open' || esc.level !== 'human' || !esc.timeoutAt) return;
    const rule = this.mission.settings.escalationTimeouts[esc.type];
    if (!rule) return;
    const delay = Math.max(0, Date.parse(esc.timeoutAt) - this.ctx.clock.now());
    this.timers.set(
      esc.id,
      this.ctx.clock.setTimeout(() => {
        this.timers.delete(esc.id);
        this.decide(esc.id, { decision: rule.action, comment: `no answer within ${rule.afterSec} s`, decidedBy: 'timeout' }).catch(
          (error: unknown) => this.ctx.logError('an escalation timeout', error),
        );
      }, delay),
    );
  }

  /** Cancels every timer (the mission is unloaded or the engine closes). */
  dispose(): void {
    for (const handle of this.timers.values()) this.ctx.clock.clearTimeout(handle);
    this.timers.clear();
    for (const agent of this.agents.values()) agent.abort?.abort();
  }

  /**
   * Records a decision and carries it out. The decision row is written first; what
   * follows (git, restarting agents) can be redone from it after a restart.
   */
  async decide(
    id: string,
    d: { decision: EscalationDecision; comment: string; decidedBy: 'human' | 'leader' | 'timeout'; alwaysAllow?: boolean; budgetNano?: number },
  ): Promise<EscalationRecord> {
    const esc = this.escalations.get(id);
    if (!esc) throw new AppError('not_found', `no escalation "${id}" in mission "${this.mission.name}"`);
    if (esc.state !== 'open') throw new AppError('conflict', `escalation "${esc.title}" was already ${esc.state === 'resolved' ? `decided (${esc.decision})` : 'cancelled'}`);
    const at = this.now();
    const next: EscalationRecord = {
      ...esc,
      state: 'resolved',
      decision: d.decision,
      comment: d.comment.trim() === '' ? null : d.comment.trim(),
      alwaysAllow: d.alwaysAllow === true && esc.type === 'permission',
      decidedBy: d.decidedBy,
      decidedAt: at,
    };
    const team = esc.teamId ? this.teams.get(esc.teamId) : undefined;
    this.ctx.store.tx(() => {
      this.ctx.store.saveEscalation(next);
      this.ctx.store.log({ missionId: this.mission.id, at, kind: 'decision', subjectId: id, fromState: 'open', toState: d.decision, detail: { by: d.decidedBy, comment: next.comment, alwaysAllow: next.alwaysAllow } });
      if (next.alwaysAllow && team && typeof esc.payload.command === 'string') {
        this.ctx.store.addTeamRule(this.mission.id, team.rec.id, esc.payload.command, id, at);
        this.ruleSet(team.rec.id).add(esc.payload.command);
      }
      if (esc.type === 'budget' && d.budgetNano !== undefined) {
        this.mission = { ...this.mission, budgetNano: d.budgetNano };
        this.ctx.store.saveMission(this.mission);
        this.ctx.budgets?.setCap('mission', this.mission.id, d.budgetNano);
      }
    });
    this.trackEscalation(next);
    await this.applyDecision(next, team);
    return this.escalations.get(id) ?? next;
  }

  private async applyDecision(esc: EscalationRecord, team: TeamRt | undefined): Promise<void> {
    const raiser = esc.agentId ? this.agents.get(esc.agentId) : undefined;
    const guidance = esc.comment ?? '';
    switch (esc.type) {
      case 'question':
      case 'permission':
        if (raiser && raiser.rec.state === 'waiting_escalation') this.setAgentState(raiser, 'idle', 'answered');
        break;
      case 'budget':
        if (raiser && raiser.rec.state === 'waiting_escalation') this.setAgentState(raiser, 'idle', 'budget decision');
        if (esc.decision === 'deny' && (this.mission.state === 'running' || this.mission.state === 'planning')) {
          this.pause('the person denied more budget');
        }
        break;
      case 'stall':
        await this.applyStall(esc, team, raiser, guidance);
        break;
      case 'dead_letter': {
        const task = esc.taskId ? this.tasks.get(esc.taskId) : undefined;
        if (task && task.state === 'dead_letter') {
          if (esc.decision === 'deny') this.cascadeDeadLetter(task);
          else this.saveTask(task, { state: 'ready', attempts: 0, feedback: guidance || task.feedback }, { reason: 'retried by the person' });
        }
        break;
      }
      case 'plan_approval':
        if (this.mission.state !== 'awaiting_plan_approval') break;
        if (esc.decision === 'approve') this.startRunning('approved by the person');
        else if (esc.decision === 'reply') this.replan(guidance);
        else this.cancel('the person rejected the plan');
        return;
      case 'merge_conflict':
        if (esc.decision === 'deny') {
          this.setMissionState('failed', { reason: 'merge conflict not resolved' }, { outcome: `merge conflict: ${String((esc.payload.conflicts as string[] | undefined)?.join(', ') ?? '')}` });
        } else if (esc.payload.stage === 'final') {
          await this.finalize();
        } else {
          this.integrate();
        }
        return;
      case 'final_merge':
        if (esc.decision === 'approve') await this.finalize();
        else {
          this.setMissionState('done', { finalMerge: 'declined' }, {
            outcome: `final merge declined; the work stays on ${this.workspace?.missionBranch ?? 'the mission branch'}`,
          });
        }
        return;
    }
    if (team) this.kick(team);
  }

  private async applyStall(esc: EscalationRecord, team: TeamRt | undefined, raiser: AgentRt | undefined, guidance: string): Promise<void> {
    if (!team) return;
    if (esc.payload.noAgents === true) {
      if (esc.decision === 'deny') {
        this.setMissionState('failed', { reason: 'a team had no agents left' }, { outcome: `team ${team.rec.name} had no agents left` });
        return;
      }
      for (const a of team.all) if (a.rec.state === 'killed' || a.rec.state === 'failed') this.setAgentState(a, 'idle', 'restarted by the person');
      return;
    }
    if (!raiser) return;
    if (esc.payload.leader === true) {
      this.setStallCounter(raiser, 0);
      if (raiser.rec.state === 'waiting_escalation') this.setAgentState(raiser, 'idle', 'continue');
      if (esc.decision === 'deny') this.pause('the person stopped a stalled leader');
      return;
    }
    const task = esc.taskId ? this.tasks.get(esc.taskId) : undefined;
    if (!task) return;
    if (esc.decision === 'deny') {
      this.ctx.store.tx(() => {
        this.cascadeDeadLetter(this.saveTask(task, { state: 'dead_letter', assignee: null }, { reason: 'stalled; given up by the person' }));
        this.setAgentState(raiser, 'idle', null, { currentTaskId: null, turnsWithoutProgress: 0 });
      });
      return;
    }
    const text = guidance || 'You stalled on the previous attempt. Start again, keep it simple, write the files, and call submit_task.';
    await this.requireWorkspace().resetCoderToTeam(raiser.rec.id);
    if (!this.ctx.store.open) return;
    this.ctx.store.tx(() => {
      if (ACTIVE_TASK.includes(task.state)) this.saveTask(task, { state: 'ready', assignee: null, feedback: text }, { reason: 'reset after a stall' });
      if (!TERMINAL_AGENT.includes(raiser.rec.state)) this.setAgentState(raiser, 'idle', 'reset after a stall', { currentTaskId: null, turnsWithoutProgress: 0 });
    });
  }

  /** A task given up takes every task that (transitively) depends on it with it. */
  private cascadeDeadLetter(task: TaskRecord): void {
    const dead = new Set([task.key]);
    let changed = true;
    while (changed) {
      changed = false;
      for (const t of this.tasks.values()) {
        if (t.teamId !== task.teamId || t.planRound !== task.planRound || dead.has(t.key) || TERMINAL_TASK.includes(t.state)) continue;
        if (t.dependsOn.some((k) => dead.has(k)) && (t.state === 'ready' || t.state === 'planned')) {
          this.saveTask(t, { state: 'dead_letter' }, { reason: `depends on "${task.key}", which was given up` });
          dead.add(t.key);
          changed = true;
        }
      }
    }
  }

  // ------------------------------------------------------------------ lifecycle

  pause(reason: string): void {
    if (this.mission.state === 'paused') return;
    this.setMissionState('paused', { reason });
  }

  /** Kills one agent: aborts its call, returns its task to ready, keeps its worktree. */
  killAgent(agentId: string, reason: string): AgentView {
    const agent = this.agents.get(agentId);
    if (!agent) throw new AppError('not_found', `no agent "${agentId}" in mission "${this.mission.name}"`);
    if (TERMINAL_AGENT.includes(agent.rec.state)) return this.agentView(agent);
    const task = agent.rec.currentTaskId ? this.tasks.get(agent.rec.currentTaskId) : undefined;
    this.ctx.store.tx(() => {
      if (task && ACTIVE_TASK.includes(task.state)) this.saveTask(task, { state: 'ready', assignee: null }, { reason: `${agent.rec.name} was killed` });
      const keepTask = task && (task.state === 'submitted' || task.state === 'reviewed');
      this.setAgentState(agent, 'killed', reason, { currentTaskId: keepTask ? agent.rec.currentTaskId : null });
      const blocker = this.blockers.get(agentId);
      if (blocker) this.cancelEscalation(blocker, `${agent.rec.name} was killed`);
    });
    agent.abort?.abort();
    const team = this.teams.get(agent.rec.teamId);
    if (team) this.kick(team);
    return this.agentView(agent);
  }

  private cancelEscalation(esc: EscalationRecord, reason: string): void {
    const next: EscalationRecord = { ...esc, state: 'cancelled', decidedBy: 'engine', decidedAt: this.now(), comment: reason };
    this.ctx.store.saveEscalation(next);
    this.ctx.store.log({ missionId: this.mission.id, at: this.now(), kind: 'escalation', subjectId: esc.id, fromState: 'open', toState: 'cancelled', detail: { reason } });
    this.trackEscalation(next);
  }

  /** Agents the idle reaper may stop: idle, holding no task, and not needed to keep their team going. */
  reapable(agent: AgentRt, mode: 'timed_out' | 'all'): boolean {
    if (agent.rec.state !== 'idle' || agent.rec.currentTaskId || agent.loop || this.blockers.has(agent.rec.id)) return false;
    if (mode === 'timed_out') {
      const timeoutMs = (agent.spec?.idleTimeoutSec ?? this.mission.settings.idleTimeoutSec) * 1000;
      if (this.ctx.clock.now() - agent.lastActivityMs < timeoutMs) return false;
    }
    const team = this.teams.get(agent.rec.teamId);
    if (!team) return true;
    const tasks = this.teamTasks(team);
    const unfinished = tasks.some((t) => !TERMINAL_TASK.includes(t.state));
    // Leaders, reviewers and researchers are needed for every review and question until
    // their team's work is done; between submissions they are idle by design.
    if (agent.rec.role !== 'coder') return !unfinished;
    if (!unfinished) return true;
    // Work a coder could pick up now means it is not idle for lack of work.
    if (tasks.some((t) => t.state === 'ready')) return false;
    const others = team.coders.filter((c) => c !== agent && !TERMINAL_AGENT.includes(c.rec.state));
    return others.length > 0;
  }

  /** Kills agents the reaper (or the person's "kill all idle") may stop; returns their ids. */
  reap(mode: 'timed_out' | 'all'): string[] {
    const killed: string[] = [];
    for (const agent of this.agents.values()) {
      if (this.reapable(agent, mode)) {
        this.killAgent(agent.rec.id, mode === 'all' ? 'killed as idle by the person' : 'idle for too long');
        killed.push(agent.rec.id);
      }
    }
    return killed;
  }

  /** Cancels the mission: every call is aborted, every unfinished task cancelled; worktrees stay. */
  cancel(reason: string): void {
    this.ctx.store.tx(() => {
      for (const t of this.tasks.values()) if (!TERMINAL_TASK.includes(t.state) && t.state !== 'planned') this.saveTask(t, { state: 'cancelled' }, { reason });
      for (const t of this.tasks.values()) if (t.state === 'planned') this.saveTask(t, { state: 'cancelled' }, { reason });
      for (const e of [...this.open.values()]) this.cancelEscalation(e, reason);
      for (const a of this.agents.values()) if (!TERMINAL_AGENT.includes(a.rec.state)) this.setAgentState(a, 'killed', reason, { currentTaskId: null });
      this.setMissionState('cancelled', { reason }, { outcome: reason });
    });
    this.dispose();
  }

  /** Whether any agent job or merge is still running (tests wait on this). */
  busy(): boolean {
    if (this.integrating) return true;
    for (const a of this.agents.values()) if (a.loop) return true;
    return false;
  }
}

/** Mission summary shared by loaded runtimes and plain ledger reads. */
export function missionSummary(
  store: MissionStore,
  m: MissionRecord,
  tasks: readonly TaskRecord[],
  escalations: readonly EscalationRecord[],
): MissionSummary {
  const taskCounts: Partial<Record<TaskState, number>> = {};
  for (const t of tasks) if (t.planRound === m.planRound) taskCounts[t.state] = (taskCounts[t.state] ?? 0) + 1;
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
    openEscalations: escalations.filter((e) => e.state === 'open').length,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    outcome: m.outcome,
  };
}


/** Checks a team's plan before it is submitted: dependencies exist and form no cycle. */
export function planProblem(tasks: readonly TaskRecord[]): string | null {
  if (tasks.length === 0) return 'the plan has no tasks; create at least one with create_task';
  const keys = new Set(tasks.map((t) => t.key));
  for (const t of tasks) {
    const missing = t.dependsOn.filter((k) => !keys.has(k));
    if (missing.length > 0) return `task "${t.key}" depends on unknown task(s) ${missing.map((k) => `"${k}"`).join(', ')}`;
    if (t.dependsOn.includes(t.key)) return `task "${t.key}" depends on itself`;
  }
  const byKey = new Map(tasks.map((t) => [t.key, t]));
  const state = new Map<string, 1 | 2>();
  const visit = (key: string, path: string[]): string | null => {
    if (state.get(key) === 2) return null;
    if (state.get(key) === 1) return `the dependencies form a cycle: ${[...path, key].join(' -> ')}`;
    state.set(key, 1);
    for (const dep of byKey.get(key)?.dependsOn ?? []) {
      const found = visit(dep, [...path, key]);
      if (found) return found;
    }
    state.set(key, 2);
    return null;
  };
  for (const t of tasks) {
    const found = visit(t.key, []);
    if (found) return found;
  }
  return null;
}

function answerText(e: EscalationRecord): string {
  const who = e.decidedBy === 'leader' ? 'your leader' : e.decidedBy === 'timeout' ? 'nobody in time (default action)' : 'the person';
  if (e.state === 'cancelled') return `The question was withdrawn: ${e.comment ?? ''}`;
  if (e.decision === 'reply') return `Answer from ${who}: ${e.comment ?? ''}`;
  if (e.decision === 'approve') return `Approved by ${who}.${e.comment ? ` ${e.comment}` : ''}`;
  return `Declined by ${who}.${e.comment ? ` ${e.comment}` : ''} Use your best judgement.`;
}

function formatCommandOutcome(command: string, outcome: CommandOutcome & { kind: 'ran' }): string {
  const status = outcome.timedOut ? 'timed out' : outcome.exitCode === null ? `killed by ${outcome.signal ?? 'a signal'}` : `exit code ${outcome.exitCode}`;
  return `$ ${command}\n(${status}, ${Math.round(outcome.durationMs)} ms)\n${outcome.output}`;
}


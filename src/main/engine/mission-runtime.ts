import type { AgentState, AgentView, MissionState, MissionSummary, TaskState } from '../../shared/mission.js';
import { AppError } from '../../shared/result.js';
import type { AgentSpec } from '../../shared/team.js';
import type { ConversationMessage } from '../llm/provider.js';
import type { MissionWorkspace } from '../workspace/mission-workspace.js';
import { Conversation } from './conversation.js';
import { Escalations } from './escalations/escalations.js';
import { MissionIntegration } from './integration.js';
import type { MissionHost } from './mission-host.js';
import {
  escalationView,
  taskView,
  type AgentRecord,
  type EscalationRecord,
  type MissionRecord,
  type MissionStore,
  type TaskRecord,
} from '../ledger/mission-repository.js';
import { runTask } from './roles/coder.js';
import { runLeaderEscalation, runPlan } from './roles/leader.js';
import { runReview } from './roles/reviewer.js';
import {
  ACTIVE_TASK,
  alive,
  errorText,
  Halt,
  TERMINAL_AGENT,
  TERMINAL_TASK,
  type AgentRt,
  type DecisionInput,
  type EngineContext,
  type RaiseInput,
  type TeamRt,
} from './runtime-types.js';
import type { AgentJob, AgentRuntimeDriver } from './runtimes/agent-runtime.js';
import { BuiltInDriver } from './runtimes/built-in.js';
import { ClaudeCodeDriver, runsOnClaudeCode } from './runtimes/claude-code.js';
import { QueuedDriver } from './runtimes/queued.js';

export type { BudgetCapSink, EngineContext, EngineEventSink, ResolvedEngineOptions } from './runtime-types.js';


type Job =
  | { kind: 'plan' }
  | { kind: 'review'; task: TaskRecord }
  | { kind: 'escalation'; esc: EscalationRecord }
  | { kind: 'task'; task: TaskRecord };

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
 *
 * This is the hub: state, state changes, scheduling and lifecycle. What each role does
 * in its job lives in `roles/` (leader, coder, reviewer), how an agent's turns run in
 * `runtimes/` (chosen per agent by `driverFor`), escalations in `escalations.ts` and the
 * final merges in `integration.ts`; they reach the hub through `MissionHost`.
 */
export class MissionRuntime {
  mission: MissionRecord;
  workspace: MissionWorkspace | null = null;
  readonly teams = new Map<string, TeamRt>();
  readonly agents = new Map<string, AgentRt>();
  readonly tasks = new Map<string, TaskRecord>();
  readonly escalations: ReadonlyMap<string, EscalationRecord>;
  /** Reviews (`review:<task>`) and escalations (`esc:<id>`) being handled, by agent id. */
  private readonly claims = new Map<string, string>();
  private readonly rules = new Map<string, Set<string>>();
  private readonly ctx: EngineContext;
  /** What the roles, escalations, integration and agent runtimes may touch of this mission. */
  private readonly host: MissionHost;
  private readonly desk: Escalations;
  private readonly integration: MissionIntegration;
  private readonly builtIn: AgentRuntimeDriver;
  private readonly claudeCode: AgentRuntimeDriver;
  private readonly queued: AgentRuntimeDriver | null;

  constructor(ctx: EngineContext, mission: MissionRecord) {
    this.ctx = ctx;
    this.mission = mission;
    this.host = this.createHost();
    this.desk = new Escalations(this.host);
    this.escalations = this.desk.all;
    this.integration = new MissionIntegration(this.host);
    this.builtIn = new BuiltInDriver(this.host);
    this.queued = ctx.fleet ? new QueuedDriver(this.host, ctx.fleet.turns, { repoUrl: ctx.fleet.repoUrl }) : null;
    this.claudeCode = ctx.claudeCode
      ? new ClaudeCodeDriver(this.host, ctx.claudeCode)
      : {
          run: () => Promise.reject(new Error('Claude Code cannot run here: this engine was started without the Claude Code runtime')),
        };
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
    for (const e of store.escalations(mission.id)) this.desk.load(e);
    for (const r of store.teamRules(mission.id)) this.ruleSet(r.teamId).add(r.command);
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

  /** A task a leader just planned: its row and log row together, then the indexes and an event. */
  private addTask(task: TaskRecord): void {
    this.ctx.store.tx(() => {
      this.ctx.store.saveTask(task);
      this.ctx.store.log({ missionId: this.mission.id, at: task.createdAt, kind: 'task', subjectId: task.id, fromState: null, toState: 'planned', detail: { key: task.key } });
    });
    this.indexTask(task);
    this.emitTask(task);
  }

  /** A budget decision raised the mission's budget: the row, and the gateway's cap. */
  private setMissionBudget(budgetNano: number): void {
    this.mission = { ...this.mission, budgetNano };
    this.ctx.store.saveMission(this.mission);
    this.ctx.budgets?.setCap('mission', this.mission.id, budgetNano);
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
    if (agent.loop || TERMINAL_AGENT.includes(agent.rec.state) || this.desk.blocker(agent.rec.id)) return;
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
    if (!this.ctx.store.open || TERMINAL_AGENT.includes(agent.rec.state) || this.desk.blocker(agent.rec.id)) return;
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
      for (const e of this.desk.open.values()) {
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
    for (const e of this.desk.open.values()) if (e.teamId === team.rec.id) return;
    for (const a of team.all) {
      if (!TERMINAL_AGENT.includes(a.rec.state) && !a.loop) this.setAgentState(a, 'done', 'the team\'s work is approved', { currentTaskId: null });
    }
    this.integration.maybeIntegrate();
  }

  /** A team with work left but nobody alive to do or review it asks the person what to do. */
  private checkTeamViable(team: TeamRt, tasks: TaskRecord[]): void {
    const unfinished = tasks.some((t) => !TERMINAL_TASK.includes(t.state));
    if (!unfinished) return;
    const leaderAlive = team.leader !== undefined && !TERMINAL_AGENT.includes(team.leader.rec.state);
    const coderAlive = team.coders.some((c) => !TERMINAL_AGENT.includes(c.rec.state));
    if (leaderAlive && coderAlive) return;
    for (const e of this.desk.open.values()) {
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
   * The runtime that runs an agent's jobs, as its design says: the one place a runtime is
   * chosen per agent. Built-in agents' turns go to the fleet when the engine has one.
   */
  private driverFor(agent: AgentRt): AgentRuntimeDriver {
    if (runsOnClaudeCode(agent)) return this.claudeCode;
    return this.queued ?? this.builtIn;
  }

  /**
   * The hub as its modules see it: live views of its state and the changes they may
   * make. The agent runtimes get it as an `AgentHost`, the roles, escalations and
   * integration as a `MissionHost`; both stay out of the hub's public surface.
   */
  private createHost(): MissionHost {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the host's getters must read the hub's current state
    const hub = this;
    return {
      // AgentHost: what a driver needs.
      ctx: this.ctx,
      get mission() {
        return hub.mission;
      },
      now: () => this.now(),
      setAgentState: (a, state, reason, patch) => this.setAgentState(a, state, reason, patch),
      setStallCounter: (a, turns) => this.setStallCounter(a, turns),
      appendMessage: (a, conv, message, usage) => this.appendMessage(a, conv, message, usage),
      ensureRunnable: (a) => this.ensureRunnable(a),
      raise: (input) => this.desk.raise(input),
      refreshUsage: (a) => this.refreshUsage(a),
      systemPrompt: (a, team) => this.systemPrompt(a, team),
      workdir: (job) => this.workdir(job),
      coderAllowlist: (team, a) => this.coderAllowlist(team, a),
      teamAllowlist: (team) => this.teamAllowlist(team),
      ruleSet: (teamId) => this.ruleSet(teamId),
      raisePermission: (team, a, taskId, use, command) => this.desk.raisePermission(team, a, taskId, use, command),
      escalationForTool: (a, toolUseId) => this.desk.forTool(a, toolUseId),
      // MissionHost: what the roles, escalations and integration need besides.
      teams: this.teams,
      agents: this.agents,
      tasks: this.tasks,
      get escalations() {
        return hub.desk.all;
      },
      get openEscalations() {
        return hub.desk.open;
      },
      get workspace() {
        return hub.workspace;
      },
      requireWorkspace: () => this.requireWorkspace(),
      setMissionState: (state, detail, patch) => this.setMissionState(state, detail, patch),
      setMissionBudget: (budgetNano) => this.setMissionBudget(budgetNano),
      saveTask: (task, patch, detail) => this.saveTask(task, patch, detail),
      addTask: (task) => this.addTask(task),
      saveAgentQuiet: (a, patch) => this.saveAgentQuiet(a, patch),
      addRule: (teamId, command) => {
        this.ruleSet(teamId).add(command);
      },
      emitEscalation: (e) => this.emitEscalation(e),
      emitMission: () => this.emitMission(),
      teamTasks: (team) => this.teamTasks(team),
      openConversation: (a, key) => this.openConversation(a, key),
      driverFor: (a) => this.driverFor(a),
      kick: (team) => this.kick(team),
      kickAll: () => this.kickAll(),
      wakeLeads: (team) => this.wakeLeads(team),
      startRunning: (reason) => this.startRunning(reason),
      pause: (reason) => this.pause(reason),
      cancel: (reason) => this.cancel(reason),
      decide: (id, d) => this.desk.decide(id, d),
      escalateToHuman: (esc, reason, by) => this.desk.escalateToHuman(esc, reason, by),
      integrate: () => this.integration.integrate(),
      finalize: () => this.integration.finalize(),
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
        return runPlan(this.host, team, agent);
      case 'review':
        return runReview(this.host, team, agent, job.task);
      case 'escalation':
        return runLeaderEscalation(this.host, team, agent, job.esc);
      case 'task':
        return runTask(this.host, team, agent, job.task);
    }
  }

  private jobFailed(team: TeamRt, agent: AgentRt, error: unknown): void {
    agent.abort = null;
    if (!this.ctx.store.open) return;
    try {
      if (error instanceof Halt) {
        // Paused or stopped between steps: the agent keeps its task and resumes it later.
        if (!TERMINAL_AGENT.includes(agent.rec.state) && !this.desk.blocker(agent.rec.id) && agent.rec.state !== 'idle') {
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

  // ------------------------------------------------------------------ escalations

  /** Creates an escalation (optionally decided at once, e.g. by the leader's policy). */
  raise(input: RaiseInput): EscalationRecord {
    return this.desk.raise(input);
  }

  /** Arms (or re-arms after a restart) the default-action timer of a human escalation. */
  armTimer(esc: EscalationRecord): void {
    this.desk.armTimer(esc);
  }

  /**
   * Records a decision and carries it out. The decision row is written first; what
   * follows (git, restarting agents) can be redone from it after a restart.
   */
  decide(id: string, d: DecisionInput): Promise<EscalationRecord> {
    return this.desk.decide(id, d);
  }

  /** Merges the team branches into the mission branch, then asks for the final merge. */
  integrate(): void {
    this.integration.integrate();
  }

  // ------------------------------------------------------------------ lifecycle

  pause(reason: string): void {
    if (this.mission.state === 'paused') return;
    this.setMissionState('paused', { reason });
    // A built-in agent stops after its call in flight; a Claude Code session would go on
    // working on its own, so it is interrupted now (resume picks it up by its session id).
    for (const agent of this.agents.values()) if (runsOnClaudeCode(agent)) agent.abort?.abort();
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
      const blocker = this.desk.blocker(agentId);
      if (blocker) this.desk.cancel(blocker, `${agent.rec.name} was killed`);
    });
    agent.abort?.abort();
    const team = this.teams.get(agent.rec.teamId);
    if (team) this.kick(team);
    return this.agentView(agent);
  }

  /** Agents the idle reaper may stop: idle, holding no task, and not needed to keep their team going. */
  reapable(agent: AgentRt, mode: 'timed_out' | 'all'): boolean {
    if (agent.rec.state !== 'idle' || agent.rec.currentTaskId || agent.loop || this.desk.blocker(agent.rec.id)) return false;
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
      for (const e of [...this.desk.open.values()]) this.desk.cancel(e, reason);
      for (const a of this.agents.values()) if (!TERMINAL_AGENT.includes(a.rec.state)) this.setAgentState(a, 'killed', reason, { currentTaskId: null });
      this.setMissionState('cancelled', { reason }, { outcome: reason });
    });
    this.dispose();
  }

  /** Cancels every timer and aborts every call (the mission is unloaded or the engine closes). */
  dispose(): void {
    this.desk.dispose();
    for (const agent of this.agents.values()) agent.abort?.abort();
  }

  /** Whether any agent job or merge is still running (tests wait on this). */
  busy(): boolean {
    if (this.integration.running) return true;
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

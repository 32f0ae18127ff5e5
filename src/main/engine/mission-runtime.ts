import type { AgentView, MissionState, MissionSummary } from '../../shared/mission.js';
import { AppError } from '../../shared/result.js';
import type { AgentSpec } from '../../shared/team.js';
import type { ConversationMessage } from '../llm/provider.js';
import type { MissionWorkspace } from '../workspace/mission-workspace.js';
import type { MissionRecord, TaskRecord } from '../ledger/mission-repository.js';
import { Conversation } from './conversation.js';
import { awaitingBrief } from './escalations/escalations.js';
import { Decisions } from './escalations/decisions.js';
import { Escalations } from './escalations/escalations.js';
import { agentAllowlist, agentPolicy, taskOwnership, teamAllowlist, type AgentPolicy } from './escalations/permission-policy.js';
import { MissionIntegration } from './integration.js';
import { openReadyTeams } from './phase-runner.js';
import type { MissionHost } from './mission-host.js';
import { runTask } from './roles/coder.js';
import { afterPlanSubmitted, replan, runLeaderEscalation, runPlan } from './roles/leader.js';
import { runReview } from './roles/reviewer.js';
import { ACTIVE_TASK, Halt, TERMINAL_AGENT, TERMINAL_TASK, type AgentRt, type EngineContext, type TeamRt } from './runtime-types.js';
import type { AgentJob, AgentRuntimeDriver } from './runtimes/agent-runtime.js';
import { BuiltInDriver } from './runtimes/built-in.js';
import { ClaudeCodeDriver, claudeCodeSpecOf, runsOnClaudeCode } from './runtimes/claude-code.js';
import { QueuedDriver } from './runtimes/queued.js';
import { Scheduler, type Job } from './scheduling.js';
import { Steering } from './steering.js';
import { missionSummary, StateWrites, toAgentView } from './state-writes.js';
import { teamTitle } from '../../shared/team-label.js';

export type { BudgetCapSink, EngineContext, EngineEventSink, ResolvedEngineOptions } from './runtime-types.js';

/**
 * One mission while it is loaded: its teams, agents, tasks and escalations in memory
 * (mirroring the ledger, which is written first), the agents' jobs, and the decisions
 * that move it on. Everything it does can be rebuilt from the ledger after a restart.
 *
 * This is the hub: it loads the mission, holds its state and wires its parts together,
 * and owns the lifecycle (start running, pause, kill, reap, cancel). The parts: the
 * ledger-first writes (`state-writes.ts`), which job runs next (`scheduling.ts`),
 * escalations, decisions and the permission policy (`escalations/`), what each role does
 * in its job (`roles/`, reaching the hub through `MissionHost`), how an agent's turns run
 * (`runtimes/`, chosen per agent by `driverFor`) and the final merges (`integration.ts`).
 */
export class MissionRuntime {
  workspace: MissionWorkspace | null = null;
  readonly teams = new Map<string, TeamRt>();
  readonly agents = new Map<string, AgentRt>();
  readonly tasks = new Map<string, TaskRecord>();
  /** Raising escalations, their indexes and default-action timers. */
  readonly escalations: Escalations;
  /** Recording and applying decisions (`MissionEngine.decide` comes here). */
  readonly decisions: Decisions;
  /** The person's messages, team priorities and pauses, coders added and removed (`steering.ts`). */
  readonly steering: Steering;
  private readonly ctx: EngineContext;
  private readonly writes: StateWrites;
  private readonly scheduler: Scheduler;
  /** The teams' "always allow" rules, by team id. */
  private readonly rules = new Map<string, Set<string>>();
  /** What the roles, integration and agent runtimes may touch of this mission. */
  private readonly host: MissionHost;
  private readonly integration: MissionIntegration;
  private readonly builtIn: AgentRuntimeDriver;
  private readonly claudeCode: AgentRuntimeDriver;
  private readonly queued: AgentRuntimeDriver | null;

  constructor(ctx: EngineContext, mission: MissionRecord) {
    this.ctx = ctx;
    const { teams, agents, tasks } = this;
    const writes = new StateWrites(ctx, mission, {
      taskWritten: (t) => this.scheduler.indexTask(t),
      summary: () => this.summary(),
      teams: () => [...this.teams.values()].map((t) => t.rec),
    });
    this.writes = writes;
    const escalations = new Escalations({
      ctx,
      agents,
      teams,
      writes,
      wakeLeads: (team) => this.scheduler.wakeLeads(team),
      onTimeout: async (id, d) => this.decisions.apply(this.decisions.record(id, d)),
    });
    this.escalations = escalations;
    this.decisions = new Decisions({
      ctx,
      agents,
      teams,
      tasks,
      writes,
      escalations,
      workspace: () => this.workspace,
      requireWorkspace: () => this.requireWorkspace(),
      addRule: (teamId, command) => {
        this.ruleSet(teamId).add(command);
      },
      kick: (team) => this.scheduler.kick(team),
      startRunning: (reason) => this.startRunning(reason),
      replan: (comment) => replan(this.host, comment),
      pause: (reason) => this.pause(reason),
      cancel: (reason) => this.cancel(reason),
      integrate: () => this.integration.integrate(),
      finalize: () => this.integration.finalize(),
    });
    this.scheduler = new Scheduler({
      ctx,
      teams,
      tasks,
      writes,
      escalations,
      runJob: (team, agent, job) => this.runJob(team, agent, job),
      maybeIntegrate: () => this.integration.maybeIntegrate(),
      hasMessage: (a) => this.steering.hasPending(a),
      noJobRunning: () => this.checkProgress(),
    });
    this.host = this.createHost();
    this.steering = new Steering({
      ctx,
      teams,
      agents,
      writes,
      blocker: (agentId) => escalations.blocker(agentId),
      workspace: () => this.workspace,
      setWorkspace: (workspace) => {
        this.workspace = workspace;
      },
      kick: (team) => this.scheduler.kick(team),
      appendMessage: (a, conv, message, usage) => this.appendMessage(a, conv, message, usage),
      teamTasks: (team) => this.scheduler.teamTasks(team),
    });
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
    for (const rec of store.teams(mission.id)) teams.set(rec.id, { rec, leader: undefined, coders: [], reviewers: [], researchers: [], all: [], tasks: new Map(), round: -1 });
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
      agents.set(rec.id, agent);
      const team = teams.get(rec.teamId);
      if (!team) continue;
      team.all.push(agent);
      if (rec.role === 'leader') team.leader = agent;
      else if (rec.role === 'coder') team.coders.push(agent);
      else if (rec.role === 'reviewer') team.reviewers.push(agent);
      else team.researchers.push(agent);
    }
    for (const t of store.tasks(mission.id)) tasks.set(t.id, t);
    for (const e of store.escalations(mission.id)) escalations.load(e);
    for (const r of store.teamRules(mission.id)) this.ruleSet(r.teamId).add(r.command);
  }

  // ---------------------------------------------------------------- state and views

  /** The mission as it is now (its row as last written). */
  get mission(): MissionRecord {
    return this.writes.mission;
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
    const teams = [...this.teams.values()].map((t) => t.rec);
    return missionSummary(this.ctx.store, this.mission, [...this.tasks.values()], [...this.escalations.all.values()], teams);
  }

  setMissionState(state: MissionState, detail: Record<string, unknown> = {}, patch: Partial<MissionRecord> = {}): void {
    this.writes.setMissionState(state, detail, patch);
  }

  // ------------------------------------------------------------------ permissions

  /** Every command anyone in the team may run (what its leader may allow at once). */
  private teamAllowlist(team: TeamRt): string[] {
    return teamAllowlist(this.mission, team, this.ruleSet(team.rec.id));
  }

  /** The commands a coder may run without asking. */
  private coderAllowlist(team: TeamRt, agent: AgentRt): string[] {
    return agentAllowlist(this.mission, agent, this.ruleSet(team.rec.id));
  }

  private ruleSet(teamId: string): Set<string> {
    let set = this.rules.get(teamId);
    if (!set) {
      set = new Set();
      this.rules.set(teamId, set);
    }
    return set;
  }

  private policyFor(job: Pick<AgentJob, 'kind' | 'team' | 'agent'>, root: string): AgentPolicy {
    const { team, agent } = job;
    // A coder's writes are held to the paths its current task owns.
    const task = job.kind === 'task' && agent.rec.currentTaskId ? this.tasks.get(agent.rec.currentTaskId) : undefined;
    const teamName = (id: string): string => this.teams.get(id)?.rec.name ?? id;
    return agentPolicy({
      mission: this.mission,
      team,
      agent,
      rules: this.ruleSet(team.rec.id),
      root,
      mayWrite: job.kind === 'task',
      claudeCode: runsOnClaudeCode(agent) ? claudeCodeSpecOf(agent) : null,
      ownership: task ? taskOwnership({ mission: this.mission, task, tasks: this.tasks.values(), teamName }) : null,
    });
  }

  // ------------------------------------------------------------------ jobs

  /** Starts every job that can run now in every team. */
  kickAll(): void {
    this.scheduler.kickAll();
  }

  /** Merges the active teams into the mission branch, then starts the next phase or asks for the final merge. */
  integrate(): void {
    this.integration.integrate();
  }

  /**
   * Starts the teams that may plan now (their `after` teams are merged) from the mission
   * branch and marks the others waiting; see `phase-runner.ts`. Answers the teams started.
   */
  openReadyTeams(reason: string): Promise<TeamRt[]> {
    return openReadyTeams(this.host, reason);
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
      case 'message':
        return this.steering.runMessageJob(this.host, team, agent);
    }
  }

  private ensureRunnable(agent: AgentRt): void {
    if (!this.ctx.store.open) throw new Halt('the ledger is closed');
    if (TERMINAL_AGENT.includes(agent.rec.state)) throw new Halt(`agent ${agent.rec.state}`);
    if (this.teams.get(agent.rec.teamId)?.rec.paused) throw new Halt('team paused');
    if (!this.scheduler.isActive()) throw new Halt(`mission ${this.mission.state}`);
  }

  /**
   * The runtime that runs an agent's jobs, as its design says: the one place a runtime is
   * chosen per agent. Built-in agents' turns go to the fleet when the engine has one.
   */
  private driverFor(agent: AgentRt): AgentRuntimeDriver {
    if (runsOnClaudeCode(agent)) return this.claudeCode;
    return this.queued ?? this.builtIn;
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

  private requireWorkspace(): MissionWorkspace {
    if (!this.workspace) throw new AppError('conflict', `mission "${this.mission.name}" has no workspace open`);
    return this.workspace;
  }

  private systemPrompt(agent: AgentRt, team: TeamRt): string {
    const role = agent.rec.role === 'leader' ? 'the leader' : `a ${agent.rec.role}`;
    const own = agent.spec?.systemPrompt.trim();
    return [
      `You are ${agent.rec.name}, ${role} of ${teamTitle(team.rec.name)} in a Control Room mission.`,
      own ? `\n${own}` : '',
    ].join('');
  }

  private openConversation(agent: AgentRt, key: string): Conversation {
    if (agent.conv?.key === key) return agent.conv;
    agent.conv = Conversation.load(this.ctx.store, this.mission.id, agent.rec.id, key);
    return agent.conv;
  }

  private appendMessage(agent: AgentRt, conv: Conversation, message: ConversationMessage, usage?: { inputTokens: number; outputTokens: number }): void {
    conv.append(this.ctx.store, { missionId: this.mission.id, agentId: agent.rec.id }, message, this.writes.now(), usage);
  }

  /**
   * The hub as the roles, integration and agent runtimes see it: live views of its state
   * and the changes they may make (the runtimes get it as an `AgentHost`). It stays out
   * of the hub's public surface.
   */
  private createHost(): MissionHost {
    const { writes, escalations, scheduler } = this;
    return {
      // AgentHost: what a driver needs.
      ctx: this.ctx,
      get mission() {
        return writes.mission;
      },
      now: () => writes.now(),
      setAgentState: (a, state, reason, patch) => writes.setAgentState(a, state, reason, patch),
      setStallCounter: (a, turns) => writes.setStallCounter(a, turns),
      emitTeam: (team) => writes.emitTeam(team),
      appendMessage: (a, conv, message, usage) => this.appendMessage(a, conv, message, usage),
      ensureRunnable: (a) => this.ensureRunnable(a),
      raise: (input) => escalations.raise(input),
      refreshUsage: (a) => this.refreshUsage(a),
      systemPrompt: (a, team) => this.systemPrompt(a, team),
      workdir: (job) => this.workdir(job),
      coderAllowlist: (team, a) => this.coderAllowlist(team, a),
      teamAllowlist: (team) => this.teamAllowlist(team),
      policyFor: (job, root) => this.policyFor(job, root),
      raisePermission: (team, a, taskId, use, ask) => escalations.raisePermission(team, a, taskId, use, ask),
      escalationForTool: (a, toolUseId) => escalations.forTool(a, toolUseId),
      requireWorkspace: () => this.requireWorkspace(),
      deliverMessages: (a, conv) => {
        this.steering.deliver(a, conv);
      },
      withMessages: (a, conv, prompt) => this.steering.withMessages(a, conv, prompt),
      // MissionHost: what the roles and integration need besides.
      teams: this.teams,
      agents: this.agents,
      tasks: this.tasks,
      escalations,
      decisions: this.decisions,
      setMissionState: (state, detail, patch) => writes.setMissionState(state, detail, patch),
      saveTask: (task, patch, detail) => writes.saveTask(task, patch, detail),
      addTask: (task) => writes.addTask(task),
      saveAgentQuiet: (a, patch) => writes.saveAgentQuiet(a, patch),
      teamTasks: (team) => scheduler.teamTasks(team),
      openConversation: (a, key) => this.openConversation(a, key),
      driverFor: (a) => this.driverFor(a),
      kickAll: () => scheduler.kickAll(),
      wakeLeads: (team) => scheduler.wakeLeads(team),
      startRunning: (reason) => this.startRunning(reason),
    };
  }

  // ------------------------------------------------------------------ lifecycle

  /** Planned tasks become ready and coders start. */
  startRunning(reason: string): void {
    this.ctx.store.tx(() => {
      for (const t of this.tasks.values()) {
        if (t.planRound === this.mission.planRound && t.state === 'planned') this.writes.saveTask(t, { state: 'ready' }, { reason });
      }
      this.writes.setMissionState('running', { reason });
    });
    this.scheduler.kickAll();
  }

  pause(reason: string): void {
    if (this.mission.state === 'paused') return;
    this.writes.setMissionState('paused', { reason });
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
      if (task && ACTIVE_TASK.includes(task.state)) this.writes.saveTask(task, { state: 'ready', assignee: null }, { reason: `${agent.rec.name} was killed` });
      const keepTask = task && (task.state === 'submitted' || task.state === 'reviewed');
      this.writes.setAgentState(agent, 'killed', reason, { currentTaskId: keepTask ? agent.rec.currentTaskId : null });
      const blocker = this.escalations.blocker(agentId);
      if (blocker) this.escalations.cancel(blocker, `${agent.rec.name} was killed`);
    });
    agent.abort?.abort();
    const team = this.teams.get(agent.rec.teamId);
    if (team) this.scheduler.kick(team);
    return this.agentView(agent);
  }

  /**
   * What an agent with nothing to do is waiting for, or null when it is simply idle. The
   * one rule of "waiting is not idleness": whenever the mission, not the agent, is the one
   * waiting, the agent has work to come and the idle reaper leaves it alone. That is:
   * its own escalation is open; the person paused its team; its team waits for the teams
   * it starts after; a plan is being written, re-written after "Ask for changes", or waits
   * for the person's approval (the director's draft comes before any plan); or a stall or
   * a dead letter of its team is open, whose answer may hand the team's work back.
   */
  waitingFor(agent: AgentRt): string | null {
    const team = this.teams.get(agent.rec.teamId);
    if (this.escalations.blocker(agent.rec.id)) return 'an answer to its escalation';
    if (team?.rec.paused) return 'its team to be resumed';
    if (team?.rec.phaseState === 'waiting') return 'the teams its team starts after';
    if (awaitingBrief(this.escalations)) return "the person's answer to the director's draft";
    const state = this.mission.state;
    if (state === 'planning') return 'the plan';
    if (state === 'awaiting_plan_approval') return "the person's approval of the plan";
    for (const e of this.escalations.open.values()) {
      if ((e.type === 'stall' || e.type === 'dead_letter') && (e.teamId === null || e.teamId === agent.rec.teamId)) return 'a decision on its team\'s work';
    }
    return null;
  }

  /** Agents the idle reaper may stop: idle, holding no task, waiting for nothing, and not needed to keep their team going. */
  reapable(agent: AgentRt, mode: 'timed_out' | 'all'): boolean {
    if (agent.rec.state !== 'idle' || agent.rec.currentTaskId || agent.loop) return false;
    if (this.waitingFor(agent) !== null) {
      // Time spent waiting is not idle time: the timeout counts from the end of the wait.
      agent.lastActivityMs = this.ctx.clock.now();
      return false;
    }
    if (mode === 'timed_out') {
      const timeoutMs = (agent.spec?.idleTimeoutSec ?? this.mission.settings.idleTimeoutSec) * 1000;
      if (this.ctx.clock.now() - agent.lastActivityMs < timeoutMs) return false;
    }
    const team = this.teams.get(agent.rec.teamId);
    if (!team) return true;
    const tasks = this.scheduler.teamTasks(team);
    const unfinished = tasks.some((t) => !TERMINAL_TASK.includes(t.state));
    // Leaders, reviewers and researchers are needed for every review and question until
    // their team's work is done; between submissions they are idle by design.
    if (agent.rec.role !== 'coder') return !unfinished;
    if (!unfinished) return true;
    // Work a coder could pick up (now or once its dependencies merge) means it is not idle for lack of work.
    if (tasks.some((t) => t.state === 'ready' || t.state === 'planned')) return false;
    const others = team.coders.filter((c) => c !== agent && !TERMINAL_AGENT.includes(c.rec.state));
    return others.length > 0;
  }

  /**
   * The mission's liveness, checked when no job runs and none can start (`scheduling.ts`).
   * A planning or running mission moves on only through an agent's job, a merge, or the
   * person; when none is coming (no agent can act, no merge runs, nothing waits for the
   * person, no team is paused by them) it would wait forever. Then a plan every team has
   * submitted but nobody was asked about (a restart between the two) is put to the person;
   * anything else is said once, as an Inbox item with the reason and the choices: approve
   * restarts the stopped agents of the working teams so they try again, deny fails the mission.
   */
  private checkProgress(): void {
    const state = this.mission.state;
    if (!this.ctx.store.open || (state !== 'planning' && state !== 'running') || this.integration.running) return;
    for (const e of this.escalations.open.values()) if (e.level === 'human') return;
    for (const team of this.teams.values()) if (team.rec.paused) return;
    for (const a of this.agents.values()) if (a.loop) return;
    const active = [...this.teams.values()].filter((t) => t.rec.phaseState === 'active');
    if (state === 'planning' && active.length > 0 && active.every((t) => t.rec.planState === 'submitted')) {
      afterPlanSubmitted(this.host);
      if (this.mission.state !== 'planning') return;
    }
    const stopped = active.flatMap((t) => t.all).filter((a) => a.rec.state === 'failed' || a.rec.state === 'killed');
    const cut = (text: string): string => (text.length > 300 ? `${text.slice(0, 299)}…` : text);
    const reason =
      stopped.length > 0
        ? stopped.map((a) => `${a.rec.name} ${a.rec.state}${a.rec.stateReason ? ` (${cut(a.rec.stateReason)})` : ''}`).join('; ')
        : `no agent has anything to do while the mission is ${state}`;
    const names = stopped.map((a) => a.rec.name).join(', ');
    this.escalations.raise({
      type: 'stall',
      level: 'human',
      teamId: null,
      agentId: null,
      taskId: null,
      title: `"${this.mission.name}" cannot go on: no agent can act`,
      detail:
        `No agent can act and nothing waits for you: ${reason}. ` +
        (stopped.length > 0
          ? `Approve to restart ${names} (their worktrees were kept) so they try again; deny to fail the mission.`
          : 'Approve to look for work again; deny to fail the mission.'),
      payload: { noAgents: true, mission: true, reason, restart: stopped.map((a) => a.rec.id) },
    });
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
      for (const t of this.tasks.values()) if (!TERMINAL_TASK.includes(t.state) && t.state !== 'planned') this.writes.saveTask(t, { state: 'cancelled' }, { reason });
      for (const t of this.tasks.values()) if (t.state === 'planned') this.writes.saveTask(t, { state: 'cancelled' }, { reason });
      for (const e of [...this.escalations.open.values()]) this.escalations.cancel(e, reason);
      for (const a of this.agents.values()) if (!TERMINAL_AGENT.includes(a.rec.state)) this.writes.setAgentState(a, 'killed', reason, { currentTaskId: null });
      this.writes.setMissionState('cancelled', { reason }, { outcome: reason });
    });
    this.dispose();
  }

  /** Cancels every timer and aborts every call (the mission is unloaded or the engine closes). */
  dispose(): void {
    this.escalations.dispose();
    for (const agent of this.agents.values()) agent.abort?.abort();
  }

  /** Whether any agent job or merge is still running (tests wait on this). */
  busy(): boolean {
    if (this.integration.running) return true;
    for (const a of this.agents.values()) if (a.loop) return true;
    return false;
  }
}


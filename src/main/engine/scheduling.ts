import type { EscalationRecord, TaskRecord } from '../ledger/mission-repository.js';
import { awaitingBrief } from './escalations/escalations.js';
import type { Escalations } from './escalations/escalations.js';
import {
  ACTIVE_TASK,
  alive,
  errorText,
  Halt,
  TERMINAL_AGENT,
  TERMINAL_TASK,
  type AgentRt,
  type EngineContext,
  type TeamRt,
} from './runtime-types.js';
import type { StateWrites } from './state-writes.js';
import { teamTitle } from '../../shared/team-label.js';

/**
 * Which job each agent of a loaded mission runs next, and starting it: a leader plans;
 * leaders, reviewers and researchers take the open escalations and submissions of their
 * team; a coder keeps its task or claims the next ready one. Work is looked at one team
 * at a time (`kick`: O(agents + tasks of the team)), never the whole mission. What a job
 * does is its role's (`roles/`, through the hub's `runJob`).
 */

/** One job of one agent. */
export type Job =
  | { kind: 'plan' }
  | { kind: 'review'; task: TaskRecord }
  | { kind: 'escalation'; esc: EscalationRecord }
  | { kind: 'task'; task: TaskRecord }
  /** A leader reads a message from the person it had no other job to hear (`steering.ts`). */
  | { kind: 'message' };

/** What scheduling reads and writes of the mission (the hub, `mission-runtime.ts`, gives it). */
export interface SchedulerHost {
  readonly ctx: EngineContext;
  readonly teams: ReadonlyMap<string, TeamRt>;
  /** Every task of the mission, by id; scheduling keeps the per-team index in step with it. */
  readonly tasks: Map<string, TaskRecord>;
  /** The mission as it is now, and the writes a claim or a failure makes. */
  readonly writes: StateWrites;
  readonly escalations: Escalations;
  /** Runs the job with the role it belongs to. */
  runJob(team: TeamRt, agent: AgentRt, job: Job): Promise<void>;
  /** Every team's work may be done: the final merges start if it is (`integration.ts`). */
  maybeIntegrate(): void;
  /** Whether the person wrote to this agent and it has not read it yet (`steering.ts`). */
  hasMessage(agent: AgentRt): boolean;
  /**
   * No job runs in any team and none could start: the hub decides whether the mission can
   * still move on its own or must say it cannot (`mission-runtime.ts`).
   */
  noJobRunning(): void;
}

export class Scheduler {
  /** Reviews (`review:<task>`) and escalations (`esc:<id>`) being handled, by agent id. */
  private readonly claims = new Map<string, string>();
  /** Jobs running now across the mission: when it falls to 0 the mission may be stuck. */
  private jobs = 0;
  /** Re-entrancy guard of `settle` (its kicks and the hub's check may kick again). */
  private settling = false;

  constructor(private readonly h: SchedulerHost) {}

  /** Whether agents may work now. */
  isActive(): boolean {
    const { state } = this.h.writes.mission;
    return this.h.ctx.store.open && (state === 'planning' || state === 'running');
  }

  /** Starts every job that can run now in every team. */
  kickAll(): void {
    for (const team of this.h.teams.values()) this.kickTeam(team);
    this.settle();
  }

  /** Starts the jobs that can run now in one team: O(agents + tasks of the team) while anything runs. */
  kick(team: TeamRt): void {
    this.kickTeam(team);
    this.settle();
  }

  private kickTeam(team: TeamRt): void {
    if (!this.isActive()) return;
    for (const agent of team.all) this.maybeRun(team, agent);
    if (this.h.writes.mission.state === 'running' && team.rec.phaseState === 'active') this.checkTeamDone(team);
  }

  /**
   * When no job runs anywhere, every team is looked at once more (one team's change may
   * have freed another's work), and if still nothing starts the hub is told: a mission in
   * that state moves only if something outside the agents is coming, which the hub checks.
   */
  private settle(): void {
    if (this.jobs > 0 || this.settling || !this.isActive()) return;
    this.settling = true;
    try {
      for (const team of this.h.teams.values()) this.kickTeam(team);
      if (this.jobs === 0 && this.isActive()) this.h.noJobRunning();
    } finally {
      this.settling = false;
    }
  }

  /** Wakes the agents that review and answer for a team (its leader, reviewers, researchers). */
  wakeLeads(team: TeamRt): void {
    for (const a of team.all) if (a.rec.role !== 'coder') this.maybeRun(team, a);
  }

  /** The team's tasks of the current plan round, in plan order. */
  teamTasks(team: TeamRt): TaskRecord[] {
    const round = this.h.writes.mission.planRound;
    if (team.round !== round) {
      // Once per plan round per team: the only scan over the mission's tasks.
      const tasks = [...this.h.tasks.values()].filter((t) => t.teamId === team.rec.id && t.planRound === round);
      team.tasks = new Map(tasks.sort((a, b) => a.sortOrder - b.sortOrder).map((t) => [t.id, t]));
      team.round = round;
    }
    return [...team.tasks.values()];
  }

  /** A task row was written: the mission's and its team's indexes follow it. */
  indexTask(t: TaskRecord): void {
    this.h.tasks.set(t.id, t);
    const team = this.h.teams.get(t.teamId);
    if (team && team.round === t.planRound) team.tasks.set(t.id, t);
  }

  private maybeRun(team: TeamRt, agent: AgentRt): void {
    // A team the person paused takes no job until it is resumed (`steering.ts`).
    if (team.rec.paused) return;
    if (agent.loop || TERMINAL_AGENT.includes(agent.rec.state) || this.h.escalations.blocker(agent.rec.id)) return;
    let job: Job | undefined;
    try {
      job = this.nextJob(team, agent);
    } catch (error) {
      this.h.ctx.logError(`scheduling ${agent.rec.name}`, error);
      return;
    }
    if (!job) {
      if (agent.rec.state !== 'idle' && agent.rec.state !== 'starting') this.h.writes.setAgentState(agent, 'idle');
      else if (agent.rec.state === 'starting') this.h.writes.setAgentState(agent, 'idle');
      return;
    }
    const run = job;
    // A review or an escalation is taken by one agent at a time (a team may have several).
    const claim = run.kind === 'review' ? `review:${run.task.id}` : run.kind === 'escalation' ? `esc:${run.esc.id}` : null;
    if (claim) this.claims.set(claim, agent.rec.id);
    this.jobs++;
    agent.loop = this.h
      .runJob(team, agent, run)
      .catch((error: unknown) => this.jobFailed(team, agent, error))
      .finally(() => {
        if (claim) this.claims.delete(claim);
        agent.loop = null;
        this.jobs--;
        if (this.isActive()) this.kick(team);
        else this.settleIdle(agent);
      });
  }

  private free(claim: string): boolean {
    return !this.claims.has(claim);
  }

  /** An agent whose job ended while the mission is not active waits, spending nothing. */
  private settleIdle(agent: AgentRt): void {
    if (!this.h.ctx.store.open || TERMINAL_AGENT.includes(agent.rec.state) || this.h.escalations.blocker(agent.rec.id)) return;
    if (agent.rec.state === 'idle') return;
    try {
      this.h.writes.setAgentState(agent, 'idle', `mission ${this.h.writes.mission.state}`);
    } catch (error) {
      if (this.h.ctx.store.open) this.h.ctx.logError(`agent ${agent.rec.name}`, error);
    }
  }

  private nextJob(team: TeamRt, agent: AgentRt): Job | undefined {
    const { writes } = this.h;
    const state = writes.mission.state;
    const role = agent.rec.role;
    // A team waiting for its phase (or merged already) has nothing to do.
    if (team.rec.phaseState !== 'active') return undefined;
    // No leader plans before the person has answered the director's draft of the shares.
    if (role === 'leader' && state === 'planning' && awaitingBrief(this.h.escalations)) return undefined;
    const message = role === 'leader' && this.h.hasMessage(agent) ? ({ kind: 'message' } as const) : undefined;
    if (role === 'leader' && state === 'planning') return team.rec.planState === 'submitted' ? message : { kind: 'plan' };
    if (state !== 'running') return undefined;
    if (role !== 'coder') {
      // The leader delegates reviews to live reviewers and coders' questions to live
      // researchers, and keeps everything else (stalls, permissions).
      const answers = (e: EscalationRecord): boolean =>
        role === 'researcher' ? e.type === 'question' : role === 'leader' && (e.type !== 'question' || !team.researchers.some(alive));
      for (const e of this.h.escalations.open.values()) {
        if (e.state === 'open' && e.level === 'leader' && e.teamId === team.rec.id && this.free(`esc:${e.id}`) && answers(e)) {
          return { kind: 'escalation', esc: e };
        }
      }
      if (role === 'reviewer' || (role === 'leader' && !team.reviewers.some(alive))) {
        for (const t of this.teamTasks(team)) {
          if ((t.state === 'submitted' || t.state === 'reviewed') && this.free(`review:${t.id}`)) return { kind: 'review', task: t };
        }
      }
      return message;
    }
    if (agent.rec.currentTaskId) {
      const task = this.h.tasks.get(agent.rec.currentTaskId);
      if (task && ACTIVE_TASK.includes(task.state) && task.assignee === agent.rec.id) return { kind: 'task', task };
      if (task && (task.state === 'submitted' || task.state === 'reviewed')) return undefined; // awaiting review
      writes.saveAgentQuiet(agent, { currentTaskId: null });
    }
    const task = this.claimable(team, agent);
    if (!task) return undefined;
    const claimed = this.h.ctx.store.tx(() => {
      const t = writes.saveTask(task, { state: 'claimed', assignee: agent.rec.id, claims: task.claims + 1 }, { agentId: agent.rec.id });
      writes.setAgentState(agent, 'working', null, { currentTaskId: t.id, turnsWithoutProgress: 0 });
      return t;
    });
    return { kind: 'task', task: claimed };
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
    for (const e of this.h.escalations.open.values()) if (e.teamId === team.rec.id) return;
    for (const a of team.all) {
      if (!TERMINAL_AGENT.includes(a.rec.state) && !a.loop) this.h.writes.setAgentState(a, 'done', 'the team\'s work is approved', { currentTaskId: null });
    }
    this.h.maybeIntegrate();
  }

  /** A team with work left but nobody alive to do or review it asks the person what to do. */
  private checkTeamViable(team: TeamRt, tasks: TaskRecord[]): void {
    const unfinished = tasks.some((t) => !TERMINAL_TASK.includes(t.state));
    if (!unfinished) return;
    const leaderAlive = team.leader !== undefined && !TERMINAL_AGENT.includes(team.leader.rec.state);
    const coderAlive = team.coders.some((c) => !TERMINAL_AGENT.includes(c.rec.state));
    if (leaderAlive && coderAlive) return;
    for (const e of this.h.escalations.open.values()) {
      if (e.teamId === team.rec.id && e.type === 'stall' && e.payload.noAgents === true) return;
    }
    this.h.escalations.raise({
      type: 'stall',
      level: 'human',
      teamId: team.rec.id,
      agentId: null,
      taskId: null,
      title: `${teamTitle(team.rec.name)} has unfinished tasks and no ${leaderAlive ? 'coders' : 'leader'} left`,
      detail: 'Approve to restart the team\'s stopped agents (killed or failed; their worktrees were kept) so the work goes on; deny to fail the mission.',
      payload: { noAgents: true },
    });
  }

  /** A job that threw: a pause or a kill ends it quietly; anything else fails the agent and frees its task. */
  private jobFailed(team: TeamRt, agent: AgentRt, error: unknown): void {
    agent.abort = null;
    const { ctx, writes } = this.h;
    if (!ctx.store.open) return;
    try {
      if (error instanceof Halt) {
        // Paused or stopped between steps: the agent keeps its task and resumes it later.
        if (!TERMINAL_AGENT.includes(agent.rec.state) && !this.h.escalations.blocker(agent.rec.id) && agent.rec.state !== 'idle') {
          writes.setAgentState(agent, 'idle', error.message);
        }
        return;
      }
      ctx.logError(`agent ${agent.rec.name}`, error);
      const reason = errorText(error);
      const task = agent.rec.currentTaskId ? this.h.tasks.get(agent.rec.currentTaskId) : undefined;
      ctx.store.tx(() => {
        if (task && ACTIVE_TASK.includes(task.state)) writes.saveTask(task, { state: 'ready', assignee: null }, { reason });
        writes.setAgentState(agent, 'failed', reason, { currentTaskId: task && ACTIVE_TASK.includes(task.state) ? null : agent.rec.currentTaskId });
      });
      this.kick(team);
    } catch (inner) {
      if (ctx.store.open) ctx.logError(`agent ${agent.rec.name} (while recording its failure)`, inner);
    }
  }
}

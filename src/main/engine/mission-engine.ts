import { resolve } from 'node:path';
import type { MissionResult } from '../../shared/mission-result.js';
import { buildMissionResult } from './mission-result.js';
import type Database from 'better-sqlite3';
import type { AgentDiff } from '../../shared/contract/agents.js';
import type { CreateMissionRequest, DecideEscalationRequest } from '../../shared/contract/missions.js';
import {
  DEFAULT_MISSION_SETTINGS,
  FINAL_MISSION_STATES,
  type AgentView,
  type EscalationView,
  type MissionDetail,
  type MissionLogEntry,
  type MissionSettings,
  type MissionState,
  type MissionSummary,
  type MissionTeamView,
  type MissionView,
  type TaskView,
  type TranscriptEntry,
} from '../../shared/mission.js';
import { findModel } from '../../shared/models.js';
import { AppError } from '../../shared/result.js';
import { PULL_REQUEST_DECISION_PREFIX } from '../../shared/pull-request.js';
import { TeamRepository } from '../ledger/team-repository.js';
import { scopedId } from '../ledger/budgets.js';
import { systemClock, type Clock, type TimerHandle } from '../limiter/clock.js';
import type { ModelGateway } from '../calls/gateway-types.js';
import {
  checkRepository,
  createMissionWorkspace,
  openMissionWorkspace,
  type MissionWorkspace,
} from '../workspace/mission-workspace.js';
import { Director } from './director.js';
import { MissionBranches } from './mission-branches.js';
import type { CleanUpResult, LeftoversView } from '../../shared/contract/missions.js';
import { createMission } from './mission-create.js';
import { needsWorkspace } from './escalations/decisions.js';
import { describeLogRows } from './mission-log.js';
import type { ClaudeCodeEnvironment } from './runtimes/claude-code.js';
import type { RemoteTurns } from '../tools/remote-turn.js';
import {
  escalationView,
  MissionStore,
  taskView,
  type MissionRecord,
} from '../ledger/mission-repository.js';
import { MissionRuntime, type BudgetCapSink, type EngineContext, type EngineEventSink } from './mission-runtime.js';
import { missionSummary, toAgentView } from './state-writes.js';
import { applySavedWeights, type TeamWeightSink } from './steering.js';
import { SteeringRepository } from '../ledger/steering-repository.js';
import type { SteeringMessageView, TeamPriorityView } from '../../shared/steering.js';
import { phaseNumbers, teamView } from './phases.js';
import type { ChangeReviewRequest } from '../../shared/contract/reviews.js';
import type { ChangeReview, CommitInfo } from '../../shared/review.js';
import { quote } from '../../shared/quote.js';
import type { EscalationRecord } from '../ledger/mission-tables.js';
import { commitsBetween, diffRange, resolveCommit } from '../workspace/change-diff.js';
import { planWorkspace } from '../workspace/workspace-plan.js';
import { buildChangeReview } from './change-review.js';

export interface MissionEngineOptions {
  db: Database.Database;
  /** Every model call goes through it (limiter, budgets, the calls ledger). */
  gateway: ModelGateway;
  events?: EngineEventSink;
  clock?: Clock;
  /** Worktrees live in `<worktreesDir>/<missionId>`; must be outside any mission's repository. */
  worktreesDir: string;
  budgets?: BudgetCapSink;
  /** Defaults for every new mission's settings. */
  defaults?: Partial<MissionSettings>;
  /** The cheap model that summarises long contexts. Default Claude Haiku 4.5. */
  compactionModel?: string;
  /** Estimated tokens above which a conversation is compacted. Default 60% of the model's window. */
  contextLimit?: (model: string) => number;
  /** `max_tokens` of agents' calls. Default 8,192. */
  maxTokensPerCall?: number;
  commandTimeoutMs?: number;
  poolRetryMs?: number;
  /** Prompt-cache breakpoints on built-in agents' calls. Default on; the cost benchmark turns it off for its baseline. */
  promptCaching?: boolean;
  /** How often the idle reaper runs; 0 turns it off. Default 5 s. */
  reaperIntervalMs?: number;
  logError?: (what: string, error: unknown) => void;
  /** What Claude Code agents need (the loopback gateway, the binary, a config folder); without it they fail with a reason. */
  claudeCode?: ClaudeCodeEnvironment;
  /** Runs built-in agents' turns on fleet workers (BullMQ on Redis); without it they run in this process. */
  fleet?: { turns: RemoteTurns; repoUrl?: string };
  /** The shared rate limiter's team weights: a team's priority is set there (and re-applied on start). */
  teamWeights?: TeamWeightSink;
  /** Keep a finished mission's team and coder branches unless it says otherwise (Settings). Default false. */
  keepBranches?: boolean;
}

const ACTIVE_STATES: readonly MissionState[] = ['planning', 'running', 'integrating'];
const COMPACT_AT = 0.6;

/**
 * The orchestration engine: missions from a saved team design, their leaders and
 * coders, tasks, escalations and lifecycle. Its state is the ledger: every change is
 * written (with a `mission_log` row) before it is acted on, so a new engine on the same
 * database after a crash finds every mission as committed, with the ones that were
 * working paused until someone resumes them.
 */
export class MissionEngine {
  private readonly store: MissionStore;
  private readonly teamsRepo: TeamRepository;
  private readonly ctx: EngineContext;
  /** Drafts each team's share before the leaders plan, when a mission asks for it. */
  private readonly director: Director;
  /** Readable branch names, the end-of-mission clean-up and the "clean up" action. */
  private readonly branches: MissionBranches;
  private readonly runtimes = new Map<string, MissionRuntime>();
  private readonly loading = new Map<string, Promise<MissionRuntime>>();
  private readonly worktreesDir: string;
  private defaults: MissionSettings;
  private readonly reaperIntervalMs: number;
  private reaperTimer: TimerHandle | undefined;
  private closed = false;

  constructor(options: MissionEngineOptions) {
    this.store = new MissionStore(options.db);
    this.teamsRepo = new TeamRepository(options.db);
    const clock = options.clock ?? systemClock;
    this.ctx = {
      store: this.store,
      gateway: options.gateway,
      events: options.events ?? { emit: () => undefined },
      clock,
      budgets: options.budgets,
      claudeCode: options.claudeCode,
      fleet: options.fleet,
      teamWeights: options.teamWeights,
      missionEnded: (m) => this.branches.ended(m),
      logError: options.logError ?? ((what, error) => console.error(`[control-room] ${what} failed:`, error)),
      options: {
        compactionModel: options.compactionModel ?? 'claude-haiku-4-5',
        contextLimit:
          options.contextLimit ?? ((model) => Math.floor((findModel(model)?.contextWindow ?? 200_000) * COMPACT_AT)),
        maxTokensPerCall: options.maxTokensPerCall ?? 8_192,
        commandTimeoutMs: options.commandTimeoutMs ?? 120_000,
        poolRetryMs: options.poolRetryMs ?? 30_000,
        promptCaching: options.promptCaching ?? true,
      },
    };
    this.director = new Director(this.ctx);
    this.branches = new MissionBranches({
      db: options.db,
      store: this.store,
      now: () => this.now(),
      logError: this.ctx.logError,
      current: (id) => this.runtimes.get(id)?.mission ?? this.store.getMission(id),
      openWorkspace: (id) => this.runtimes.get(id)?.workspace ?? null,
      workspaceRemoved: (id, workspace) => {
        const rt = this.runtimes.get(id);
        if (rt?.workspace === workspace) rt.workspace = null;
      },
    });
    this.branches.setDefaultKeep(options.keepBranches ?? false);
    this.worktreesDir = resolve(options.worktreesDir);
    this.defaults = { ...DEFAULT_MISSION_SETTINGS, ...options.defaults };
    this.reaperIntervalMs = options.reaperIntervalMs ?? 5_000;
    this.recover();
    this.branches.sweep();
    applySavedWeights(new SteeringRepository(options.db), options.teamWeights);
    this.scheduleReaper();
  }

  private now(): string {
    return new Date(this.ctx.clock.now()).toISOString();
  }

  /**
   * After a crash (or any restart) nothing runs: missions that were working come back
   * `paused` and their agents idle, each change logged. Resuming picks up from here.
   */
  private recover(): void {
    const at = this.now();
    this.store.tx(() => {
      for (const m of this.store.missionsInStates(ACTIVE_STATES)) {
        this.store.saveMission({ ...m, state: 'paused', pausedFrom: m.state, updatedAt: at });
        this.store.log({ missionId: m.id, at, kind: 'mission', subjectId: m.id, fromState: m.state, toState: 'paused', detail: { reason: 'the app restarted' } });
        for (const a of this.store.agents(m.id)) {
          if (a.state === 'working' || a.state === 'waiting_limiter' || a.state === 'waiting_tool' || a.state === 'starting') {
            this.store.saveAgent({ ...a, state: 'idle', stateReason: 'the app restarted', lastActivityAt: at });
            this.store.log({ missionId: m.id, at, kind: 'agent', subjectId: a.id, fromState: a.state, toState: 'idle', detail: { reason: 'the app restarted' } });
          }
        }
      }
    });
  }

  private scheduleReaper(): void {
    if (this.reaperIntervalMs <= 0 || this.closed) return;
    this.reaperTimer = this.ctx.clock.setTimeout(() => {
      this.reaperTimer = undefined;
      try {
        this.reapIdle();
      } catch (error) {
        if (this.store.open) this.ctx.logError('the idle reaper', error);
      }
      this.scheduleReaper();
    }, this.reaperIntervalMs);
  }

  /** One pass of the idle reaper over every loaded, working mission; returns the agents it stopped. */
  reapIdle(): string[] {
    if (!this.store.open) return [];
    const killed: string[] = [];
    for (const rt of this.runtimes.values()) {
      if (rt.mission.state === 'running' || rt.mission.state === 'planning' || rt.mission.state === 'awaiting_plan_approval') {
        killed.push(...rt.reap('timed_out'));
      }
    }
    return killed;
  }

  // ------------------------------------------------------------------ commands

  /** Creates a mission in `draft` from a saved design (snapshotted, so later edits do not change it). */
  create(request: CreateMissionRequest): MissionView {
    const { mission, brief } = createMission(
      { store: this.store, teams: this.teamsRepo, worktreesDir: this.worktreesDir, defaults: this.defaults, at: this.now() },
      request,
    );
    if (brief) this.ctx.events.emit('escalations:changed', escalationView(brief), brief.id);
    this.ctx.events.emit('missions:changed', missionSummary(this.store, mission, [], []), mission.id);
    return this.view(mission);
  }

  list(states?: readonly MissionState[]): MissionSummary[] {
    const missions = states ? this.store.missionsInStates(states) : this.store.listMissions();
    return missions.map((m) => this.summaryOf(m));
  }

  get(id: string): MissionDetail {
    const m = this.mustGet(id);
    const rt = this.runtimes.get(id);
    return {
      mission: this.view(rt?.mission ?? m),
      teams: this.teamViews(id, rt),
      agents: this.agents(id),
      tasks: this.tasks(id),
      escalations: this.store.escalations(id).map(escalationView),
    };
  }

  /** The mission's teams with their phases (a loaded runtime's rows are the freshest). */
  private teamViews(id: string, rt: MissionRuntime | undefined): MissionTeamView[] {
    const records = rt ? [...rt.teams.values()].map((t) => t.rec).sort((a, b) => a.sortOrder - b.sortOrder) : this.store.teams(id);
    const phases = phaseNumbers(records);
    return records.map((t) => teamView(t, phases));
  }

  /**
   * Creates the workspace (branches and worktrees) and lets the leaders of the teams that
   * may start plan; teams that start after others wait (`openReadyTeams`).
   */
  async start(id: string): Promise<MissionView> {
    const m = this.mustGet(id);
    if (m.state !== 'draft') throw new AppError('conflict', `mission "${m.name}" is ${m.state}; only a draft can be started`);
    const workspace = await this.openWorkspace(m, true);
    const rt = this.loadRuntime(m, workspace);
    if (rt.mission.state !== 'draft') return this.view(rt.mission);
    // The one decision of which teams plan first; a step that rewrites the teams' `after`
    // or shares (the director's) goes before it.
    await rt.openReadyTeams('the mission started');
    if (rt.mission.state !== 'draft') return this.view(rt.mission);
    this.applyCaps(rt);
    const at = this.now();
    this.store.tx(() => {
      for (const a of rt.agents.values()) {
        if (a.rec.state === 'starting') {
          this.store.saveAgent({ ...a.rec, state: 'idle', lastActivityAt: at });
          this.store.log({ missionId: id, at, kind: 'agent', subjectId: a.rec.id, fromState: 'starting', toState: 'idle', detail: { reason: 'workspace ready' } });
          a.rec = { ...a.rec, state: 'idle', lastActivityAt: at };
        }
      }
      rt.setMissionState('planning', { missionBranch: workspace.missionBranch }, { startedAt: at });
    });
    for (const a of rt.agents.values()) this.ctx.events.emit('agents:changed', rt.agentView(a), `${id}:${a.rec.id}`);
    rt.kickAll();
    this.director.resume(rt);
    return this.view(rt.mission);
  }

  pause(id: string): MissionView {
    const m = this.mustGet(id);
    if (!ACTIVE_STATES.includes(m.state) && m.state !== 'awaiting_plan_approval') {
      throw new AppError('conflict', `mission "${m.name}" is ${m.state}; it cannot be paused`);
    }
    const rt = this.runtimes.get(id) ?? this.loadRuntime(m, null);
    rt.pause('paused by the person');
    return this.view(rt.mission);
  }

  /** Continues a paused mission from the ledger: transcripts reload, nothing finished is redone. */
  async resume(id: string): Promise<MissionView> {
    const m = this.mustGet(id);
    if (m.state !== 'paused') throw new AppError('conflict', `mission "${m.name}" is ${m.state}, not paused`);
    const rt = await this.runtime(id);
    if (rt.mission.state !== 'paused') return this.view(rt.mission);
    this.applyCaps(rt);
    const target = rt.mission.pausedFrom ?? 'running';
    rt.setMissionState(target, { reason: 'resumed' });
    this.continueRuntime(rt);
    return this.view(rt.mission);
  }

  /** Picks up whatever a (re)loaded mission was in the middle of. */
  private continueRuntime(rt: MissionRuntime): void {
    const open = [...rt.escalations.open.values()];
    if (rt.mission.state === 'integrating') {
      // A conflict a leader is resolving (level 'leader') resumes with the integration; the person's waits.
      if (!open.some((e) => e.type === 'final_merge' || (e.type === 'merge_conflict' && e.level === 'human'))) rt.integrate();
      return;
    }
    if (rt.mission.state === 'planning') {
      const teams = [...rt.teams.values()].filter((t) => t.rec.phaseState === 'active');
      if (teams.every((t) => t.rec.planState === 'submitted') && !open.some((e) => e.type === 'plan_approval')) {
        if (rt.mission.skipPlanApproval) {
          rt.startRunning('plan approval skipped by the mission settings');
          return;
        }
      }
      this.director.resume(rt);
    }
    rt.kickAll();
  }

  cancel(id: string): MissionView {
    const m = this.mustGet(id);
    if (FINAL_MISSION_STATES.includes(m.state)) throw new AppError('conflict', `mission "${m.name}" is already ${m.state}`);
    const rt = this.runtimes.get(id) ?? this.loadRuntime(m, null);
    rt.cancel('cancelled by the person');
    this.runtimes.delete(id);
    return this.view(rt.mission);
  }

  agents(missionId: string): AgentView[] {
    const rt = this.runtimes.get(missionId);
    if (rt) {
      // One grouped read of the calls roll-up makes the costs exact (aborted calls included).
      const usage = new Map(this.store.agentUsage(missionId).map((u) => [u.agentId, u]));
      for (const a of rt.agents.values()) {
        const u = usage.get(a.rec.id);
        a.usage = { input: u?.inputTokens ?? 0, output: u?.outputTokens ?? 0, cost: u?.costNano ?? 0 };
      }
      return rt.agentViews();
    }
    this.mustGet(missionId);
    const usage = new Map(this.store.agentUsage(missionId).map((u) => [u.agentId, u]));
    return this.store.agents(missionId).map((a) => {
      const u = usage.get(a.id);
      return toAgentView(a, { input: u?.inputTokens ?? 0, output: u?.outputTokens ?? 0, cost: u?.costNano ?? 0 });
    });
  }

  killAgent(missionId: string, agentId: string): AgentView {
    const rt = this.runtimeSync(missionId);
    return rt.killAgent(agentId, 'killed by the person');
  }

  killTeam(missionId: string, teamId: string): AgentView[] {
    const rt = this.runtimeSync(missionId);
    const team = rt.teams.get(teamId);
    if (!team) throw new AppError('not_found', `no team "${teamId}" in mission "${rt.mission.name}"`);
    return team.all.map((a) => rt.killAgent(a.rec.id, 'team killed by the person'));
  }

  /** Kills idle agents now (of one mission, or of every loaded one), whatever their idle time. */
  killIdle(missionId?: string): { killed: string[] } {
    const runtimes = missionId ? [this.runtimeSync(missionId)] : [...this.runtimes.values()];
    return { killed: runtimes.flatMap((rt) => rt.reap('all')) };
  }

  // ------------------------------------------------------------------ steering (steering.ts)

  /** A message from the person to a team's leader: it reaches the leader at its next turn. */
  messageLeader(missionId: string, teamId: string, text: string): SteeringMessageView {
    return this.runtimeSync(missionId).steering.message(teamId, text);
  }

  /** The person's messages to the mission's leaders, oldest first, with whether each was delivered. */
  steeringMessages(missionId: string): SteeringMessageView[] {
    this.mustGet(missionId);
    return new SteeringRepository(this.store.db).list(missionId);
  }

  /** Every team of the started, unfinished missions with its priority (the Costs screen's gauges). */
  teamPriorities(): TeamPriorityView[] {
    return new SteeringRepository(this.store.db).priorities();
  }

  /** Sets a team's priority: its weight in the shared limiter's fair share. */
  setTeamPriority(missionId: string, teamId: string, weight: number): MissionTeamView {
    this.runtimeSync(missionId).steering.setPriority(teamId, weight);
    return this.teamOf(missionId, teamId);
  }

  /** Pauses one team of a mission; the others go on. */
  pauseTeam(missionId: string, teamId: string): MissionTeamView {
    this.runtimeSync(missionId).steering.pauseTeam(teamId);
    return this.teamOf(missionId, teamId);
  }

  /** Resumes a team the person paused. */
  resumeTeam(missionId: string, teamId: string): MissionTeamView {
    this.runtimeSync(missionId).steering.resumeTeam(teamId);
    return this.teamOf(missionId, teamId);
  }

  /** Adds a coder to a running team: its branch and worktree from the team branch; it may claim a ready task. */
  async addCoder(missionId: string, teamId: string, options: { name?: string | undefined; model?: string | undefined } = {}): Promise<AgentView> {
    const rt = await this.runtime(missionId);
    const agent = await rt.steering.addCoder(teamId, options, (design) => this.openWorkspace({ ...rt.mission, design }, false));
    return rt.agentView(agent);
  }

  /** Removes an idle coder (one holding a task is refused) and cleans up its worktree. */
  async removeCoder(missionId: string, agentId: string): Promise<AgentView> {
    const rt = await this.runtime(missionId);
    const agent = await rt.steering.removeCoder(agentId, async () => rt.workspace ?? this.openWorkspace(rt.mission, false));
    return rt.agentView(agent);
  }

  private teamOf(missionId: string, teamId: string): MissionTeamView {
    const team = this.teamViews(missionId, this.runtimes.get(missionId)).find((t) => t.id === teamId);
    if (!team) throw new AppError('not_found', `no team "${teamId}" in mission "${missionId}"`);
    return team;
  }

  transcript(missionId: string, agentId: string, afterId = 0, limit = 500): TranscriptEntry[] {
    this.mustGet(missionId);
    return this.store.transcript(missionId, agentId, afterId, limit);
  }

  /**
   * One page of the mission's append-only log, oldest first after `afterId`, each row
   * with its subject's name, who caused it and a sentence a person can read.
   */
  log(missionId: string, afterId = 0, limit = 500): MissionLogEntry[] {
    const m = this.mustGet(missionId);
    const rows = this.store.logPage(missionId, afterId, limit);
    if (rows.length === 0) return [];
    // Names come from the ledger (one indexed read each), not a runtime: the mission may be finished.
    return describeLogRows(rows, {
      missionName: m.name,
      agents: new Map(this.store.agents(missionId).map((a) => [a.id, { name: a.name, role: a.role }])),
      tasks: new Map(this.store.tasks(missionId).map((t) => [t.id, t.title])),
      escalations: new Map(this.store.escalations(missionId).map((e) => [e.id, { title: e.title, agentId: e.agentId }])),
      teams: new Map(this.store.teams(missionId).map((t) => [t.id, t.name])),
    });
  }

  /**
   * The checks a start would make on the repository (a git checkout with a commit, the
   * base branch exists), made before a mission is created so a launch form can show them.
   */
  async checkRepository(repoPath: string, baseBranch: string): Promise<void> {
    await checkRepository(repoPath, baseBranch);
  }

  /** A coder's committed work against its team branch; other roles have no branch. */
  async diff(missionId: string, agentId: string): Promise<AgentDiff> {
    const m = this.mustGet(missionId);
    const agent = this.store.agents(missionId).find((a) => a.id === agentId);
    if (!agent) throw new AppError('not_found', `no agent "${agentId}" in mission "${m.name}"`);
    if (agent.role !== 'coder') throw new AppError('invalid_request', `${agent.name} is a ${agent.role}; only coders have a branch of their own`);
    if (m.state === 'draft') throw new AppError('conflict', `mission "${m.name}" has not started; ${agent.name} has no branch yet`);
    const merged = this.store
      .tasks(missionId)
      .filter((t) => t.assignee === agentId && t.mergedCommit !== null)
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
    const loaded = this.runtimes.get(missionId)?.workspace;
    const finished = m.state === 'done' || m.state === 'failed' || m.state === 'cancelled';
    // A loaded runtime's workspace, else a transient one: loading a runtime would arm
    // escalation timers for a mission nobody resumed. A finished mission's worktrees and
    // coder branches may be cleaned up, and opening would make them again: its coders
    // show only what they contributed.
    const workspace = loaded ?? (finished ? null : await this.openWorkspace(m, false));
    const repoPath = workspace?.repoPath ?? m.repoPath;
    const commits = await contributedCommits(repoPath, merged.map((t) => t.mergedCommit ?? ''));
    if (workspace) {
      const work = await workspace.diffCoder(agentId);
      const branch = workspace.coderBranch(agentId);
      const current = this.runtimes.get(missionId)?.agents.get(agentId)?.rec.currentTaskId ?? agent.currentTaskId;
      if (work.files.length > 0 || merged.length === 0) {
        return { missionId, agentId, branch, ...work, mode: work.files.length > 0 ? 'work-in-progress' : 'none', taskId: current, commits };
      }
    }
    const names = await this.branches.names(m, false);
    const branch = (await planWorkspace({ ...this.workspaceOptions(m), ...(names ? { names } : {}) })).coders.get(agentId)?.branch ?? '';
    // After the merge the coder's branch was reset to its team's: its work is the merge's change.
    const latest = merged[0];
    if (!latest) {
      const none = { files: [], additions: 0, deletions: 0, diff: '', truncated: false, changes: [], uncommitted: false };
      return { missionId, agentId, branch, base: '', head: '', ...none, mode: 'none', taskId: null, commits };
    }
    const mergeCommit = latest.mergedCommit ?? '';
    const change = await diffRange(repoPath, `${mergeCommit}^1`, mergeCommit);
    const diff = change.files.map((f) => f.patch).join('');
    return {
      missionId,
      agentId,
      branch,
      mode: 'contributed',
      taskId: latest.id,
      uncommitted: false,
      base: (await resolveCommit(repoPath, `${mergeCommit}^1`)) ?? '',
      head: mergeCommit,
      files: change.files.map(({ path, status, additions, deletions }) => ({ path, status, additions, deletions })),
      additions: change.additions,
      deletions: change.deletions,
      diff,
      truncated: change.truncated,
      changes: change.files,
      commits,
    };
  }

  /**
   * The change an approval would make, for the person to judge before deciding: an
   * escalation's (a final merge, a team merge conflict, a task's work), or a mission's,
   * team's or task's named directly. Reads git and the ledger; changes nothing.
   */
  async changeReview(request: ChangeReviewRequest): Promise<ChangeReview> {
    let escalation: EscalationRecord | undefined;
    let missionId: string;
    if ('escalationId' in request) {
      escalation = this.store.getEscalation(request.escalationId);
      if (!escalation) throw new AppError('not_found', `no escalation ${quote(request.escalationId)}`);
      missionId = escalation.missionId;
    } else {
      missionId = request.missionId;
    }
    const m = this.mustGet(missionId);
    if (m.state === 'draft') throw new AppError('conflict', `mission "${m.name}" has not started; it has no change to review`);
    const rt = this.runtimes.get(missionId);
    // The branch layout only: nothing is created (a finished mission's worktrees may be gone).
    const names = await this.branches.names(rt?.mission ?? m, false);
    const layout = await planWorkspace({ ...this.workspaceOptions(rt?.mission ?? m), ...(names ? { names } : {}) });
    return buildChangeReview(
      this.store.db,
      request,
      {
        mission: rt?.mission ?? m,
        teams: this.store.teams(missionId),
        agents: this.store.agents(missionId),
        tasks: this.store.tasks(missionId),
        escalation,
      },
      layout,
    );
  }

  /** A mission's result (what was delivered, by whom, at what cost): see mission-result.ts. */
  async result(id: string): Promise<MissionResult> {
    const m = this.mustGet(id);
    return buildMissionResult(this.store, m, this.view(m).missionBranch);
  }

  tasks(missionId: string): TaskView[] {
    const rt = this.runtimes.get(missionId);
    const tasks = rt ? [...rt.tasks.values()] : (this.mustGet(missionId), this.store.tasks(missionId));
    return tasks.sort((a, b) => a.teamId.localeCompare(b.teamId) || a.planRound - b.planRound || a.sortOrder - b.sortOrder).map(taskView);
  }

  escalations(missionId?: string, openOnly = false): EscalationView[] {
    if (missionId) {
      this.mustGet(missionId);
      return this.store.escalations(missionId).filter((e) => !openOnly || e.state === 'open').map(escalationView);
    }
    return this.store.allEscalations(openOnly).map(escalationView);
  }

  /** Changes the defaults of missions created from now on (Settings); existing missions keep theirs. */
  setDefaults(defaults: Partial<MissionSettings>): void {
    this.defaults = { ...this.defaults, ...defaults };
  }

  /**
   * The person's answer to an escalation: approve, deny, or reply with a comment. Recorded
   * first, then carried out (`escalations/decisions.ts`); the mission's git workspace is
   * opened only for a decision that needs it (a merge, a worktree reset, a plan that starts).
   */
  async decide(request: DecideEscalationRequest): Promise<EscalationView> {
    const esc = this.store.getEscalation(request.id);
    if (!esc) throw new AppError('not_found', `no escalation with id "${request.id}"`);
    if (esc.type === 'mission_brief') {
      const briefRt = request.decision === 'approve' ? await this.runtime(esc.missionId) : this.runtimeSync(esc.missionId);
      return escalationView(await this.director.decide(briefRt, request));
    }
    if (request.brief) throw new AppError('invalid_request', `a brief answers only the director's draft, not a ${esc.type.replace('_', ' ')} escalation`);
    const rt = needsWorkspace(esc, request.decision) ? await this.runtime(esc.missionId) : this.runtimeSync(esc.missionId);
    const recorded = rt.decisions.record(request.id, {
      decision: request.decision,
      comment: request.comment,
      decidedBy: 'human',
      alwaysAllow: request.alwaysAllow,
      ...(request.budgetNanoUsd === undefined ? {} : { budgetNano: request.budgetNanoUsd }),
    });
    const decided = await rt.decisions.apply(recorded);
    if (FINAL_MISSION_STATES.includes(rt.mission.state)) this.runtimes.delete(rt.mission.id);
    return escalationView(decided);
  }

  /**
   * Answers the awaited final merge with a pull request `publish/` opened (the mission
   * branch pushed to a remote): the escalation is resolved by the person with a comment
   * naming the pull request, and the mission ends done with its branch unmerged here, its
   * result a pull request. No git: the base branch is not touched.
   */
  async settleFinalMergeWithPullRequest(escalationId: string, url: string): Promise<EscalationView> {
    const esc = this.store.getEscalation(escalationId);
    if (!esc || esc.type !== 'final_merge') throw new AppError('not_found', `no final merge escalation with id "${escalationId}"`);
    const rt = this.runtimeSync(esc.missionId);
    const recorded = rt.decisions.record(escalationId, {
      decision: 'deny',
      comment: `${PULL_REQUEST_DECISION_PREFIX}${url}`,
      decidedBy: 'human',
    });
    const decided = await rt.decisions.apply(recorded);
    if (FINAL_MISSION_STATES.includes(rt.mission.state)) this.runtimes.delete(rt.mission.id);
    return escalationView(decided);
  }

  /**
   * A pull request opened for a mission whose final merge was declined: it now ends as a
   * pull request (its outcome names it). A mission that ended otherwise is left as it is.
   */
  recordPullRequest(missionId: string, url: string): MissionView {
    const m = this.mustGet(missionId);
    if (m.state !== 'done' || m.resultKind !== 'declined') return this.view(m);
    const rt = this.runtimeSync(missionId);
    const branch = this.view(m).missionBranch ?? 'the mission branch';
    rt.setMissionState('done', { finalMerge: 'pull_request', url }, { outcome: `pull request opened: ${url} (the work is on ${branch})`, resultKind: 'pull_request' });
    this.runtimes.delete(missionId);
    return this.view(rt.mission);
  }

  /** Stops every agent (in-flight calls are aborted; the gateway records what they used) and pauses working missions. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.director.dispose();
    if (this.reaperTimer !== undefined) this.ctx.clock.clearTimeout(this.reaperTimer);
    for (const rt of this.runtimes.values()) {
      try {
        if (this.store.open && ACTIVE_STATES.includes(rt.mission.state)) rt.pause('the app is shutting down');
      } catch (error) {
        this.ctx.logError('pausing a mission on shutdown', error);
      }
      rt.dispose();
    }
    this.runtimes.clear();
  }

  // ------------------------------------------------------------------ branches and clean-up (mission-branches.ts)

  /** Keep (or not) one mission's team and coder branches when it ends; null follows the Settings default. */
  setKeepBranches(missionId: string, keep: boolean | null): MissionView {
    const m = this.mustGet(missionId);
    this.branches.setKeep(missionId, keep);
    return this.view(m);
  }

  /** The Settings default of keeping a finished mission's branches (missions without a choice of their own). */
  setKeepBranchesDefault(keep: boolean): void {
    this.branches.setDefaultKeep(keep);
  }

  /** What finished missions left behind (worktrees, branches), and `cr/` branches no mission of this ledger owns. */
  listLeftovers(): Promise<LeftoversView> {
    return this.branches.leftovers();
  }

  /** Removes what the given finished missions (default: all) left; refuses any mission that is not finished. */
  cleanUp(missionIds?: readonly string[]): Promise<CleanUpResult> {
    return this.branches.cleanUp(missionIds);
  }

  /** Resolves once every end-of-mission clean-up started so far is over (the CLI and tests wait on it). */
  branchesSettled(): Promise<void> {
    return this.branches.settled();
  }

  /** Whether any agent of the mission is in the middle of a job (tests poll it). */
  isBusy(missionId: string): boolean {
    return this.director.busy || (this.runtimes.get(missionId)?.busy() ?? false);
  }

  // ------------------------------------------------------------------ helpers

  private mustGet(id: string): MissionRecord {
    const m = this.runtimes.get(id)?.mission ?? this.store.getMission(id);
    if (!m) throw new AppError('not_found', `no mission with id "${id}"`);
    return m;
  }

  private summaryOf(m: MissionRecord): MissionSummary {
    const rt = this.runtimes.get(m.id);
    if (rt) return rt.summary();
    return missionSummary(this.store, m, this.store.tasks(m.id), this.store.escalations(m.id));
  }

  private view(m: MissionRecord): MissionView {
    const summary = this.summaryOf(m);
    const rt = this.runtimes.get(m.id);
    return {
      ...summary,
      state: m.state,
      designRevision: m.designRevision,
      skipPlanApproval: m.skipPlanApproval,
      allowedCommands: m.allowedCommands,
      setupCommand: m.setupCommand,
      copyFiles: m.copyFiles,
      settings: m.settings,
      missionBranch: rt?.workspace?.missionBranch ?? (m.state === 'draft' ? null : this.branches.missionBranch(m)),
      keepBranches: this.branches.keeps(m.id),
      finalCommit: m.finalCommit,
      startedAt: m.startedAt,
      endedAt: m.endedAt,
    };
  }

  private applyCaps(rt: MissionRuntime): void {
    const caps = this.ctx.budgets;
    if (!caps) return;
    caps.setCap('mission', rt.mission.id, rt.mission.budgetNano);
    for (const team of rt.teams.values()) caps.setCap('team', scopedId(rt.mission.id, team.rec.id), team.rec.budgetNano);
    for (const a of rt.agents.values()) caps.setCap('agent', scopedId(rt.mission.id, a.rec.id), a.rec.budgetNano);
  }

  private workspaceOptions(m: MissionRecord) {
    return {
      repoPath: m.repoPath,
      baseBranch: m.baseBranch,
      missionId: m.id,
      teams: m.design.teams.map((t) => ({ id: t.id, coders: t.agents.filter((a) => a.role === 'coder').map((a) => a.id) })),
      rootDir: m.worktreeRoot,
      ...(m.setupCommand ? { setupCommand: m.setupCommand } : {}),
      copyFiles: m.copyFiles,
    };
  }

  private async openWorkspace(m: MissionRecord, create: boolean): Promise<MissionWorkspace> {
    const names = await this.branches.names(m, create);
    const options = { ...this.workspaceOptions(m), ...(names ? { names } : {}) };
    if (!create) return openMissionWorkspace(options);
    try {
      return await createMissionWorkspace(options);
    } catch (error) {
      // A start interrupted after the branches were made: pick them up rather than fail.
      if (error instanceof AppError && error.code === 'conflict') return openMissionWorkspace(options);
      throw error;
    }
  }

  private loadRuntime(m: MissionRecord, workspace: MissionWorkspace | null): MissionRuntime {
    let rt = this.runtimes.get(m.id);
    if (!rt) {
      rt = new MissionRuntime(this.ctx, m);
      this.runtimes.set(m.id, rt);
      rt.escalations.armTimers();
    }
    if (workspace && !rt.workspace) rt.workspace = workspace;
    return rt;
  }

  /** A loaded runtime without a workspace, for commands that need no git. */
  private runtimeSync(id: string): MissionRuntime {
    const existing = this.runtimes.get(id);
    if (existing) return existing;
    return this.loadRuntime(this.mustGet(id), null);
  }

  /** The mission's runtime with its workspace open (loading both from the ledger if needed). */
  private async runtime(id: string): Promise<MissionRuntime> {
    const existing = this.runtimes.get(id);
    if (existing?.workspace) return existing;
    const pending = this.loading.get(id);
    if (pending) return pending;
    const load = (async () => {
      const m = this.mustGet(id);
      const rt = this.loadRuntime(m, null);
      if (!rt.workspace && m.state !== 'draft') rt.workspace = await this.openWorkspace(m, false);
      return rt;
    })().finally(() => this.loading.delete(id));
    this.loading.set(id, load);
    return load;
  }
}

/** The commits each merge brought in (its second parent's side), newest merge first. */
async function contributedCommits(repo: string, merges: readonly string[]): Promise<CommitInfo[]> {
  const out: CommitInfo[] = [];
  for (const merge of merges) {
    if (merge === '') continue;
    out.push(...(await commitsBetween(repo, `${merge}^1`, `${merge}^2`).catch(() => [])));
  }
  return out;
}

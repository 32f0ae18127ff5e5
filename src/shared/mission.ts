import type { AgentRole } from './team.js';

/**
 * Missions as the UI and the CLI see them: snapshots only. The engine in main owns the
 * state (in the ledger); these are what commands answer and events carry.
 */

export const MISSION_STATES = [
  'draft',
  'planning',
  'awaiting_plan_approval',
  'running',
  'paused',
  'integrating',
  'done',
  'failed',
  'cancelled',
] as const;
export type MissionState = (typeof MISSION_STATES)[number];

/** Missions in these states never change again. */
export const FINAL_MISSION_STATES: readonly MissionState[] = ['done', 'failed', 'cancelled'];

/**
 * How a finished mission ended, which its state alone does not tell (a declined final
 * merge and a merged one are both 'done'): merged into the base branch, final merge
 * declined (the work stays on the mission branch), a pull request opened instead,
 * failed, or cancelled. Null while the mission has not ended.
 */
export const MISSION_RESULT_KINDS = ['merged', 'declined', 'pull_request', 'failed', 'cancelled'] as const;
export type MissionResultKind = (typeof MISSION_RESULT_KINDS)[number];

export const AGENT_STATES = [
  'starting',
  'idle',
  'working',
  'waiting_limiter',
  'waiting_tool',
  'waiting_escalation',
  'done',
  'killed',
  'failed',
] as const;
export type AgentState = (typeof AGENT_STATES)[number];

export const TASK_STATES = [
  'planned',
  'ready',
  'claimed',
  'in_progress',
  'submitted',
  'reviewed',
  'merged',
  'dead_letter',
  'cancelled',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const ESCALATION_TYPES = [
  'question',
  'permission',
  'plan_approval',
  'budget',
  'stall',
  'dead_letter',
  'merge_conflict',
  'final_merge',
  // The director's draft of each team's share, the phases and the interfaces, before any leader plans.
  'mission_brief',
] as const;
export type EscalationType = (typeof ESCALATION_TYPES)[number];

export const ESCALATION_DECISIONS = ['approve', 'deny', 'reply'] as const;
export type EscalationDecision = (typeof ESCALATION_DECISIONS)[number];

/** Mission tunables; every field has a default. */
export interface MissionSettings {
  /** Rejections before a task goes to the dead-letter queue. Default 3. */
  maxAttempts: number;
  /** Turns without a write or a submit before an agent counts as stalled. Default 6. */
  stallTurns: number;
  /** Idle agents are reaped after this many seconds (an agent's own setting wins). Default 120. */
  idleTimeoutSec: number;
  /** Per escalation type: decide automatically after `afterSec` with `action`. */
  escalationTimeouts: Partial<Record<EscalationType, { afterSec: number; action: 'approve' | 'deny' }>>;
  /** Most turns one job (a task claim, a review) may take before it counts as stalled. */
  maxTurnsPerJob: number;
  /**
   * A coder's write outside the paths its task owns: refused, naming whose path it is, or
   * asked of its leader, who allows or refuses it. Default 'refuse'; absent in missions
   * created before it existed, which read it as the default.
   */
  ownership: OwnershipPolicy;
}

/** What happens to a coder's write outside its task's owned paths (`MissionSettings.ownership`). */
export const OWNERSHIP_POLICIES = ['refuse', 'ask_leader'] as const;
export type OwnershipPolicy = (typeof OWNERSHIP_POLICIES)[number];

export const DEFAULT_MISSION_SETTINGS: MissionSettings = {
  maxAttempts: 3,
  stallTurns: 6,
  idleTimeoutSec: 120,
  escalationTimeouts: {},
  maxTurnsPerJob: 40,
  ownership: 'refuse',
};

export interface MissionSummary {
  id: string;
  name: string;
  designId: string;
  goal: string;
  state: MissionState;
  repoPath: string;
  baseBranch: string;
  budgetNanoUsd: number | null;
  /** Committed spend of every call of the mission, nano-dollars (from the calls ledger). */
  spentNanoUsd: number;
  /** Tasks of the current plan by state: a plan sent back ("Ask for changes") is not counted (`plan-rounds.ts`). */
  taskCounts: Partial<Record<TaskState, number>>;
  /** The plan round the leaders plan now: 0, plus one per plan sent back. */
  planRound: number;
  openEscalations: number;
  createdAt: string;
  updatedAt: string;
  /** What became of it: why it failed, or where the final merge went. */
  outcome: string | null;
  /** How it ended (merged, declined, pull request, failed, cancelled); null until it ends. */
  resultKind: MissionResultKind | null;
}

export interface MissionView extends MissionSummary {
  designRevision: number;
  skipPlanApproval: boolean;
  allowedCommands: string[];
  setupCommand: string | null;
  copyFiles: string[];
  settings: MissionSettings;
  missionBranch: string | null;
  /** Its team and coder branches outlive it (its own choice, else the Settings default); worktrees never do. */
  keepBranches: boolean;
  finalCommit: string | null;
  startedAt: string | null;
  endedAt: string | null;
}

/** Where a team is in its mission's phases: waiting for the teams it starts after, working, or merged into the mission branch. */
export type TeamPhaseState = 'waiting' | 'active' | 'merged';

/** What a team delivered once merged into the mission branch; later teams' leaders read it. */
export interface TeamDelivery {
  /** Files the team changed, from its start to its merge. */
  files: string[];
  /** Its plan summary and its merged tasks' submission summaries. */
  summary: string;
}

export interface MissionTeamView {
  id: string;
  name: string;
  budgetNanoUsd: number | null;
  planState: 'pending' | 'planning' | 'submitted';
  planSummary: string | null;
  /** 1 = starts at once; otherwise one more than the latest phase it waits for. */
  phase: number;
  /** Ids of the teams it starts after, in this mission. */
  after: string[];
  phaseState: TeamPhaseState;
  /** This mission's share of the goal for the team; null: planned from its brief. */
  share: string | null;
  /** Its weight in the rate limiter's fair share (1 = an equal share); the person sets it while the mission runs. */
  priorityWeight: number;
  /** True while the person has paused this team (its agents take no jobs). */
  paused: boolean;
  /** Where its branch started, once it is active. */
  startCommit: string | null;
  /** The mission branch's commit right after the team's merge. */
  mergedCommit: string | null;
  delivery: TeamDelivery | null;
}

export interface AgentView {
  missionId: string;
  id: string;
  teamId: string;
  name: string;
  role: AgentRole;
  model: string;
  state: AgentState;
  stateReason: string | null;
  currentTaskId: string | null;
  inputTokens: number;
  outputTokens: number;
  costNanoUsd: number;
  lastActivityAt: string;
}

export interface TaskView {
  id: string;
  missionId: string;
  teamId: string;
  key: string;
  title: string;
  description: string;
  acceptanceCriteria: string[];
  owns: string[];
  dependsOn: string[];
  /** The plan round it was planned in: a task of an earlier round than its team's current one was sent back. */
  planRound: number;
  state: TaskState;
  assignee: string | null;
  attempts: number;
  feedback: string | null;
  submissionSummary: string | null;
  mergedCommit: string | null;
  updatedAt: string;
}

export interface EscalationView {
  id: string;
  missionId: string;
  teamId: string | null;
  agentId: string | null;
  taskId: string | null;
  type: EscalationType;
  level: 'leader' | 'human';
  state: 'open' | 'resolved' | 'cancelled';
  title: string;
  detail: string;
  payload: Record<string, unknown>;
  decision: EscalationDecision | null;
  comment: string | null;
  alwaysAllow: boolean;
  decidedBy: 'human' | 'leader' | 'timeout' | 'engine' | null;
  timeoutAt: string | null;
  createdAt: string;
  decidedAt: string | null;
}

export interface MissionDetail {
  mission: MissionView;
  teams: MissionTeamView[];
  agents: AgentView[];
  tasks: TaskView[];
  escalations: EscalationView[];
}

export interface TranscriptEntry {
  id: number;
  conversation: string;
  seq: number;
  kind: 'message' | 'compaction';
  role: 'user' | 'assistant';
  /** Message content in Messages API wire shape. */
  content: unknown;
  createdAt: string;
}

/** What a mission log row is about; mirrors the ledger's `mission_log.kind`. */
export const MISSION_LOG_KINDS = ['mission', 'agent', 'task', 'escalation', 'decision', 'note'] as const;
export type MissionLogKind = (typeof MISSION_LOG_KINDS)[number];

/**
 * Who caused a log row: the person, a team leader (deciding for its team), an agent
 * (raising an escalation), or the engine itself (scheduling, timeouts, the reaper).
 */
export const MISSION_LOG_ACTORS = ['human', 'leader', 'agent', 'engine'] as const;
export type MissionLogActor = (typeof MISSION_LOG_ACTORS)[number];

/** One row of a mission's append-only log, as `missions:get-log` answers it. */
export interface MissionLogEntry {
  /** Increasing within the ledger: page with `afterId`. */
  id: number;
  at: string;
  kind: MissionLogKind;
  /** The mission, agent, task, escalation or team id the row is about. */
  subjectId: string;
  /** Its readable name (agent name, task title, escalation title) when known. */
  subjectName: string;
  /** The state it left, or null for a creation. */
  fromState: string | null;
  /** The state it entered, or the decision taken (approve, deny, reply). */
  toState: string | null;
  actor: MissionLogActor;
  /** One sentence a person can read, e.g. "Coder 1 was killed by the person". */
  summary: string;
}

import { z } from 'zod';
import {
  ESCALATION_DECISIONS,
  ESCALATION_TYPES,
  MISSION_STATES,
  OWNERSHIP_POLICIES,
  type MissionState,
  type AgentView,
  type EscalationView,
  type MissionDetail,
  type MissionLogEntry,
  type MissionSummary,
  type MissionTeamView,
  type MissionView,
  type TaskView,
  type TranscriptEntry,
} from '../mission.js';
import { missionBriefSchema, shareSchema } from '../mission-brief.js';
import type { MissionResult } from '../mission-result.js';
import { MAX_BUDGET_USD, NANO_PER_USD } from '../money.js';
import { quote } from '../quote.js';
import { LIMITS, repoPathSchema } from '../team.js';
import type { ProjectMemoryInfo } from '../project-memory.js';
import type { MissionTeamStatus } from '../team-status.js';
import { STEERING_MESSAGE_MAX, TEAM_WEIGHT_MAX, TEAM_WEIGHT_MIN, type SteeringMessageView, type TeamPriorityView } from '../steering.js';
import { command } from './define.js';

const id = z.string().min(1, 'must not be empty').max(64);
const byId = z.object({ id }).strict();
const byMission = z.object({ missionId: id }).strict();

const escalationTimeoutSchema = z
  .object({
    afterSec: z.number().int().min(1).max(7 * 86_400),
    action: z.enum(['approve', 'deny']),
  })
  .strict();

/** Mission tunables a caller may override; the rest keep their defaults. */
export const missionSettingsSchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(20),
    stallTurns: z.number().int().min(2).max(100),
    idleTimeoutSec: z.number().int().min(LIMITS.minIdleTimeoutSec).max(LIMITS.maxIdleTimeoutSec),
    escalationTimeouts: z.partialRecord(z.enum(ESCALATION_TYPES), escalationTimeoutSchema),
    maxTurnsPerJob: z.number().int().min(5).max(500),
    ownership: z.enum(OWNERSHIP_POLICIES),
  })
  .partial()
  .strict();

/**
 * A file copied into every coder worktree (e.g. `.env`): a path inside the repository,
 * refused at create rather than when the mission starts, and never into `.git`.
 */
const copyPathSchema = repoPathSchema.refine(
  (p) => p !== '.' && !p.includes('\0') && !p.split(/[\\/]/).includes('.git'),
  { error: (issue) => `cannot be copied into worktrees: ${quote(issue.input)} is not a file of the repository` },
);

export const createMissionSchema = z
  .object({
    designId: id,
    goal: z.string().trim().min(1, 'must not be empty').max(20_000),
    name: z.string().trim().min(1).max(120).optional(),
    repoPath: z.string().trim().min(1, 'must not be empty').max(4_096),
    baseBranch: z.string().trim().min(1).max(250).default('main'),
    /** Dollars, for people; converted exactly. Give this or `budgetNanoUsd`, not both. */
    budgetUsd: z.number().min(0).max(MAX_BUDGET_USD).optional(),
    budgetNanoUsd: z
      .number()
      .int()
      .min(0)
      .max(MAX_BUDGET_USD * NANO_PER_USD)
      .optional(),
    skipPlanApproval: z.boolean().default(false),
    allowedCommands: z.array(z.string().trim().min(1).max(LIMITS.commandLength)).max(LIMITS.listLength).default([]),
    setupCommand: z.string().trim().min(1).max(LIMITS.commandLength).optional(),
    copyFiles: z.array(copyPathSchema).max(LIMITS.listLength).default([]),
    settings: missionSettingsSchema.optional(),
    /** Team id → the person's share of this mission's goal for that team (pre-filled from the team briefs). */
    teamShares: z.record(id, shareSchema).optional(),
    /** Ask the director to draft each team's share, the phases and the interfaces; the person approves it before any leader plans. */
    director: z.boolean().optional(),
  })
  .strict()
  .refine((r) => r.budgetUsd === undefined || r.budgetNanoUsd === undefined, {
    message: 'give budgetUsd or budgetNanoUsd, not both',
    path: ['budgetUsd'],
  });
export type CreateMissionRequest = z.output<typeof createMissionSchema>;

export const decideEscalationSchema = z
  .object({
    id,
    decision: z.enum(ESCALATION_DECISIONS),
    comment: z.string().max(8_000).default(''),
    /** Permission escalations: also add the command to the team's allowlist. */
    alwaysAllow: z.boolean().default(false),
    /** Budget escalations: the mission's new cap, applied before the agent retries. */
    budgetNanoUsd: z
      .number()
      .int()
      .min(0)
      .max(MAX_BUDGET_USD * NANO_PER_USD)
      .optional(),
    /** The director's draft (`mission_brief`) only: the brief as the person edited it, approved with the decision. */
    brief: missionBriefSchema.optional(),
  })
  .strict()
  .refine((r) => r.decision !== 'reply' || r.comment.trim() !== '', {
    message: 'a reply needs a comment',
    path: ['comment'],
  });
export type DecideEscalationRequest = z.output<typeof decideEscalationSchema>;

const byTeam = z.object({ missionId: id, teamId: id }).strict();

/** Steering a running mission (`engine/steering.ts`): each is a ledger row and survives a restart. */
const steeringCommands = {
  /** A message to a team's leader; it reaches the leader at its next turn. */
  'missions:message-leader': command<SteeringMessageView>()(
    z
      .object({
        missionId: id,
        teamId: id,
        text: z.string().trim().min(1, 'must not be empty').max(STEERING_MESSAGE_MAX),
      })
      .strict(),
  ),
  'missions:list-messages': command<SteeringMessageView[]>()(byMission),
  /** A team's weight in the shared rate limiter's fair share (1 = equal to the others). */
  'missions:set-team-priority': command<MissionTeamView>()(
    z.object({ missionId: id, teamId: id, weight: z.number().min(TEAM_WEIGHT_MIN).max(TEAM_WEIGHT_MAX) }).strict(),
  ),
  'missions:add-coder': command<AgentView>()(
    z
      .object({
        missionId: id,
        teamId: id,
        name: z.string().trim().min(1).max(LIMITS.nameLength).optional(),
        model: z.string().trim().min(1).max(100).optional(),
      })
      .strict(),
  ),
  'missions:remove-coder': command<AgentView>()(z.object({ missionId: id, agentId: id }).strict()),
  /** Every team of the started, unfinished missions and its priority, for the rate-limit gauges. */
  'missions:list-team-priorities': command<TeamPriorityView[]>()(z.object({}).strict()),
  'missions:pause-team': command<MissionTeamView>()(byTeam),
  'missions:resume-team': command<MissionTeamView>()(byTeam),
};

/** Readable branches and clean-up (`engine/mission-branches.ts`). */
const cleanUpCommands = {
  /** What done, failed and cancelled missions left behind; nothing of a working or paused mission. */
  'missions:list-leftovers': command<LeftoversView>()(z.object({}).strict()),
  /** Removes what the given finished missions (default: every finished one) left; any other mission is refused. */
  'missions:clean-up': command<CleanUpResult>()(
    z.object({ missionIds: z.array(id).min(1, 'name at least one mission, or leave it out for all').max(1_000).optional() }).strict(),
  ),
  /** Keep (true) or delete (false) the mission's team and coder branches when it ends; null follows Settings. */
  'missions:set-keep-branches': command<MissionView>()(z.object({ id, keepBranches: z.boolean().nullable() }).strict()),
};

export const missionsCommands = {
  'missions:create': command<MissionView>()(createMissionSchema),
  'missions:list': command<MissionSummary[]>()(
    z.object({ states: z.array(z.enum(MISSION_STATES)).max(MISSION_STATES.length).optional() }).strict(),
  ),
  'missions:get': command<MissionDetail>()(byId),
  'missions:start': command<MissionView>()(byId),
  'missions:pause': command<MissionView>()(byId),
  'missions:resume': command<MissionView>()(byId),
  'missions:cancel': command<MissionView>()(byId),
  'agents:list': command<AgentView[]>()(byMission),
  'agents:kill': command<AgentView>()(z.object({ missionId: id, agentId: id }).strict()),
  'agents:kill-team': command<AgentView[]>()(z.object({ missionId: id, teamId: id }).strict()),
  'agents:kill-idle': command<{ killed: string[] }>()(z.object({ missionId: id.optional() }).strict()),
  'agents:get-transcript': command<TranscriptEntry[]>()(
    z
      .object({
        missionId: id,
        agentId: id,
        /** Only entries after this id: the UI polls the tail. */
        afterId: z.number().int().min(0).optional(),
        limit: z.number().int().min(1).max(2_000).default(500),
      })
      .strict(),
  ),
  'tasks:list': command<TaskView[]>()(byMission),
  'escalations:list': command<EscalationView[]>()(
    z.object({ missionId: id.optional(), openOnly: z.boolean().default(false) }).strict(),
  ),
  'escalations:decide': command<EscalationView>()(decideEscalationSchema),
  'missions:get-log': command<MissionLogEntry[]>()(
    z
      .object({
        missionId: id,
        /** Only rows after this id, oldest first: the UI fetches the tail as it grows. */
        afterId: z.number().int().min(0).optional(),
        limit: z.number().int().min(1).max(2_000).default(500),
      })
      .strict(),
  ),
  /** Each team's task counts, open blockers, finish estimate and velocity figures, measured from the ledger now. */
  'missions:get-team-status': command<MissionTeamStatus>()(byMission),
  /** What a mission delivered, by whom, at what cost and time, and how it ended (`mission-result.ts`). */
  'missions:get-result': command<MissionResult>()(byId),
  /** The repository's CLAUDE.md (size in lines and tokens), or null without one: the launch form weighs its cost. */
  'missions:check-project-memory': command<ProjectMemoryInfo | null>()(
    z.object({ repoPath: z.string().trim().min(1, 'must not be empty').max(4_096) }).strict(),
  ),
  ...steeringCommands,
  ...cleanUpCommands,
};

/** What one finished mission left behind, as found on disk (`missions:list-leftovers`). */
export interface MissionLeftovers {
  missionId: string;
  name: string;
  state: MissionState;
  repoPath: string;
  endedAt: string | null;
  /** Its worktrees still registered with git. */
  worktrees: string[];
  /** Its team and coder (and conflict-resolution) branches; clean-up deletes them. */
  branches: string[];
  /** The mission branch, which clean-up keeps (it holds the mission's work). */
  missionBranch: string | null;
  /** Its worktree folder when it is still on disk; clean-up removes it. */
  worktreeDir: string | null;
  /** Bytes in the worktree folder; null when counting would be slow (a node_modules). */
  sizeBytes: number | null;
  /** Its branches were kept (Settings or its own choice); clean-up still deletes them when asked. */
  keepBranches: boolean;
}

/** Branches under `cr/<slug>/` of a repository no mission of this ledger owns: listed, never removed. */
export interface UnknownLeftovers {
  repoPath: string;
  slug: string;
  branches: string[];
}

export interface LeftoversView {
  missions: MissionLeftovers[];
  unknown: UnknownLeftovers[];
}

export interface CleanUpResult {
  /** What went, per mission (missions with nothing left are not listed). */
  missions: { missionId: string; worktrees: string[]; branches: string[] }[];
}

export interface MissionsEvents {
  'missions:changed': MissionSummary;
  /** A team of a mission changed: its plan, phase, share, delivery, priority or pause (coalesced per team). */
  'missions:team-changed': MissionTeamView & { missionId: string };
  /** Coalesced per agent: only the latest snapshot of a busy agent is delivered. */
  'agents:changed': AgentView;
  'tasks:changed': TaskView;
  'escalations:changed': EscalationView;
}

import { z } from 'zod';
import {
  ESCALATION_DECISIONS,
  ESCALATION_TYPES,
  MISSION_STATES,
  type AgentView,
  type EscalationView,
  type MissionDetail,
  type MissionLogEntry,
  type MissionSummary,
  type MissionView,
  type TaskView,
  type TranscriptEntry,
} from '../mission.js';
import { MAX_BUDGET_USD, NANO_PER_USD } from '../money.js';
import { LIMITS } from '../team.js';
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
  })
  .partial()
  .strict();

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
    copyFiles: z.array(z.string().trim().min(1).max(1_000)).max(LIMITS.listLength).default([]),
    settings: missionSettingsSchema.optional(),
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
  })
  .strict()
  .refine((r) => r.decision !== 'reply' || r.comment.trim() !== '', {
    message: 'a reply needs a comment',
    path: ['comment'],
  });
export type DecideEscalationRequest = z.output<typeof decideEscalationSchema>;

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
};

export interface MissionsEvents {
  'missions:changed': MissionSummary;
  /** Coalesced per agent: only the latest snapshot of a busy agent is delivered. */
  'agents:changed': AgentView;
  'tasks:changed': TaskView;
  'escalations:changed': EscalationView;
}

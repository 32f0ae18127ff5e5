import { z } from 'zod';
import type { AgentRole } from '../../shared/team.js';
import { workspaceSchema, type ModelReply, type TurnResult, type TurnWorkspace } from '../tools/remote-turn.js';

export {
  modelReplySchema,
  toolResultSchema,
  toolUseSchema,
  turnResultSchema,
  type ModelReply,
  type ModelRpcReply,
  type TurnResult,
  type TurnToolResult,
  type TurnToolUse,
  type TurnWorkspace,
} from '../tools/remote-turn.js';

/**
 * What crosses the wire between the control room and its fleet workers, in one place.
 *
 * The split: the control room keeps every model call (one gateway, so one shared rate
 * limiter, exact budgets and one ledger, with the API key never leaving it) and all
 * orchestration; a worker runs an agent's *turn*: it asks the control room for the
 * model's reply (the model RPC), runs the reply's workspace tools (files, allowlisted
 * commands) in its own clone of the mission's repository, pushes the coder's work to a
 * fleet ref, and returns the tool results. Turns travel as BullMQ jobs on Redis.
 *
 * The results travel twice: the worker reports them to the control room over the fleet API
 * (the result report, the fast path: one HTTP request instead of BullMQ's completion and
 * its events stream) and then returns them as the job's value (the durable copy, which the
 * control room waits for only when the report could not be delivered).
 */

/** The BullMQ queue of agent turns. */
export const TURN_QUEUE = 'control-room-turns';
/** Turns that failed past their retries, kept for the person (each is also an inbox item). */
export const DEAD_LETTER_QUEUE = 'control-room-dead-letters';
/** Redis key prefix of worker heartbeats (`<prefix><workerId>`, with a TTL). */
export const WORKER_KEY_PREFIX = 'control-room:workers:';
/** How often a worker writes its heartbeat, and how long one lives. */
export const HEARTBEAT_MS = 1_000;
export const HEARTBEAT_TTL_MS = 5_000;

/**
 * BullMQ priorities (1 is served first): leaders plan and review ahead of everything,
 * then reviewers and researchers (they unblock coders), then coders' turns.
 */
export function turnPriority(role: AgentRole): number {
  switch (role) {
    case 'leader':
      return 1;
    case 'reviewer':
      return 2;
    case 'researcher':
      return 3;
    default:
      return 10;
  }
}

/** One turn job's data. Validated by the worker: Redis is shared, a bad job fails alone. */
export const turnJobSchema = z.object({
  turnId: z.string().min(1).max(500),
  missionId: z.string(),
  agentId: z.string(),
  agentName: z.string(),
  role: z.enum(['leader', 'coder', 'reviewer', 'researcher']),
  /** The control room's fleet API and the token that authenticates this turn's calls to it. */
  control: z.object({ url: z.string().url(), token: z.string().min(16) }),
  /** Null for agents that work in no worktree (leaders, reviewers, researchers). */
  workspace: workspaceSchema.nullable(),
  /** When the control room queued it (epoch ms), for wait times. */
  queuedAt: z.number(),
});
export type TurnJob = z.infer<typeof turnJobSchema>;

/** What a worker sends with its model RPC: who asks, and what the control room needs to take a result it can tell itself. */
export const modelAskSchema = z.object({
  workerId: z.string().min(1).max(200),
  /** The job's wait in the queue, as in the result. */
  waitMs: z.number().nonnegative(),
});
export type ModelAsk = z.infer<typeof modelAskSchema>;

/**
 * The result of a turn whose reply leaves its worker nothing to run: no reply (blocked,
 * retry, stopped), or a reply to an agent without a workspace (every tool use is the
 * control room's). Null when the worker has tools to run. The control room takes such a
 * result as it answers the model RPC (one hop instead of three) and answers `reported`;
 * the worker gets to the same result by the same rule when it is given a plain reply.
 */
export function resultWithoutWorker(workspace: TurnWorkspace | null, reply: ModelReply, ask: ModelAsk): TurnResult | null {
  if (reply.kind !== 'reply') return { reply: reply.kind, results: [], ...ask };
  if (workspace !== null) return null;
  return { reply: 'reply', results: reply.uses.map((use) => ({ ran: false, toolUseId: use.id })), ...ask };
}

/** What a worker's heartbeat says of it. */
export const workerBeatSchema = z.object({
  id: z.string(),
  host: z.string(),
  pid: z.number(),
  concurrency: z.number(),
  active: z.number(),
  processed: z.number(),
  startedAt: z.number(),
  draining: z.boolean(),
});
export type WorkerBeat = z.infer<typeof workerBeatSchema>;

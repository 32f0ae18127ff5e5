import { z } from 'zod';
import type { AgentRole } from '../../shared/team.js';

/**
 * An agent's turn run somewhere else (a fleet worker): the workspace it runs in, the
 * model reply it is handed and the results it returns, and the port the engine's queued
 * runtime drives. Both the engine and the fleet build on these shapes, so neither needs
 * the other; the fleet's wire (queues, jobs, heartbeats) is `fleet/protocol.ts`.
 */

export const workspaceSchema = z.object({
  /** Where the worker clones from and pushes to: a path or any git URL it can reach. */
  repoUrl: z.string().min(1),
  /** The coder's branch in that repository; the work starts from it. */
  coderBranch: z.string().min(1),
  /** The coder branch's commit when the job began: fleet commits sit on top of it. */
  base: z.string().regex(/^[0-9a-f]{40,64}$/),
  /** Where the worker pushes the work of this job (a ref outside refs/heads). */
  fleetRef: z.string().regex(/^refs\/control-room\/fleet\/[A-Za-z0-9._/-]+$/),
  writeScope: z.array(z.string()),
  /**
   * The paths the coder's task owns (empty or absent: no ownership, the write scope alone).
   * A write outside them is left to the control room, whose permission policy refuses it or
   * asks the leader; once approved, the model RPC lists it in `approved` and the worker runs it.
   */
  ownedPaths: z.array(z.string()).max(200).optional(),
  allowedCommands: z.array(z.string()),
  commandTimeoutMs: z.number().int().positive(),
});
export type TurnWorkspace = z.infer<typeof workspaceSchema>;

/** A tool use of the model's reply, as the model RPC returns it. */
export const toolUseSchema = z.object({
  id: z.string(),
  name: z.string(),
  input: z.record(z.string(), z.unknown()),
  /** Set when the provider could not parse the model's input; the tool answers with it. */
  inputError: z.string().optional(),
});
export type TurnToolUse = z.infer<typeof toolUseSchema>;

/** What one tool use came to on the worker. */
export const toolResultSchema = z.discriminatedUnion('ran', [
  z.object({
    ran: z.literal(true),
    toolUseId: z.string(),
    content: z.string(),
    isError: z.boolean(),
    progress: z.boolean(),
  }),
  /** Left to the control room: an orchestration tool, a command that needs permission, or a tool after one. */
  z.object({ ran: z.literal(false), toolUseId: z.string() }),
]);
export type TurnToolResult = z.infer<typeof toolResultSchema>;

/** A turn job's return value. */
export const turnResultSchema = z.object({
  reply: z.enum(['reply', 'blocked', 'retry', 'stopped']),
  results: z.array(toolResultSchema),
  workerId: z.string(),
  /** Milliseconds the job waited in the queue before a worker took it. */
  waitMs: z.number(),
});
export type TurnResult = z.infer<typeof turnResultSchema>;

/**
 * The control room's answer to a worker's model RPC. `reported`: this turn's result was
 * already reported (an earlier attempt reported it, then its job stalled before BullMQ
 * completed it); the worker runs nothing and completes the job with that result.
 */
export const modelReplySchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('reply'),
    /** The reply's tool uses still without results, in order. */
    uses: z.array(toolUseSchema),
    /** Tool use ids of commands the person (or the leader) allowed: the worker may run them. */
    approved: z.array(z.string()),
  }),
  /** The agent must wait (a budget escalation) or try later (its pool is stopped): no tools run. */
  z.object({ kind: z.enum(['blocked', 'retry', 'stopped']) }),
  z.object({ kind: z.literal('reported'), result: turnResultSchema }),
]);
/** What the model RPC may answer, as the worker reads it. */
export type ModelRpcReply = z.infer<typeof modelReplySchema>;
/** What the engine answers for a turn (`TurnRequest.model`): `reported` is the control room's own. */
export type ModelReply = Exclude<ModelRpcReply, { kind: 'reported' }>;

/** The part of the fleet the engine's queued runtime needs (`fleet/fleet-control.ts` serves it). */
export interface RemoteTurns {
  runTurn(request: {
    key: string;
    missionId: string;
    agentId: string;
    agentName: string;
    role: AgentRole;
    workspace: TurnWorkspace | null;
    model(): Promise<ModelReply>;
    signal: AbortSignal;
  }): Promise<TurnResult>;
}

/** Thrown by `RemoteTurns.runTurn` for a turn that failed past its retries (it is dead-lettered). */
export function isDeadLettered(error: unknown): error is Error & { reason: string; attempts: number } {
  return error instanceof Error && error.name === 'TurnDeadLettered';
}

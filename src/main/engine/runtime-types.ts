import type { EventName, EventPayload } from '../../shared/contract.js';
import type { AgentState, EscalationDecision, EscalationType, TaskState } from '../../shared/mission.js';
import type { AgentSpec } from '../../shared/team.js';
import type { Clock } from '../limiter/clock.js';
import type { ModelGateway } from '../calls/gateway-types.js';
import type { FileTools } from '../workspace/file-tools.js';
import type { ToolOutcome } from '../tools/agent-tools.js';
import type { Conversation } from './conversation.js';
import type { AgentRecord, MissionRecord, MissionStore, TaskRecord, TeamRecord } from '../ledger/mission-repository.js';
import type { ClaudeCodeEnvironment } from './runtimes/claude-code.js';
import type { RemoteTurns } from '../tools/remote-turn.js';

/**
 * The shapes the mission hub (`mission-runtime.ts`), its roles (`roles/`) and the agent
 * runtimes (`runtimes/`) share. Types and a few constants only, so any of them can
 * import it without pulling in the others.
 */

/** Where the engine's events go: the EventHub in the app, a collector in tests. */
export interface EngineEventSink {
  emit<E extends EventName>(name: E, payload: EventPayload<E>, coalesceKey?: string): void;
}

/** Budget caps the gateway enforces; the engine tells it the mission's, teams' and agents'. */
export interface BudgetCapSink {
  setCap(scope: 'mission' | 'team' | 'agent', id: string, capNano: number | null): void;
}

/** Where team weights go: the shared rate limiter, keyed as the gateway keys a mission's team (`scopedId`). */
export interface TeamWeightSink {
  setTeamWeight(teamKey: string, weight: number): void;
}

/** The engine's options once defaults are applied. */
export interface ResolvedEngineOptions {
  compactionModel: string;
  /** Tokens above which a conversation is compacted before the next call. */
  contextLimit: (model: string) => number;
  maxTokensPerCall: number;
  commandTimeoutMs: number;
  /** How long an agent whose pool is stopped waits before it tries again. */
  poolRetryMs: number;
  /** Whether built-in agents' calls carry prompt-cache breakpoints (off only to measure what caching saves). */
  promptCaching: boolean;
}

/** What every runtime shares with the engine. */
export interface EngineContext {
  store: MissionStore;
  gateway: ModelGateway;
  events: EngineEventSink;
  clock: Clock;
  options: ResolvedEngineOptions;
  budgets: BudgetCapSink | undefined;
  /** The Claude Code runtime's gateway, binary and session store; absent, Claude Code agents fail with a reason. */
  claudeCode?: ClaudeCodeEnvironment | undefined;
  /** When set, built-in agents' turns run on fleet workers (BullMQ on Redis) instead of in this process. */
  fleet?: { turns: RemoteTurns; repoUrl?: string | undefined } | undefined;
  logError(what: string, error: unknown): void;
  /** The shared rate limiter's team weights (steering sets a team's priority there). */
  teamWeights?: TeamWeightSink | undefined;
  /** A mission reached done, failed or cancelled (its worktrees and branches are cleaned up). */
  missionEnded?: ((mission: MissionRecord) => void) | undefined;
}

/** Thrown inside an agent's job to stop it quietly: killed, paused, cancelled, or the ledger closed. */
export class Halt extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'Halt';
  }
}

/** One agent of a loaded mission: its ledger row and what its current job holds. */
export interface AgentRt {
  rec: AgentRecord;
  spec: AgentSpec | undefined;
  /** The running job, if any: at most one per agent. */
  loop: Promise<void> | null;
  /** Aborts the model call in flight (kill, cancel, dispose). */
  abort: AbortController | null;
  conv: Conversation | null;
  files: FileTools | null;
  usage: { input: number; output: number; cost: number };
  lastActivityMs: number;
}

/** One team of a loaded mission and its agents by role. */
export interface TeamRt {
  rec: TeamRecord;
  leader: AgentRt | undefined;
  coders: AgentRt[];
  /** Review submissions in the leader's place while any is alive. */
  reviewers: AgentRt[];
  /** Answer coders' questions in the leader's place while any is alive. */
  researchers: AgentRt[];
  all: AgentRt[];
  /** The team's tasks of plan round `round`, in plan order: scheduling never scans other teams. */
  tasks: Map<string, TaskRecord>;
  round: number;
}

export type { ToolOutcome } from '../tools/agent-tools.js';

/** How a job's turn loop ended: a tool ended it, the agent must wait, or it stopped making progress. */
export type LoopEnd = 'ended' | 'blocked' | 'stalled';

/** What the hub's `raise` needs to create an escalation. */
export interface RaiseInput {
  type: EscalationType;
  level: 'leader' | 'human';
  teamId: string | null;
  agentId: string | null;
  taskId: string | null;
  title: string;
  detail: string;
  payload: Record<string, unknown>;
  toolUseId?: string;
  /** Decided at once (e.g. by the leader's policy): nobody waits for it. */
  resolveAs?: { decision: EscalationDecision; decidedBy: 'leader' | 'engine'; comment: string };
}

/** A decision on an escalation, by the person, a leader or a timeout. */
export interface DecisionInput {
  decision: EscalationDecision;
  comment: string;
  decidedBy: 'human' | 'leader' | 'timeout';
  alwaysAllow?: boolean;
  budgetNano?: number;
}

export const TERMINAL_AGENT: readonly AgentState[] = ['done', 'killed', 'failed'];
export const TERMINAL_TASK: readonly TaskState[] = ['merged', 'dead_letter', 'cancelled'];
export const ACTIVE_TASK: readonly TaskState[] = ['claimed', 'in_progress'];
/** Escalations that block the agent that raised them until they are decided. */
export const BLOCKING: readonly EscalationType[] = ['question', 'permission', 'budget', 'stall'];
/** Review feedback that starts with this means the work cannot be reworked in place. */
export const CONFLICT_FEEDBACK = 'Your work conflicts with the team branch';

/** Whether an agent can still work (it is not done, killed or failed). */
export function alive(a: AgentRt): boolean {
  return !TERMINAL_AGENT.includes(a.rec.state);
}

/** An error's message, for logs and the ledger. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A synchronous tool outcome where a handler must return a promise. */
export function done(outcome: ToolOutcome): Promise<ToolOutcome> {
  return Promise.resolve(outcome);
}

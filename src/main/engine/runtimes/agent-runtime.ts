import type { AgentState } from '../../../shared/mission.js';
import type { ConversationMessage, RequestToolUseBlock } from '../../llm/provider.js';
import type { Conversation } from '../conversation.js';
import type { AgentRecord, EscalationRecord, MissionRecord } from '../../ledger/mission-repository.js';
import type { ToolSet } from '../../tools/agent-tools.js';
import type { MissionWorkspace } from '../../workspace/mission-workspace.js';
import type { AgentPolicy, AskVerdict } from '../escalations/permission-policy.js';
import type { AgentRt, EngineContext, LoopEnd, RaiseInput, TeamRt, ToolOutcome } from '../runtime-types.js';

/**
 * The seam between the mission and whatever runs an agent's turns. A role (`roles/`)
 * prepares a job (its transcript with the first prompt, its Control Room tools and what
 * they do) and hands it to the driver the hub picks for the agent (`driverFor` in
 * `mission-runtime.ts`); the driver runs turns until a tool ends the job, the agent must
 * wait for an escalation, or it stops making progress. The built-in driver
 * (`built-in.ts`) calls the model through the gateway itself; another runtime may run
 * the agent elsewhere and route its Control Room tool calls back through `handle`.
 */

/** One job of one agent: its transcript, the Control Room tools it may call and what they do. */
export interface AgentJob {
  kind: 'plan' | 'task' | 'review' | 'escalation' | 'message';
  team: TeamRt;
  agent: AgentRt;
  /** Opened, with its first user prompt already appended. */
  conv: Conversation;
  /** This job's Control Room tools. */
  tools: ToolSet;
  /** The task the job is about (billing rows carry it); null while planning. */
  taskId: string | null;
  /** Carries out one validated Control Room tool call. */
  handle(use: RequestToolUseBlock, input: Record<string, unknown>): Promise<ToolOutcome>;
}

/** Runs an agent's job to its end. Throws `Halt` when the agent or mission stops meanwhile. */
export interface AgentRuntimeDriver {
  run(job: AgentJob): Promise<LoopEnd>;
}

/**
 * What the mission hub offers a driver. Every state change goes through it, so the
 * ledger, the events and the scheduler see a driver's agents like any other.
 */
export interface AgentHost {
  /** The ledger, gateway, events, clock and options of the engine. */
  readonly ctx: EngineContext;
  /** The mission as it is now (its settings bound the loop: `stallTurns`, `maxTurnsPerJob`). */
  readonly mission: MissionRecord;
  /** The clock's now as an ISO string, for ledger rows. */
  now(): string;
  /** Moves an agent to a state (a ledger row, a log row when it changed, an event). */
  setAgentState(agent: AgentRt, state: AgentState, reason?: string | null, patch?: Partial<AgentRecord>): void;
  /** Writes the stall counter alone (turns without a write or a submit). */
  setStallCounter(agent: AgentRt, turns: number): void;
  /** Appends a message to the agent's transcript (and its ledger rows). */
  appendMessage(agent: AgentRt, conv: Conversation, message: ConversationMessage, usage?: { inputTokens: number; outputTokens: number }): void;
  /** Throws `Halt` unless the agent may go on: ledger open, agent not terminal, mission active. */
  ensureRunnable(agent: AgentRt): void;
  /** Creates an escalation; a blocking one sets its raiser `waiting_escalation`. */
  raise(input: RaiseInput): EscalationRecord;
  /** Re-reads an agent's spend from the calls ledger (after an abort, whose partial usage only the gateway knows). */
  refreshUsage(agent: AgentRt): void;
  /** The agent's system prompt: who it is, in which team, plus its design's own prompt. */
  systemPrompt(agent: AgentRt, team: TeamRt): string;
  /**
   * Where the job's agent works: a coder's own worktree for a task; for a review, the
   * worktree of the coder whose submission it is (the submitted code and where its
   * tests run); the team's worktree for planning and escalations.
   */
  workdir(job: Pick<AgentJob, 'kind' | 'team' | 'agent' | 'taskId'>): string;
  /** The commands a coder may run without asking: the mission's, its own, and the team's "always allow" rules. */
  coderAllowlist(team: TeamRt, agent: AgentRt): string[];
  /** Every command anyone in the team may run (what its leader may allow at once). */
  teamAllowlist(team: TeamRt): string[];
  /**
   * The permission policy of the job's agent (`escalations/permission-policy.ts`), working
   * in `root`: what `decide` checks its tool uses against, whichever runtime runs it.
   */
  policyFor(job: Pick<AgentJob, 'kind' | 'team' | 'agent'>, root: string): AgentPolicy;
  /**
   * Raises what the policy asked about for one tool use: decided at once by the leader's
   * policy (`ask_leader`), otherwise open for the person; the agent waits while it is open.
   */
  raisePermission(team: TeamRt, agent: AgentRt, taskId: string | null, use: RequestToolUseBlock, ask: AskVerdict): EscalationRecord;
  /** The escalation a tool use of the agent raised, if any: how a resumed agent finds its answer. */
  escalationForTool(agent: AgentRt, toolUseId: string): EscalationRecord | undefined;
  /** The mission's worktrees and branches, or an AppError when the mission has none open. */
  requireWorkspace(): MissionWorkspace;
  /** Adds the person's undelivered messages to the agent's conversation before its next turn (`steering.ts`). */
  deliverMessages?(agent: AgentRt, conv: Conversation): void;
  /** A Claude Code prompt with the person's undelivered messages after it; they are then delivered. */
  withMessages?(agent: AgentRt, conv: Conversation, prompt: string): string;
}

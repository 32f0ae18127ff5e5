import type { MissionState } from '../../shared/mission.js';
import type { MissionWorkspace } from '../workspace/mission-workspace.js';
import type { Conversation } from './conversation.js';
import type { AgentRecord, EscalationRecord, MissionRecord, TaskRecord } from '../ledger/mission-repository.js';
import type { AgentRt, DecisionInput, TeamRt } from './runtime-types.js';
import type { AgentHost, AgentRuntimeDriver } from './runtimes/agent-runtime.js';

/**
 * What the mission hub (`MissionRuntime`) offers the modules it delegates to: the roles
 * (`roles/`), escalations and integration. A typed host rather than public methods, so
 * the hub's maps and indexes stay private and every change still goes through the hub
 * (ledger first, then memory, then events). The agent runtimes get the narrower
 * {@link AgentHost}.
 */
export interface MissionHost extends AgentHost {
  readonly teams: ReadonlyMap<string, TeamRt>;
  readonly agents: ReadonlyMap<string, AgentRt>;
  readonly tasks: ReadonlyMap<string, TaskRecord>;
  readonly escalations: ReadonlyMap<string, EscalationRecord>;
  /** Escalations still open, by id. */
  readonly openEscalations: ReadonlyMap<string, EscalationRecord>;
  readonly workspace: MissionWorkspace | null;

  // ---- state changes (ledger first, then memory, then events)
  setMissionState(state: MissionState, detail?: Record<string, unknown>, patch?: Partial<MissionRecord>): void;
  /** A new mission budget (a budget decision raised it): saved and told to the gateway's caps. */
  setMissionBudget(budgetNano: number): void;
  /** Saves a task (and a log row when its state changed); call inside or outside a transaction. */
  saveTask(task: TaskRecord, patch: Partial<TaskRecord>, detail?: Record<string, unknown>): TaskRecord;
  /** A task a leader just planned: its row, a log row, the indexes and an event. */
  addTask(task: TaskRecord): void;
  /** Saves an agent's row without a log row or an event (bookkeeping such as clearing `currentTaskId`). */
  saveAgentQuiet(agent: AgentRt, patch: Partial<AgentRecord>): void;
  /** A command the person allowed for good for a team (its ledger row is the caller's). */
  addRule(teamId: string, command: string): void;
  emitEscalation(esc: EscalationRecord): void;
  /** The mission's summary changed (counts, open escalations). */
  emitMission(): void;

  // ---- scheduling and lifecycle
  /** The team's tasks of the current plan round, in plan order. */
  teamTasks(team: TeamRt): TaskRecord[];
  /** The agent's transcript for a job key, loaded from the ledger if it is not the one in memory. */
  openConversation(agent: AgentRt, key: string): Conversation;
  /** The runtime that runs the agent's jobs. */
  driverFor(agent: AgentRt): AgentRuntimeDriver;
  kick(team: TeamRt): void;
  kickAll(): void;
  /** Wakes the agents that review and answer for a team (its leader, reviewers, researchers). */
  wakeLeads(team: TeamRt): void;
  /** Planned tasks become ready and coders start. */
  startRunning(reason: string): void;
  pause(reason: string): void;
  cancel(reason: string): void;

  // ---- escalations and integration
  decide(id: string, d: DecisionInput): Promise<EscalationRecord>;
  /** A leader (or researcher) passes an escalation on to the person. */
  escalateToHuman(esc: EscalationRecord, reason: string, by: string): void;
  /** Merges the team branches into the mission branch, then asks for the final merge. */
  integrate(): void;
  /** Merges the mission branch into the base branch. */
  finalize(): Promise<void>;
}

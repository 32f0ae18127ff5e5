import type { MissionState } from '../../shared/mission.js';
import type { Conversation } from './conversation.js';
import type { Decisions } from './escalations/decisions.js';
import type { Escalations } from './escalations/escalations.js';
import type { AgentRecord, MissionRecord, TaskRecord, TeamRecord } from '../ledger/mission-repository.js';
import type { AgentRt, TeamRt } from './runtime-types.js';
import type { AgentHost, AgentRuntimeDriver } from './runtimes/agent-runtime.js';

/**
 * What the mission hub (`MissionRuntime`) offers the roles (`roles/`) and the final
 * merges (`integration.ts`). A typed host rather than public methods, so the hub's maps
 * and indexes stay private and every change still goes through its writes (ledger first,
 * then memory, then events). The agent runtimes get the narrower {@link AgentHost};
 * escalations, decisions and scheduling get hosts of their own, declared beside them.
 */
export interface MissionHost extends AgentHost {
  readonly teams: ReadonlyMap<string, TeamRt>;
  readonly agents: ReadonlyMap<string, AgentRt>;
  readonly tasks: ReadonlyMap<string, TaskRecord>;
  /** The mission's escalations: every one (`all`), the open ones, and passing one on to the person. */
  readonly escalations: Escalations;
  /** Records and applies decisions: a leader's answer takes the path the person's does. */
  readonly decisions: Decisions;

  // ---- state changes (ledger first, then memory, then events)
  setMissionState(state: MissionState, detail?: Record<string, unknown>, patch?: Partial<MissionRecord>): void;
  /** Saves a task (and a log row when its state changed); call inside or outside a transaction. */
  saveTask(task: TaskRecord, patch: Partial<TaskRecord>, detail?: Record<string, unknown>): TaskRecord;
  /** A task a leader just planned: its row, a log row, the indexes and an event. */
  addTask(task: TaskRecord): void;
  /** Tells the UI a team's row was written (its plan, phase, share, delivery, priority or pause). */
  emitTeam(team: TeamRecord): void;
  /** Saves an agent's row without a log row or an event (bookkeeping such as clearing `currentTaskId`). */
  saveAgentQuiet(agent: AgentRt, patch: Partial<AgentRecord>): void;

  // ---- scheduling and lifecycle
  /** The team's tasks of the current plan round, in plan order. */
  teamTasks(team: TeamRt): TaskRecord[];
  /** The agent's transcript for a job key, loaded from the ledger if it is not the one in memory. */
  openConversation(agent: AgentRt, key: string): Conversation;
  /** The runtime that runs the agent's jobs. */
  driverFor(agent: AgentRt): AgentRuntimeDriver;
  kickAll(): void;
  /** Wakes the agents that review and answer for a team (its leader, reviewers, researchers). */
  wakeLeads(team: TeamRt): void;
  /** Planned tasks become ready and coders start. */
  startRunning(reason: string): void;
}

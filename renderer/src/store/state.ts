import type { ChangeReviewRequest } from '../../../src/shared/contract/reviews.js';
import type { ChangeReview } from '../../../src/shared/review.js';
import type { StateCreator } from 'zustand/vanilla';
import type { AgentDiff } from '../../../src/shared/contract/agents.js';
import type { AppInfo } from '../../../src/shared/contract/app.js';
import type { FleetStatusView } from '../../../src/shared/contract/fleet.js';
import type { RuntimeStatus } from '../../../src/shared/contract/runtimes.js';
import type { SettingsView } from '../../../src/shared/contract/settings.js';
import type { CommandRequest, EventEnvelope, EventPayload } from '../../../src/shared/contract.js';
import type { CostsDashboard } from '../../../src/shared/costs.js';
import type { AllPoolLimits, LimiterState, LimitPreset } from '../../../src/shared/limits.js';
import type { MissionBrief } from '../../../src/shared/mission-brief.js';
import type {
  AgentView,
  EscalationDecision,
  EscalationView,
  MissionDetail,
  MissionLogEntry,
  MissionSummary,
  MissionTeamView,
  MissionView,
  TaskView,
  TranscriptEntry,
} from '../../../src/shared/mission.js';
import type { ModelPool } from '../../../src/shared/models.js';
import type { MeasuredWorkload } from '../../../src/shared/design-estimate.js';
import type { ProjectMemoryInfo } from '../../../src/shared/project-memory.js';
import type { RoleCostRow } from '../../../src/shared/role-costs.js';
import type { PriceTable } from '../../../src/shared/pricing.js';
import type { SteeringMessageView, TeamPriorityView } from '../../../src/shared/steering.js';
import type { CacheShare } from '../../../src/shared/cache-share.js';
import type { TaskSpend } from '../../../src/shared/task-spend.js';
import type { MissionTeamStatus } from '../../../src/shared/team-status.js';
import type { TeamDesign, TeamDesignSummary } from '../../../src/shared/team.js';
import type { ConnectionState, TransportKind } from '../api/index.js';
import type { NotifyPermission } from '../api/notify.js';
import type { AgentQuery, AgentSort, AgentSortKey } from '../domain/agent-query.js';
import type { AlertTarget } from '../domain/costs-model.js';
import type { DesignForm } from '../domain/design-form.js';
import type { InboxFilter } from '../domain/inbox-model.js';
import type { LaunchErrors, LaunchForm } from '../domain/launch-form.js';
import type { Area, Route } from '../domain/route.js';
import type { LoadStatus, Notice, StoreDeps, ThemePreference } from './types.js';
import type { MissionResult } from '../../../src/shared/mission-result.js';
import type { PullRequestOptionsView, PullRequestView } from '../../../src/shared/pull-request.js';
import type { CleanUpResult, LeftoversView } from '../../../src/shared/contract/missions.js';

// The store's shape: each slice's state and actions, what components read and call. The
// slices implement these in their own files and reach each other only through
// `StoreState`, so no store file imports a slice for its types and nothing goes round in
// a cycle.

export interface AppSlice {
  info: AppInfo | null;
  infoStatus: LoadStatus;
  infoError: string | null;
  connection: ConnectionState;
  /** Stays true from a failure until the next successful open, so retries do not flicker. */
  connectionLost: boolean;
  transport: TransportKind;
  route: Route;
  theme: ThemePreference;
  loadInfo(): Promise<void>;
  /** Moves to `route`, mirroring it into the address bar. */
  navigate(route: Route, options?: { replace?: boolean }): void;
  /** Follows the address bar (start-up, back/forward buttons). */
  syncFromHash(hash: string): void;
  /** A click on an area in the navigation: returns to where the person left that area. */
  showArea(area: Area): void;
  setTheme(theme: ThemePreference): void;
  reconnectNow(): void;
}

export interface EditorState {
  /** null until the design is saved for the first time. */
  designId: string | null;
  revision: number | null;
  form: DesignForm;
  /** The form as last loaded or saved: the "unsaved changes" marker compares against it. */
  baseline: DesignForm;
  status: 'loading' | 'ready' | 'saving' | 'load-error';
  error: string | null;
  errorCode: string | null;
  /** Someone else saved or deleted this design while it was open here with edits. */
  remoteChange: 'changed' | 'deleted' | null;
  history: EditHistory;
}

/**
 * Undo and redo: forms before (`past`, oldest first) and after (`future`, next first)
 * the current one. Consecutive edits with the same `coalesce` key (typing into one
 * field) share one step, so Ctrl+Z undoes a word, not a letter.
 */
export interface EditHistory {
  past: DesignForm[];
  future: DesignForm[];
  /** The key of the edit that made the current form, if it may absorb the next one. */
  coalesce: string | null;
}

export interface EditOptions {
  /** Edits with the same key in a row are one undo step (e.g. `agent:<id>:name`). */
  coalesce?: string;
}

/** Just enough of a File to import it; lets tests pass plain objects. */
export interface TeamFileInput {
  name: string;
  size: number;
  text(): Promise<string>;
}

/**
 * What the designer's estimate reads from Settings: the price table and the pool limits
 * the rate limiter is configured with. Kept here as a snapshot so the estimate follows
 * a change made in Settings (or another window) without the designer asking again.
 */
export interface DesignerSettings {
  status: LoadStatus;
  error: string | null;
  priceTable: PriceTable | null;
  poolLimits: AllPoolLimits;
  poolLimitsStored: boolean;
  presets: readonly LimitPreset[];
}

export interface TeamsSlice {
  designerSettings: DesignerSettings;
  loadDesignerSettings(): Promise<void>;
  teams: TeamDesignSummary[];
  teamsStatus: LoadStatus;
  teamsError: string | null;
  editor: EditorState | null;
  notice: Notice | null;
  /** Ids of designs with an export or delete in flight, so their buttons can wait. */
  busyIds: string[];
  importing: boolean;
  loadTeams(): Promise<void>;
  /** Opens a new, unsaved design; from a template (see domain/team-templates.ts) when given. */
  newDesign(templateId?: string): void;
  openDesign(id: string, options?: { force?: boolean }): Promise<void>;
  /** Applies an edit to the open form; `newId` is how edits get ids for new teams and agents. */
  editDesign(update: (form: DesignForm, newId: () => string) => DesignForm, options?: EditOptions): void;
  undo(): void;
  redo(): void;
  /** Puts the form back as it was last loaded or saved. */
  discardChanges(): void;
  saveDesign(): Promise<boolean>;
  /** Drops the editor (and any unsaved edits). */
  closeEditor(): void;
  leaveEditorIfClean(): void;
  deleteDesign(id: string): Promise<boolean>;
  exportDesign(id: string): Promise<boolean>;
  importDesign(file: TeamFileInput): Promise<boolean>;
  dismissNotice(): void;
  handleTeamsChanged(event: EventPayload<'teams:changed'>): void;
}

export type MissionAction = 'start' | 'pause' | 'resume' | 'cancel';

/** A mission whose detail (teams, tasks, escalations, agents) is loaded and kept live. */
export interface MissionDetailState {
  status: LoadStatus;
  error: string | null;
  view: MissionView | null;
  teams: MissionTeamView[];
}

export type MissionEvent =
  | EventEnvelope<'missions:changed'>
  | EventEnvelope<'missions:team-changed'>
  | EventEnvelope<'tasks:changed'>;

/** The launch form's chosen design, as `teams:get` answered it. */
export interface LaunchDesignState {
  id: string;
  status: LoadStatus;
  design: TeamDesign | null;
  error: string | null;
}

export interface MissionsSlice {
  /** Every mission, by id. */
  missions: Record<string, MissionSummary>;
  missionsStatus: LoadStatus;
  missionsError: string | null;
  missionDetails: Record<string, MissionDetailState>;
  /** Tasks of the missions whose detail is loaded, by `entityKey(missionId, taskId)`. */
  tasks: Record<string, TaskView>;
  /** The action in flight per mission id, so its buttons can wait. */
  missionActions: Record<string, MissionAction>;
  missionNotice: Notice | null;
  launching: boolean;
  launchErrors: LaunchErrors;
  /** An engine error that names no field of the form. */
  launchError: string | null;
  /** The design chosen on the launch form, loaded whole (its teams' briefs and phases pre-fill the shares). */
  launchDesign: LaunchDesignState | null;
  /** Loads the whole design `id` for the launch form (`teams:get`); a newer choice wins over an older load. */
  loadLaunchDesign(id: string): Promise<void>;
  loadMissions(): Promise<void>;
  /** Loads (or refreshes) one mission's detail; its teams, tasks, escalations and agents follow events from then on. */
  loadMission(id: string): Promise<void>;
  /** Creates the mission (the engine checks the repository first), opens its page and starts it; answers its id. */
  launchMission(form: LaunchForm): Promise<string | null>;
  clearLaunchErrors(): void;
  runMissionAction(id: string, action: MissionAction): Promise<boolean>;
  dismissMissionNotice(): void;
  applyMissionEvents(events: MissionEvent[]): void;
}

/** The agent open in the detail drawer. */
export interface AgentDetailState {
  missionId: string;
  agentId: string;
  transcript: TranscriptEntry[];
  transcriptStatus: LoadStatus;
  transcriptError: string | null;
  diff: AgentDiff | null;
  diffStatus: LoadStatus;
  diffError: string | null;
}

export interface AgentsSlice {
  /** Agents of every loaded mission, by `missionId/agentId`. */
  agents: Record<string, AgentView>;
  agentsStatus: LoadStatus;
  agentsError: string | null;
  agentQuery: AgentQuery;
  agentSort: AgentSort;
  /** Keys (agents, `team:missionId/teamId`, `idle:missionId|*`) with a kill in flight. */
  killing: string[];
  agentNotice: Notice | null;
  agentDetail: AgentDetailState | null;
  /** Loads the agents of every mission that is not finished (and keeps them live). */
  loadAgents(): Promise<void>;
  setAgentQuery(patch: Partial<AgentQuery>): void;
  /** Sorts by `key`; the same key again flips the direction. */
  sortAgents(key: AgentSortKey): void;
  killAgent(missionId: string, agentId: string): Promise<boolean>;
  killTeam(missionId: string, teamId: string): Promise<boolean>;
  /** Stops idle agents their teams can spare, in one mission or everywhere. */
  killIdle(missionId?: string): Promise<boolean>;
  dismissAgentNotice(): void;
  openAgent(missionId: string, agentId: string): void;
  closeAgent(): void;
  /** Fetches transcript entries after the last one held (all of them the first time). */
  refreshTranscript(): Promise<void>;
  loadDiff(): Promise<void>;
  applyAgentEvents(agents: AgentView[]): void;
}

/** What goes with a decision besides approve, deny or reply. */
export interface DecideOptions {
  comment?: string;
  /** Permission escalations: also add the command to the team's allowlist. */
  alwaysAllow?: boolean;
  /** Budget escalations: the mission's new cap. */
  budgetNanoUsd?: number;
  /** The director's draft: the brief as the person edited it. */
  brief?: MissionBrief;
}

/**
 * Escalations, held once for the window: the Inbox lists them all, a mission's page shows
 * its own, and a decision from either is the same action with the same "in flight" state.
 * Its `escalations:changed` subscription is the only one; what follows an escalation
 * elsewhere (the inbox's notifications, the mission log, mission counts) is driven from it.
 */
export interface EscalationsSlice {
  /** Every escalation the engine listed, announced or answered, by id. */
  escalations: Record<string, EscalationView>;
  /** Escalation ids with a decision in flight. */
  deciding: string[];
  /** The engine's refusal of the last decision, per escalation. */
  escalationErrors: Record<string, string>;
  /** Sends the person's decision; false when one is in flight already or the engine refused it. */
  decideEscalation(id: string, decision: EscalationDecision, options?: DecideOptions): Promise<boolean>;
  /** Takes in a snapshot the engine announced. */
  applyEscalation(escalation: EscalationView): void;
}

export interface InboxSlice {
  inboxStatus: LoadStatus;
  inboxError: string | null;
  /** Names, budgets and spend of the missions escalations come from. */
  inboxMissions: Record<string, MissionSummary>;
  /** Teams, agents, tasks and settings of missions with escalations, for each item's context. */
  inboxContext: Record<string, MissionDetail>;
  inboxFilter: InboxFilter;
  inboxSelectedId: string | null;
  /** Ticked for "Approve selected". */
  inboxChecked: string[];
  inboxNotice: Notice | null;
  /** Escalations the person has looked at (kept in local storage). */
  inboxSeen: string[];
  notifyPermission: NotifyPermission;
  loadInbox(): Promise<void>;
  setInboxFilter(patch: Partial<InboxFilter>): void;
  /** Selects an item (null: none) and counts it as seen. */
  selectInboxItem(id: string | null): void;
  /** j/k: moves the selection through the visible list. */
  moveInboxSelection(delta: 1 | -1): void;
  toggleInboxChecked(id: string): void;
  setInboxChecked(ids: string[]): void;
  /** Approves every ticked item that is still open; reports what the engine refused. */
  approveCheckedInbox(): Promise<void>;
  markAllInboxSeen(): void;
  /** Asks for notification permission; call from a click. */
  enableNotifications(): Promise<void>;
  dismissInboxNotice(): void;
  /** An escalation changed: new work for the person brings in its context and a notification. */
  inboxEscalationChanged(escalation: EscalationView, previous: EscalationView | undefined): void;
  /**
   * The person decided `escalation` (here or on its mission's page): it counts as seen,
   * leaves the ticked ones, and if it was selected the next item takes its place.
   */
  inboxEscalationDecided(escalation: EscalationView, previous: EscalationView | undefined): void;
}

/** The Settings sections that save on their own, and the command each saves with. */
export interface SettingsCommands {
  provider: 'settings:set-provider';
  apiKey: 'settings:set-api-key';
  poolLimits: 'settings:set-pool-limits';
  priceTable: 'settings:set-price-table';
  idleTimeout: 'settings:set-idle-timeout';
  keepBranches: 'settings:set-keep-branches';
  alertThresholds: 'settings:set-alert-thresholds';
  fleetRedisUrl: 'settings:set-fleet-redis-url';
  githubToken: 'settings:set-github-token';
  apiBaseUrl: 'settings:set-api-base-url';
}

export type SettingsSection = keyof SettingsCommands;

/** What each section sends. */
export type SettingsRequests = { [S in SettingsSection]: CommandRequest<SettingsCommands[S]> };

export interface SettingsSaveOutcome {
  ok: boolean;
  /** The engine's message, which names the field. */
  error?: string;
}

export interface SettingsSlice {
  settings: SettingsView | null;
  settingsStatus: LoadStatus;
  settingsError: string | null;
  /** The section with a save in flight. */
  settingsSaving: SettingsSection | null;
  /** The last section saved successfully, for its "Saved" note. */
  settingsSaved: SettingsSection | null;
  loadSettings(): Promise<void>;
  saveSetting<S extends SettingsSection>(
    section: S,
    request: SettingsRequests[S],
  ): Promise<SettingsSaveOutcome>;
}

/**
 * What finished missions left behind and the "Clean up" action (`missions:list-leftovers`,
 * `missions:clean-up`), and a mission's "Keep branches" choice (`missions:set-keep-branches`).
 */
export interface CleanupSlice {
  leftovers: LeftoversView | null;
  leftoversStatus: LoadStatus;
  leftoversError: string | null;
  /** A removal in flight. */
  cleaning: boolean;
  /** Why the last removal failed (one line from the engine), null when it did not. */
  cleanUpError: string | null;
  loadLeftovers(): Promise<void>;
  /** Removes what the given finished missions left; answers what went, or null (the error is in the state). */
  cleanUp(missionIds: string[]): Promise<CleanUpResult | null>;
  /** Keep (or not) a mission's team and coder branches when it ends; answers the mission, or the engine's error. */
  setKeepBranches(missionId: string, keep: boolean): Promise<{ ok: true; mission: MissionView } | { ok: false; error: string }>;
}

export interface CostsSlice {
  costs: CostsDashboard | null;
  costsStatus: LoadStatus;
  /** Why the last load failed; with `costs` still set, the page keeps showing the last snapshot. */
  costsError: string | null;
  /** '' for every mission. */
  costsMissionId: string;
  costsWindowMinutes: number;
  limiter: LimiterState | null;
  limiterStatus: LoadStatus;
  limiterError: string | null;
  resumingPools: ModelPool[];
  exportingCalls: boolean;
  costsNotice: Notice | null;
  /** The Costs page is showing: events refresh it, and it polls. */
  openCosts(): void;
  closeCosts(): void;
  loadCosts(): Promise<void>;
  loadLimiter(): Promise<void>;
  setCostsMission(missionId: string): void;
  setCostsWindow(minutes: number): void;
  resumePool(pool: ModelPool): Promise<boolean>;
  /** Downloads the ledger rows the dashboard shows (its mission and window) as CSV. */
  exportCalls(): Promise<boolean>;
  /** Goes to what an alert is about: its mission, team or agent. */
  followCostCause(target: Exclude<AlertTarget, { kind: 'pool' }>): void;
  dismissCostsNotice(): void;
}

export interface MissionLogState {
  status: LoadStatus;
  error: string | null;
  /** Oldest first, as the engine pages them; the view reverses. */
  rows: MissionLogEntry[];
}

export interface MissionLogSlice {
  missionLogs: Record<string, MissionLogState>;
  /** The mission page shows its log: load it, and follow the mission's events. */
  openMissionLog(missionId: string): void;
  closeMissionLog(missionId: string): void;
  /** Fetches the rows after the last one held (all of them the first time). */
  loadMissionLog(missionId: string): Promise<void>;
  /** Something about `missionId` changed: if its log is open, the tail is fetched (throttled). */
  touchMissionLog(missionId: string): void;
}

/**
 * Which agent runtimes can start on the engine's machine (`runtimes:get-status`). Asked
 * once, when the designer first opens: the answer only changes when Control Room is
 * reinstalled or restarted with another Claude Code binary.
 */
export interface RuntimesSlice {
  runtimesStatus: LoadStatus;
  runtimesError: string | null;
  /** Empty until loaded: nothing is marked unavailable on a guess. */
  runtimes: RuntimeStatus[];
  loadRuntimes(): Promise<void>;
}

/**
 * The fleet panel of the Costs screen (`fleet:get-status`). Workers report by heartbeat
 * and queues change without events, so it polls, but only while the screen is open.
 */
export interface FleetSlice {
  fleet: FleetStatusView | null;
  /** When `fleet` was answered (epoch ms): workers' uptimes are measured to it. */
  fleetAt: number | null;
  fleetStatus: LoadStatus;
  /** Why the last ask failed (the engine did not answer); the last snapshot stays shown. */
  fleetError: string | null;
  /** The Costs screen is showing: ask now and every `FLEET_POLL_MS`. */
  openFleet(): void;
  closeFleet(): void;
  loadFleet(): Promise<void>;
}

/** Steering a running mission from its page; the person's messages and every team's priority. */
export interface SteeringSlice {
  /** The person's messages to a mission's leaders, by mission id (loaded with its page). */
  steeringMessages: Record<string, SteeringMessageView[]>;
  /** The steering action in flight, by `missionId/teamId` (or `missionId/agentId` for a coder). */
  steeringBusy: Record<string, string>;
  /** What the last steering action did, per mission id. */
  steeringNotice: Record<string, Notice>;
  /** Every team of the started, unfinished missions with its priority (the Costs screen's gauges). */
  teamPriorities: TeamPriorityView[];
  loadSteeringMessages(missionId: string): Promise<void>;
  loadTeamPriorities(): Promise<void>;
  messageLeader(missionId: string, teamId: string, text: string): Promise<boolean>;
  setTeamPriority(missionId: string, teamId: string, weight: number): Promise<boolean>;
  setTeamPaused(missionId: string, teamId: string, paused: boolean): Promise<boolean>;
  addCoder(missionId: string, teamId: string, name: string): Promise<boolean>;
  removeCoder(missionId: string, agentId: string): Promise<boolean>;
  dismissSteeringNotice(missionId: string): void;
}

/** A mission's team status and velocity as last measured (`missions:get-team-status`). */
export interface TeamStatusState {
  status: LoadStatus;
  error: string | null;
  data: MissionTeamStatus | null;
}

/** The cache-read share as last read (`costs:cache-share`). */
export interface CacheShareState {
  /** The mission the figures are for; null for all missions. */
  missionId: string | null;
  status: LoadStatus;
  error: string | null;
  data: CacheShare | null;
}

/** The cache-read share per agent and model for the Costs screen (`cache-share-slice.ts`). */
export interface CacheShareSlice {
  cacheShare: CacheShareState | null;
  /** The Costs screen shows the share for this mission (null: all missions; undefined: nothing shown). */
  showCacheShare(missionId: string | null | undefined): void;
  loadCacheShare(): Promise<void>;
}

/** A mission's spend per task as last read (`costs:by-task`). */
export interface TaskSpendState {
  status: LoadStatus;
  error: string | null;
  data: TaskSpend | null;
}

/** Team status and velocity per mission, and spend per task (`team-status-slice.ts`). */
export interface TeamStatusSlice {
  teamStatus: Record<string, TeamStatusState>;
  taskSpend: Record<string, TaskSpendState>;
  /** A view shows the mission's teams: load their status and follow the mission's events. Returns the unwatch. */
  watchTeamStatus(missionId: string): () => void;
  loadTeamStatus(missionId: string): Promise<void>;
  /** Something about `missionId` changed: if a view shows its teams, they are measured again (throttled). */
  touchTeamStatus(missionId: string): void;
  /** The Costs screen shows spend per task of this mission (null: none); it follows the mission's cost events. */
  showTaskSpend(missionId: string | null): void;
  loadTaskSpend(missionId: string): Promise<void>;
}

/** Something fetched from the engine: its status, why the last fetch failed, and what is held. */
export interface Fetched<T> {
  status: LoadStatus;
  error: string | null;
  data: T | null;
}

/** What the ledger measured for the designer, the launch form and the Costs screen (`ledger-insights-slice.ts`). */
export interface LedgerInsightsSlice {
  /** Cost per role and model, by mission id ('' for the recent missions together). */
  roleCosts: Record<string, Fetched<RoleCostRow[]>>;
  /** The workload per role and model the design estimate uses. */
  measuredWorkload: Fetched<MeasuredWorkload[]>;
  /** The CLAUDE.md of the repository path last checked; null before any. */
  projectMemory: (Fetched<ProjectMemoryInfo | null> & { repoPath: string }) | null;
  loadRoleCosts(missionId: string | null): Promise<void>;
  loadMeasuredWorkload(): Promise<void>;
  checkProjectMemory(repoPath: string): Promise<void>;
}

/** A finished mission's result for its page (`missions:get-result`), by mission id (`mission-result-slice.ts`). */
/** One mission's pull request form: what the engine said may be done, and an open in flight. */
export interface PullRequestState {
  status: LoadStatus;
  error: string | null;
  options: PullRequestOptionsView | null;
  opening: boolean;
  /** Why the last open failed (one line from the engine), null when it did not. */
  openError: string | null;
}

/** Missions' pull requests (`missions:pull-request-options`, `missions:open-pull-request`). */
export interface PullRequestsSlice {
  pullRequests: Record<string, PullRequestState>;
  loadPullRequestOptions(missionId: string): Promise<void>;
  /** Pushes the mission branch and opens its pull request; answers it, or null (the error is in the state). */
  openPullRequest(missionId: string, request: { remote: string; title?: string; draft: boolean }): Promise<PullRequestView | null>;
}

export interface MissionResultSlice {
  missionResults: Record<string, { status: LoadStatus; error: string | null; data: MissionResult | null }>;
  loadMissionResult(missionId: string): Promise<void>;
}

/** One change review as fetched: what an approval would change (`reviews:get-change`). */
export interface ChangeReviewState {
  status: LoadStatus;
  error: string | null;
  review: ChangeReview | null;
}

/** Change reviews by request (see `changeReviewKey`), fetched when a review is shown. */
export interface ReviewsSlice {
  changeReviews: Record<string, ChangeReviewState>;
  /** Fetches (or refreshes) the review of a change; the last answer stays shown while it loads. */
  loadChangeReview(request: ChangeReviewRequest): Promise<void>;
}

export type StoreState = AppSlice &
  MissionResultSlice &
  LedgerInsightsSlice &
  TeamsSlice &
  MissionsSlice &
  EscalationsSlice &
  AgentsSlice &
  InboxSlice &
  SettingsSlice &
  CostsSlice &
  MissionLogSlice &
  RuntimesSlice &
  FleetSlice &
  SteeringSlice &
  TeamStatusSlice &
  CacheShareSlice &
  PullRequestsSlice &
  CleanupSlice &
  ReviewsSlice;

export type Slice<T> = (deps: StoreDeps) => StateCreator<StoreState, [], [], T>;

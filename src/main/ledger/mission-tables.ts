import type {
  AgentState,
  EscalationView,
  TeamDelivery,
  TeamPhaseState,
  MissionSettings,
  MissionResultKind,
  MissionState,
  TaskState,
  TranscriptEntry,
} from '../../shared/mission.js';
import type { AgentRole, TeamDesign } from '../../shared/team.js';
import {
  bool,
  defineTable,
  int,
  intOrNull,
  json,
  text,
  textOrNull,
  type Column,
  type RecordOf,
  type Table,
} from './columns.js';

/** Nullable JSON text: SQL NULL for null (a CHECK on the JSON's type would refuse the text 'null'). */
const jsonOrNull = <T>(name: string): Column<T | null> => ({
  name,
  read: (value) => (value === null || value === undefined ? null : (JSON.parse(String(value)) as T)),
  write: (value) => (value === null ? null : JSON.stringify(value)),
});

/**
 * The mission tables of migration 0003, declared once (see columns.ts): the engine's
 * records are derived from these, in camelCase, and so are the mission repository's
 * SELECT lists, row mappers and write parameters. Each declaration lists every column of
 * its table, in the table's order.
 */

export const MISSIONS = defineTable('missions', {
  id: text('id'),
  name: text('name'),
  designId: text('design_id'),
  designRevision: int('design_revision'),
  design: json<TeamDesign>('design_json'),
  goal: text('goal'),
  repoPath: text('repo_path'),
  baseBranch: text('base_branch'),
  worktreeRoot: text('worktree_root'),
  state: text<MissionState>('state'),
  pausedFrom: textOrNull<MissionState>('paused_from'),
  budgetNano: intOrNull('budget_nano'),
  skipPlanApproval: bool('skip_plan_approval'),
  allowedCommands: json<string[]>('allowed_commands_json'),
  setupCommand: textOrNull('setup_command'),
  copyFiles: json<string[]>('copy_files_json'),
  settings: json<MissionSettings>('settings_json'),
  planRound: int('plan_round'),
  finalCommit: textOrNull('final_commit'),
  outcome: textOrNull('outcome'),
  createdAt: text('created_at'),
  updatedAt: text('updated_at'),
  startedAt: textOrNull('started_at'),
  endedAt: textOrNull('ended_at'),
  // Migration 0012: how it ended, beside its state.
  resultKind: textOrNull<MissionResultKind>('result_kind'),
});
export type MissionRecord = RecordOf<typeof MISSIONS>;

export const TEAMS = defineTable('mission_teams', {
  missionId: text('mission_id'),
  id: text('id'),
  name: text('name'),
  budgetNano: intOrNull('budget_nano'),
  planState: text<'pending' | 'planning' | 'submitted'>('plan_state'),
  planSummary: textOrNull('plan_summary'),
  sortOrder: int('sort_order'),
  // Migration 0006: phases, shares and deliveries.
  share: textOrNull('share'),
  after: json<string[]>('after_json'),
  phaseState: text<TeamPhaseState>('phase_state'),
  startCommit: textOrNull('start_commit'),
  mergedCommit: textOrNull('merged_commit'),
  delivery: jsonOrNull<TeamDelivery>('delivery_json'),
  // Migration 0008: steering. The weight is a REAL; `int` reads it as the number it is.
  priorityWeight: int('priority_weight'),
  paused: bool('paused'),
});
export type TeamRecord = RecordOf<typeof TEAMS>;

export const AGENTS = defineTable('mission_agents', {
  missionId: text('mission_id'),
  id: text('id'),
  teamId: text('team_id'),
  name: text('name'),
  role: text<AgentRole>('role'),
  model: text('model'),
  budgetNano: intOrNull('budget_nano'),
  state: text<AgentState>('state'),
  stateReason: textOrNull('state_reason'),
  currentTaskId: textOrNull('current_task_id'),
  turnsWithoutProgress: int('turns_without_progress'),
  lastActivityAt: text('last_activity_at'),
  sortOrder: int('sort_order'),
});
export type AgentRecord = RecordOf<typeof AGENTS>;

export const TASKS = defineTable('mission_tasks', {
  id: text('id'),
  missionId: text('mission_id'),
  teamId: text('team_id'),
  planRound: int('plan_round'),
  key: text('key'),
  title: text('title'),
  description: text('description'),
  acceptanceCriteria: json<string[]>('acceptance_json'),
  owns: json<string[]>('owns_json'),
  dependsOn: json<string[]>('depends_on_json'),
  preferredAssignee: textOrNull('preferred_assignee'),
  state: text<TaskState>('state'),
  assignee: textOrNull('assignee'),
  attempts: int('attempts'),
  claims: int('claims'),
  stalls: int('stalls'),
  feedback: textOrNull('feedback'),
  submissionSummary: textOrNull('submission_summary'),
  mergedCommit: textOrNull('merged_commit'),
  sortOrder: int('sort_order'),
  createdAt: text('created_at'),
  updatedAt: text('updated_at'),
});
export type TaskRecord = RecordOf<typeof TASKS>;

/** An escalation as the engine keeps it: what commands and events show, and the tool call it holds. */
export type EscalationRecord = EscalationView & {
  /** The tool call waiting on the answer, so a restarted agent can finish it. */
  toolUseId: string | null;
};

// The record is declared by the contract's view, so the columns are checked against it.
export const ESCALATIONS = defineTable<EscalationRecord>('escalations', {
  id: text('id'),
  missionId: text('mission_id'),
  teamId: textOrNull('team_id'),
  agentId: textOrNull('agent_id'),
  taskId: textOrNull('task_id'),
  type: text('type'),
  level: text('level'),
  state: text('state'),
  title: text('title'),
  detail: text('detail'),
  payload: json('payload_json'),
  toolUseId: textOrNull('tool_use_id'),
  decision: textOrNull('decision'),
  comment: textOrNull('comment'),
  alwaysAllow: bool('always_allow'),
  decidedBy: textOrNull('decided_by'),
  timeoutAt: textOrNull('timeout_at'),
  createdAt: text('created_at'),
  decidedAt: textOrNull('decided_at'),
});

export type LogKind = 'mission' | 'agent' | 'task' | 'escalation' | 'decision' | 'note';

export const LOG = defineTable('mission_log', {
  id: int('id'),
  missionId: text('mission_id'),
  at: text('at'),
  kind: text<LogKind>('kind'),
  subjectId: text('subject_id'),
  fromState: textOrNull('from_state'),
  toState: textOrNull('to_state'),
  detail: json<Record<string, unknown>>('detail_json'),
});
export type LogRow = RecordOf<typeof LOG>;

/** "Always allow this command for this team": rules the person added while deciding. */
export const TEAM_RULES = defineTable('team_command_rules', {
  missionId: text('mission_id'),
  teamId: text('team_id'),
  command: text('command'),
  escalationId: textOrNull('escalation_id'),
  createdAt: text('created_at'),
});

export const TRANSCRIPT = defineTable('transcript_entries', {
  id: int('id'),
  missionId: text('mission_id'),
  agentId: text('agent_id'),
  conversation: text('conversation'),
  seq: int('seq'),
  kind: text<'message' | 'compaction'>('kind'),
  role: text<'user' | 'assistant'>('role'),
  /** Message content in Messages API wire shape. */
  content: json<unknown>('content_json'),
  replacesThroughSeq: intOrNull('replaces_through_seq'),
  inputTokens: intOrNull('input_tokens'),
  outputTokens: intOrNull('output_tokens'),
  createdAt: text('created_at'),
});

/** A transcript row as commands show it. */
export const TRANSCRIPT_ENTRY = TRANSCRIPT.pick(
  'id',
  'conversation',
  'seq',
  'kind',
  'role',
  'content',
  'createdAt',
) satisfies Table<TranscriptEntry>;

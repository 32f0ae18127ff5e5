import type Database from 'better-sqlite3';
import type {
  AgentState,
  EscalationDecision,
  EscalationType,
  EscalationView,
  MissionSettings,
  MissionState,
  TaskState,
  TaskView,
  TranscriptEntry,
} from '../../shared/mission.js';
import type { AgentRole, TeamDesign } from '../../shared/team.js';
import { atomically, deferWrite, joinWriteGroup } from './write-group.js';
import type { ConversationMessage } from '../llm/provider.js';

/**
 * The engine's rows, in camelCase, and the statements that read and write them. Every
 * state change the engine makes is `update*` of the row plus one `mission_log` row in
 * the same transaction (callers wrap both in {@link MissionStore.tx}).
 */

export interface MissionRecord {
  id: string;
  name: string;
  designId: string;
  designRevision: number;
  design: TeamDesign;
  goal: string;
  repoPath: string;
  baseBranch: string;
  worktreeRoot: string;
  state: MissionState;
  pausedFrom: MissionState | null;
  budgetNano: number | null;
  skipPlanApproval: boolean;
  allowedCommands: string[];
  setupCommand: string | null;
  copyFiles: string[];
  settings: MissionSettings;
  planRound: number;
  finalCommit: string | null;
  outcome: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  endedAt: string | null;
}

export interface TeamRecord {
  missionId: string;
  id: string;
  name: string;
  budgetNano: number | null;
  planState: 'pending' | 'planning' | 'submitted';
  planSummary: string | null;
  sortOrder: number;
}

export interface AgentRecord {
  missionId: string;
  id: string;
  teamId: string;
  name: string;
  role: AgentRole;
  model: string;
  budgetNano: number | null;
  state: AgentState;
  stateReason: string | null;
  currentTaskId: string | null;
  turnsWithoutProgress: number;
  lastActivityAt: string;
  sortOrder: number;
}

export interface TaskRecord {
  id: string;
  missionId: string;
  teamId: string;
  planRound: number;
  key: string;
  title: string;
  description: string;
  acceptanceCriteria: string[];
  owns: string[];
  dependsOn: string[];
  preferredAssignee: string | null;
  state: TaskState;
  assignee: string | null;
  attempts: number;
  claims: number;
  stalls: number;
  feedback: string | null;
  submissionSummary: string | null;
  mergedCommit: string | null;
  sortOrder: number;
  createdAt: string;
  updatedAt: string;
}

export interface EscalationRecord {
  id: string;
  missionId: string;
  teamId: string | null;
  agentId: string | null;
  taskId: string | null;
  type: EscalationType;
  level: 'leader' | 'human';
  state: 'open' | 'resolved' | 'cancelled';
  title: string;
  detail: string;
  payload: Record<string, unknown>;
  toolUseId: string | null;
  decision: EscalationDecision | null;
  comment: string | null;
  alwaysAllow: boolean;
  decidedBy: 'human' | 'leader' | 'timeout' | 'engine' | null;
  timeoutAt: string | null;
  createdAt: string;
  decidedAt: string | null;
}

export type LogKind = 'mission' | 'agent' | 'task' | 'escalation' | 'decision' | 'note';

export interface LogRow {
  id: number;
  missionId: string;
  at: string;
  kind: LogKind;
  subjectId: string;
  fromState: string | null;
  toState: string | null;
  detail: Record<string, unknown>;
}

/** A conversation as loaded from its transcript: the messages a model call would be sent. */
export interface LoadedConversation {
  messages: ConversationMessage[];
  /** The seq of each message in `messages` (a compaction head has its own row's seq). */
  seqs: number[];
  nextSeq: number;
}

export interface AgentUsageRow {
  agentId: string;
  inputTokens: number;
  outputTokens: number;
  costNano: number;
}

type Row = Record<string, unknown>;
const str = (v: unknown): string => String(v);
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const json = <T>(v: unknown): T => JSON.parse(String(v)) as T;

function toMission(r: Row): MissionRecord {
  return {
    id: str(r.id),
    name: str(r.name),
    designId: str(r.design_id),
    designRevision: Number(r.design_revision),
    design: json<TeamDesign>(r.design_json),
    goal: str(r.goal),
    repoPath: str(r.repo_path),
    baseBranch: str(r.base_branch),
    worktreeRoot: str(r.worktree_root),
    state: r.state as MissionState,
    pausedFrom: strOrNull(r.paused_from) as MissionState | null,
    budgetNano: numOrNull(r.budget_nano),
    skipPlanApproval: r.skip_plan_approval === 1,
    allowedCommands: json<string[]>(r.allowed_commands_json),
    setupCommand: strOrNull(r.setup_command),
    copyFiles: json<string[]>(r.copy_files_json),
    settings: json<MissionSettings>(r.settings_json),
    planRound: Number(r.plan_round),
    finalCommit: strOrNull(r.final_commit),
    outcome: strOrNull(r.outcome),
    createdAt: str(r.created_at),
    updatedAt: str(r.updated_at),
    startedAt: strOrNull(r.started_at),
    endedAt: strOrNull(r.ended_at),
  };
}

function missionParams(m: MissionRecord): Row {
  return {
    id: m.id,
    name: m.name,
    design_id: m.designId,
    design_revision: m.designRevision,
    design_json: JSON.stringify(m.design),
    goal: m.goal,
    repo_path: m.repoPath,
    base_branch: m.baseBranch,
    worktree_root: m.worktreeRoot,
    state: m.state,
    paused_from: m.pausedFrom,
    budget_nano: m.budgetNano,
    skip_plan_approval: m.skipPlanApproval ? 1 : 0,
    allowed_commands_json: JSON.stringify(m.allowedCommands),
    setup_command: m.setupCommand,
    copy_files_json: JSON.stringify(m.copyFiles),
    settings_json: JSON.stringify(m.settings),
    plan_round: m.planRound,
    final_commit: m.finalCommit,
    outcome: m.outcome,
    created_at: m.createdAt,
    updated_at: m.updatedAt,
    started_at: m.startedAt,
    ended_at: m.endedAt,
  };
}

function toLogRow(r: Row): LogRow {
  return {
    id: Number(r.id),
    missionId: str(r.mission_id),
    at: str(r.at),
    kind: r.kind as LogKind,
    subjectId: str(r.subject_id),
    fromState: strOrNull(r.from_state),
    toState: strOrNull(r.to_state),
    detail: json<Record<string, unknown>>(r.detail_json),
  };
}

function toTeam(r: Row): TeamRecord {
  return {
    missionId: str(r.mission_id),
    id: str(r.id),
    name: str(r.name),
    budgetNano: numOrNull(r.budget_nano),
    planState: r.plan_state as TeamRecord['planState'],
    planSummary: strOrNull(r.plan_summary),
    sortOrder: Number(r.sort_order),
  };
}

function teamParams(t: TeamRecord): Row {
  return {
    mission_id: t.missionId,
    id: t.id,
    name: t.name,
    budget_nano: t.budgetNano,
    plan_state: t.planState,
    plan_summary: t.planSummary,
    sort_order: t.sortOrder,
  };
}

function toAgent(r: Row): AgentRecord {
  return {
    missionId: str(r.mission_id),
    id: str(r.id),
    teamId: str(r.team_id),
    name: str(r.name),
    role: r.role as AgentRole,
    model: str(r.model),
    budgetNano: numOrNull(r.budget_nano),
    state: r.state as AgentState,
    stateReason: strOrNull(r.state_reason),
    currentTaskId: strOrNull(r.current_task_id),
    turnsWithoutProgress: Number(r.turns_without_progress),
    lastActivityAt: str(r.last_activity_at),
    sortOrder: Number(r.sort_order),
  };
}

function agentParams(a: AgentRecord): Row {
  return {
    mission_id: a.missionId,
    id: a.id,
    team_id: a.teamId,
    name: a.name,
    role: a.role,
    model: a.model,
    budget_nano: a.budgetNano,
    state: a.state,
    state_reason: a.stateReason,
    current_task_id: a.currentTaskId,
    turns_without_progress: a.turnsWithoutProgress,
    last_activity_at: a.lastActivityAt,
    sort_order: a.sortOrder,
  };
}

function toTask(r: Row): TaskRecord {
  return {
    id: str(r.id),
    missionId: str(r.mission_id),
    teamId: str(r.team_id),
    planRound: Number(r.plan_round),
    key: str(r.key),
    title: str(r.title),
    description: str(r.description),
    acceptanceCriteria: json<string[]>(r.acceptance_json),
    owns: json<string[]>(r.owns_json),
    dependsOn: json<string[]>(r.depends_on_json),
    preferredAssignee: strOrNull(r.preferred_assignee),
    state: r.state as TaskState,
    assignee: strOrNull(r.assignee),
    attempts: Number(r.attempts),
    claims: Number(r.claims),
    stalls: Number(r.stalls),
    feedback: strOrNull(r.feedback),
    submissionSummary: strOrNull(r.submission_summary),
    mergedCommit: strOrNull(r.merged_commit),
    sortOrder: Number(r.sort_order),
    createdAt: str(r.created_at),
    updatedAt: str(r.updated_at),
  };
}

function taskParams(t: TaskRecord): Row {
  return {
    id: t.id,
    mission_id: t.missionId,
    team_id: t.teamId,
    plan_round: t.planRound,
    key: t.key,
    title: t.title,
    description: t.description,
    acceptance_json: JSON.stringify(t.acceptanceCriteria),
    owns_json: JSON.stringify(t.owns),
    depends_on_json: JSON.stringify(t.dependsOn),
    preferred_assignee: t.preferredAssignee,
    state: t.state,
    assignee: t.assignee,
    attempts: t.attempts,
    claims: t.claims,
    stalls: t.stalls,
    feedback: t.feedback,
    submission_summary: t.submissionSummary,
    merged_commit: t.mergedCommit,
    sort_order: t.sortOrder,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
  };
}

function toEscalation(r: Row): EscalationRecord {
  return {
    id: str(r.id),
    missionId: str(r.mission_id),
    teamId: strOrNull(r.team_id),
    agentId: strOrNull(r.agent_id),
    taskId: strOrNull(r.task_id),
    type: r.type as EscalationType,
    level: r.level as EscalationRecord['level'],
    state: r.state as EscalationRecord['state'],
    title: str(r.title),
    detail: str(r.detail),
    payload: json<Record<string, unknown>>(r.payload_json),
    toolUseId: strOrNull(r.tool_use_id),
    decision: strOrNull(r.decision) as EscalationDecision | null,
    comment: strOrNull(r.comment),
    alwaysAllow: r.always_allow === 1,
    decidedBy: strOrNull(r.decided_by) as EscalationRecord['decidedBy'],
    timeoutAt: strOrNull(r.timeout_at),
    createdAt: str(r.created_at),
    decidedAt: strOrNull(r.decided_at),
  };
}

function escalationParams(e: EscalationRecord): Row {
  return {
    id: e.id,
    mission_id: e.missionId,
    team_id: e.teamId,
    agent_id: e.agentId,
    task_id: e.taskId,
    type: e.type,
    level: e.level,
    state: e.state,
    title: e.title,
    detail: e.detail,
    payload_json: JSON.stringify(e.payload),
    tool_use_id: e.toolUseId,
    decision: e.decision,
    comment: e.comment,
    always_allow: e.alwaysAllow ? 1 : 0,
    decided_by: e.decidedBy,
    timeout_at: e.timeoutAt,
    created_at: e.createdAt,
    decided_at: e.decidedAt,
  };
}

/** `INSERT OR REPLACE`-free upsert text for a table whose params are all its columns. */
function upsertSql(table: string, columns: string[], key: string[]): string {
  const updates = columns.filter((c) => !key.includes(c)).map((c) => `${c} = excluded.${c}`);
  return (
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')}) ` +
    `ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${updates.join(', ')}`
  );
}

const MISSION_COLUMNS = [
  'id', 'name', 'design_id', 'design_revision', 'design_json', 'goal', 'repo_path', 'base_branch',
  'worktree_root', 'state', 'paused_from', 'budget_nano', 'skip_plan_approval', 'allowed_commands_json',
  'setup_command', 'copy_files_json', 'settings_json', 'plan_round', 'final_commit', 'outcome',
  'created_at', 'updated_at', 'started_at', 'ended_at',
];
const TEAM_COLUMNS = ['mission_id', 'id', 'name', 'budget_nano', 'plan_state', 'plan_summary', 'sort_order'];
const AGENT_COLUMNS = [
  'mission_id', 'id', 'team_id', 'name', 'role', 'model', 'budget_nano', 'state', 'state_reason',
  'current_task_id', 'turns_without_progress', 'last_activity_at', 'sort_order',
];
const TASK_COLUMNS = [
  'id', 'mission_id', 'team_id', 'plan_round', 'key', 'title', 'description', 'acceptance_json', 'owns_json',
  'depends_on_json', 'preferred_assignee', 'state', 'assignee', 'attempts', 'claims', 'stalls', 'feedback',
  'submission_summary', 'merged_commit', 'sort_order', 'created_at', 'updated_at',
];
const ESCALATION_COLUMNS = [
  'id', 'mission_id', 'team_id', 'agent_id', 'task_id', 'type', 'level', 'state', 'title', 'detail',
  'payload_json', 'tool_use_id', 'decision', 'comment', 'always_allow', 'decided_by', 'timeout_at',
  'created_at', 'decided_at',
];

/** Prepared statements over the mission tables; one instance per connection. */
export class MissionStore {
  readonly db: Database.Database;
  private readonly s: ReturnType<typeof prepare>;
  /** How many tx() calls are running: only the outermost opens a transaction or savepoint. */
  private depth = 0;

  constructor(db: Database.Database) {
    this.db = db;
    this.s = prepare(db);
  }

  /**
   * Runs `fn` atomically: its own transaction, or a savepoint inside an open one (the
   * gateway's, or this turn's write group). Nested calls join the outermost one.
   */
  tx<T>(fn: () => T): T {
    if (this.depth > 0) return fn();
    joinWriteGroup(this.db);
    this.depth += 1;
    try {
      return atomically(this.db, fn, 'immediate');
    } finally {
      this.depth -= 1;
    }
  }

  get open(): boolean {
    return this.db.open;
  }

  saveMission(m: MissionRecord): void {
    this.s.upsertMission.run(missionParams(m));
  }
  saveTeam(t: TeamRecord): void {
    this.s.upsertTeam.run(teamParams(t));
  }
  /**
   * Writes an agent's row. It is written in the turns of a model call (state changes,
   * the stall counter), so it waits for the end of the turn like the log and transcript
   * rows (see appendTranscript); statements on
   * `mission_agents` run the queue first, so every reader sees it. Records are never
   * changed in place (the engine replaces them), so `a` is what will be written.
   */
  saveAgent(a: AgentRecord): void {
    deferWrite(this.db, () => this.s.upsertAgent.run(agentParams(a)));
  }
  /**
   * Writes only an agent's stall counter (queued like {@link saveAgent}). The counter
   * changes on most turns that make no progress; rewriting the whole row for it (an
   * upsert that also re-checks both foreign keys) was the costliest agent write of a
   * turn. An agent without a row is an error, thrown here or reported by the write group.
   */
  setTurnsWithoutProgress(missionId: string, agentId: string, turns: number): void {
    deferWrite(this.db, () => {
      const { changes } = this.s.setTurnsWithoutProgress.run(turns, missionId, agentId);
      if (changes !== 1) throw new Error(`agent ${agentId} of mission ${missionId} has no row to update`);
    });
  }
  saveTask(t: TaskRecord): void {
    this.s.upsertTask.run(taskParams(t));
  }
  saveEscalation(e: EscalationRecord): void {
    this.s.upsertEscalation.run(escalationParams(e));
  }

  /** Appends a log row; like a transcript row it waits for the end of the turn (see appendTranscript). */
  log(row: Omit<LogRow, 'id'>): void {
    const detail = JSON.stringify(row.detail);
    deferWrite(this.db, () => this.s.insertLog.run({
      mission_id: row.missionId,
      at: row.at,
      kind: row.kind,
      subject_id: row.subjectId,
      from_state: row.fromState,
      to_state: row.toState,
      detail_json: detail,
    }));
  }

  getMission(id: string): MissionRecord | undefined {
    const r = this.s.getMission.get(id) as Row | undefined;
    return r ? toMission(r) : undefined;
  }
  listMissions(): MissionRecord[] {
    return (this.s.listMissions.all() as Row[]).map(toMission);
  }
  missionsInStates(states: readonly MissionState[]): MissionRecord[] {
    return this.listMissions().filter((m) => states.includes(m.state));
  }
  teams(missionId: string): TeamRecord[] {
    return (this.s.teams.all(missionId) as Row[]).map(toTeam);
  }
  agents(missionId: string): AgentRecord[] {
    return (this.s.agents.all(missionId) as Row[]).map(toAgent);
  }
  tasks(missionId: string): TaskRecord[] {
    return (this.s.tasks.all(missionId) as Row[]).map(toTask);
  }
  escalations(missionId: string): EscalationRecord[] {
    return (this.s.escalations.all(missionId) as Row[]).map(toEscalation);
  }
  allEscalations(openOnly: boolean): EscalationRecord[] {
    return ((openOnly ? this.s.openEscalations : this.s.allEscalations).all() as Row[]).map(toEscalation);
  }
  getEscalation(id: string): EscalationRecord | undefined {
    const r = this.s.getEscalation.get(id) as Row | undefined;
    return r ? toEscalation(r) : undefined;
  }
  log_(missionId: string): LogRow[] {
    return (this.s.logRows.all(missionId) as Row[]).map(toLogRow);
  }
  /** One page of a mission's log, oldest first, after row `afterId` (indexed by mission and id). */
  logPage(missionId: string, afterId: number, limit: number): LogRow[] {
    return (this.s.logPage.all(missionId, afterId, limit) as Row[]).map(toLogRow);
  }

  teamRules(missionId: string): { teamId: string; command: string }[] {
    return (this.s.rules.all(missionId) as Row[]).map((r) => ({ teamId: str(r.team_id), command: str(r.command) }));
  }
  addTeamRule(missionId: string, teamId: string, command: string, escalationId: string, at: string): void {
    this.s.addRule.run({ mission_id: missionId, team_id: teamId, command, escalation_id: escalationId, created_at: at });
  }

  appendTranscript(entry: {
    missionId: string;
    agentId: string;
    conversation: string;
    seq: number;
    kind: 'message' | 'compaction';
    message: ConversationMessage;
    replacesThroughSeq?: number | null;
    inputTokens?: number | null;
    outputTokens?: number | null;
    at: string;
  }): void {
    // Append-only and read back only through statements that wait for it: the write
    // group runs it at the end of the turn (see WriteGroup.defer), at once without one.
    deferWrite(this.db, () => this.s.insertTranscript.run({
      mission_id: entry.missionId,
      agent_id: entry.agentId,
      conversation: entry.conversation,
      seq: entry.seq,
      kind: entry.kind,
      role: entry.message.role,
      content_json: JSON.stringify(entry.message.content),
      replaces_through_seq: entry.replacesThroughSeq ?? null,
      input_tokens: entry.inputTokens ?? null,
      output_tokens: entry.outputTokens ?? null,
      created_at: entry.at,
    }));
  }

  /**
   * The messages of one conversation as a model should see them: the latest compaction
   * (if any) as the head, then every message after what it replaced.
   */
  loadConversation(missionId: string, agentId: string, conversation: string): LoadedConversation {
    const rows = this.s.conversation.all(missionId, agentId, conversation) as Row[];
    let start = 0;
    let head: Row | undefined;
    for (let i = rows.length - 1; i >= 0; i--) {
      const row = rows[i];
      if (row && row.kind === 'compaction') {
        head = row;
        break;
      }
    }
    const messages: ConversationMessage[] = [];
    const seqs: number[] = [];
    let nextSeq = 0;
    for (const r of rows) nextSeq = Math.max(nextSeq, Number(r.seq) + 1);
    if (head) {
      messages.push({ role: head.role as 'user', content: json(head.content_json) });
      seqs.push(Number(head.seq));
      start = Number(head.replaces_through_seq);
    } else {
      start = -1;
    }
    for (const r of rows) {
      if (r.kind !== 'message' || Number(r.seq) <= start) continue;
      messages.push({ role: r.role as 'user' | 'assistant', content: json(r.content_json) });
      seqs.push(Number(r.seq));
    }
    return { messages, seqs, nextSeq };
  }

  transcript(missionId: string, agentId: string, afterId: number, limit: number): TranscriptEntry[] {
    return (this.s.transcript.all(missionId, agentId, afterId, limit) as Row[]).map((r) => ({
      id: Number(r.id),
      conversation: str(r.conversation),
      seq: Number(r.seq),
      kind: r.kind as 'message' | 'compaction',
      role: r.role as 'user' | 'assistant',
      content: json(r.content_json),
      createdAt: str(r.created_at),
    }));
  }

  /** Tokens and cost per agent of a mission, from the calls roll-up (exact, indexed). */
  agentUsage(missionId: string): AgentUsageRow[] {
    return (this.s.agentUsage.all(missionId) as Row[]).map((r) => ({
      agentId: str(r.agent_id),
      inputTokens: Number(r.input_tokens),
      outputTokens: Number(r.output_tokens),
      costNano: Number(r.cost_nano),
    }));
  }

  /** One agent's tokens and cost in a mission. */
  oneAgentUsage(missionId: string, agentId: string): AgentUsageRow {
    const r = this.s.oneAgentUsage.get(missionId, agentId) as Row;
    return {
      agentId,
      inputTokens: Number(r.input_tokens),
      outputTokens: Number(r.output_tokens),
      costNano: Number(r.cost_nano),
    };
  }

  /** The conversation key of the last task this agent worked on, if any. */
  lastTaskConversation(missionId: string, agentId: string): string | undefined {
    return (this.s.lastTaskConversation.get(missionId, agentId) as string | undefined) ?? undefined;
  }

  missionSpent(missionId: string): number {
    return Number(this.s.missionSpent.get(missionId));
  }
}

function prepare(db: Database.Database) {
  return {
    upsertMission: db.prepare(upsertSql('missions', MISSION_COLUMNS, ['id'])),
    upsertTeam: db.prepare(upsertSql('mission_teams', TEAM_COLUMNS, ['mission_id', 'id'])),
    upsertAgent: db.prepare(upsertSql('mission_agents', AGENT_COLUMNS, ['mission_id', 'id'])),
    setTurnsWithoutProgress: db.prepare(
      'UPDATE mission_agents SET turns_without_progress = ? WHERE mission_id = ? AND id = ?',
    ),
    upsertTask: db.prepare(upsertSql('mission_tasks', TASK_COLUMNS, ['id'])),
    upsertEscalation: db.prepare(upsertSql('escalations', ESCALATION_COLUMNS, ['id'])),
    insertLog: db.prepare(
      `INSERT INTO mission_log (mission_id, at, kind, subject_id, from_state, to_state, detail_json)
       VALUES (@mission_id, @at, @kind, @subject_id, @from_state, @to_state, @detail_json)`,
    ),
    getMission: db.prepare('SELECT * FROM missions WHERE id = ?'),
    listMissions: db.prepare('SELECT * FROM missions ORDER BY created_at DESC, id'),
    teams: db.prepare('SELECT * FROM mission_teams WHERE mission_id = ? ORDER BY sort_order'),
    agents: db.prepare('SELECT * FROM mission_agents WHERE mission_id = ? ORDER BY team_id, sort_order'),
    tasks: db.prepare('SELECT * FROM mission_tasks WHERE mission_id = ? ORDER BY team_id, plan_round, sort_order'),
    escalations: db.prepare('SELECT * FROM escalations WHERE mission_id = ? ORDER BY created_at, id'),
    openEscalations: db.prepare("SELECT * FROM escalations WHERE state = 'open' ORDER BY created_at, id"),
    allEscalations: db.prepare('SELECT * FROM escalations ORDER BY created_at DESC, id LIMIT 5000'),
    getEscalation: db.prepare('SELECT * FROM escalations WHERE id = ?'),
    logRows: db.prepare('SELECT * FROM mission_log WHERE mission_id = ? ORDER BY id'),
    logPage: db.prepare('SELECT * FROM mission_log WHERE mission_id = ? AND id > ? ORDER BY id LIMIT ?'),
    rules: db.prepare('SELECT team_id, command FROM team_command_rules WHERE mission_id = ?'),
    addRule: db.prepare(
      `INSERT INTO team_command_rules (mission_id, team_id, command, escalation_id, created_at)
       VALUES (@mission_id, @team_id, @command, @escalation_id, @created_at) ON CONFLICT DO NOTHING`,
    ),
    insertTranscript: db.prepare(
      `INSERT INTO transcript_entries (mission_id, agent_id, conversation, seq, kind, role, content_json,
         replaces_through_seq, input_tokens, output_tokens, created_at)
       VALUES (@mission_id, @agent_id, @conversation, @seq, @kind, @role, @content_json,
         @replaces_through_seq, @input_tokens, @output_tokens, @created_at)`,
    ),
    conversation: db.prepare(
      'SELECT * FROM transcript_entries WHERE mission_id = ? AND agent_id = ? AND conversation = ? ORDER BY seq',
    ),
    transcript: db.prepare(
      'SELECT * FROM transcript_entries WHERE mission_id = ? AND agent_id = ? AND id > ? ORDER BY id LIMIT ?',
    ),
    agentUsage: db.prepare(
      `SELECT agent_id, sum(input_tokens + cache_creation_5m_tokens + cache_creation_1h_tokens + cache_read_tokens) AS input_tokens,
              sum(output_tokens) AS output_tokens, sum(cost_total_nano) AS cost_nano
       FROM call_totals WHERE mission_id = ? GROUP BY agent_id`,
    ),
    oneAgentUsage: db.prepare(
      `SELECT coalesce(sum(input_tokens + cache_creation_5m_tokens + cache_creation_1h_tokens + cache_read_tokens), 0) AS input_tokens,
              coalesce(sum(output_tokens), 0) AS output_tokens, coalesce(sum(cost_total_nano), 0) AS cost_nano
       FROM call_totals WHERE mission_id = ? AND agent_id = ?`,
    ),
    lastTaskConversation: db
      .prepare(
        "SELECT conversation FROM transcript_entries WHERE mission_id = ? AND agent_id = ? AND conversation LIKE 'task:%' ORDER BY id DESC LIMIT 1",
      )
      .pluck(),
    missionSpent: db
      .prepare('SELECT coalesce(sum(cost_total_nano), 0) FROM call_totals WHERE mission_id = ?')
      .pluck(),
  };
}

/** The task as commands and events show it. */
export function taskView(t: TaskRecord): TaskView {
  return {
    id: t.id,
    missionId: t.missionId,
    teamId: t.teamId,
    key: t.key,
    title: t.title,
    description: t.description,
    acceptanceCriteria: t.acceptanceCriteria,
    owns: t.owns,
    dependsOn: t.dependsOn,
    state: t.state,
    assignee: t.assignee,
    attempts: t.attempts,
    feedback: t.feedback,
    submissionSummary: t.submissionSummary,
    mergedCommit: t.mergedCommit,
    updatedAt: t.updatedAt,
  };
}

/** The escalation as commands and events show it. */
export function escalationView(e: EscalationRecord): EscalationView {
  return {
    id: e.id,
    missionId: e.missionId,
    teamId: e.teamId,
    agentId: e.agentId,
    taskId: e.taskId,
    type: e.type,
    level: e.level,
    state: e.state,
    title: e.title,
    detail: e.detail,
    payload: e.payload,
    decision: e.decision,
    comment: e.comment,
    alwaysAllow: e.alwaysAllow,
    decidedBy: e.decidedBy,
    timeoutAt: e.timeoutAt,
    createdAt: e.createdAt,
    decidedAt: e.decidedAt,
  };
}

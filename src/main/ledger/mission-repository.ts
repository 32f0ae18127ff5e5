import type Database from 'better-sqlite3';
import type { EscalationView, MissionState, TaskView, TranscriptEntry } from '../../shared/mission.js';
import {
  AGENTS,
  ESCALATIONS,
  LOG,
  MISSIONS,
  TASKS,
  TEAM_RULES,
  TEAMS,
  TRANSCRIPT,
  TRANSCRIPT_ENTRY,
  type AgentRecord,
  type EscalationRecord,
  type LogRow,
  type MissionRecord,
  type TaskRecord,
  type TeamRecord,
} from './mission-tables.js';
import { atomically, deferWrite, joinWriteGroup } from './write-group.js';
import type { ConversationMessage } from '../llm/provider.js';

export type {
  AgentRecord,
  EscalationRecord,
  LogKind,
  LogRow,
  MissionRecord,
  TaskRecord,
  TeamRecord,
} from './mission-tables.js';

/**
 * The engine's rows, in camelCase (declared in mission-tables.ts), and the statements that
 * read and write them. Every state change the engine makes is `update*` of the row plus
 * one `mission_log` row in the same transaction (callers wrap both in {@link MissionStore.tx}).
 */

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

/** Rows written without their `INTEGER PRIMARY KEY`, which SQLite assigns. */
const LOG_INSERT = LOG.omit('id');
const TRANSCRIPT_INSERT = TRANSCRIPT.omit('id');
const RULE_COMMANDS = TEAM_RULES.pick('teamId', 'command');
/**
 * What loadConversation walks, selected with the content after it: the content is
 * parsed only for the messages the model will see (see loadConversation).
 */
const CONVERSATION_ROW = TRANSCRIPT.pick('seq', 'kind', 'role', 'replacesThroughSeq');
const CONTENT_AT = CONVERSATION_ROW.columnNames.length;
const readContent = TRANSCRIPT.columns.content.read;

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
    this.s.upsertMission.run(MISSIONS.toParams(m));
  }
  saveTeam(t: TeamRecord): void {
    this.s.upsertTeam.run(TEAMS.toParams(t));
  }
  /**
   * This mission's share of the goal for one team (null: its leader plans from its
   * brief); the director writes it before the team plans. Throws for a team the mission
   * does not have.
   */
  setTeamShare(missionId: string, teamId: string, share: string | null): void {
    const { changes } = this.s.setTeamShare.run(share, missionId, teamId);
    if (changes !== 1) throw new Error(`mission ${missionId} has no team ${teamId}`);
  }
  /**
   * The teams one team starts after, in this mission (the engine reads them from here,
   * not from the design, so the director may change them before planning starts).
   * Throws for a team the mission does not have.
   */
  setTeamAfter(missionId: string, teamId: string, after: readonly string[]): void {
    const { changes } = this.s.setTeamAfter.run(JSON.stringify(after), missionId, teamId);
    if (changes !== 1) throw new Error(`mission ${missionId} has no team ${teamId}`);
  }
  /**
   * Writes an agent's row. It is written in the turns of a model call (state changes,
   * the stall counter), so it waits for the end of the turn like the log and transcript
   * rows (see appendTranscript); statements on
   * `mission_agents` run the queue first, so every reader sees it. Records are never
   * changed in place (the engine replaces them), so `a` is what will be written.
   */
  saveAgent(a: AgentRecord): void {
    deferWrite(this.db, () => this.s.upsertAgent.run(AGENTS.toParams(a)));
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
    this.s.upsertTask.run(TASKS.toParams(t));
  }
  saveEscalation(e: EscalationRecord): void {
    this.s.upsertEscalation.run(ESCALATIONS.toParams(e));
  }

  /** Appends a log row; like a transcript row it waits for the end of the turn (see appendTranscript). */
  log(row: Omit<LogRow, 'id'>): void {
    // Serialised now: the detail is the caller's object, and the row waits for the end of the turn.
    const params = LOG_INSERT.toParams(row);
    deferWrite(this.db, () => this.s.insertLog.run(params));
  }

  getMission(id: string): MissionRecord | undefined {
    return this.s.getMission.get(id);
  }
  listMissions(): MissionRecord[] {
    return this.s.listMissions.all();
  }
  missionsInStates(states: readonly MissionState[]): MissionRecord[] {
    return this.listMissions().filter((m) => states.includes(m.state));
  }
  teams(missionId: string): TeamRecord[] {
    return this.s.teams.all(missionId);
  }
  agents(missionId: string): AgentRecord[] {
    return this.s.agents.all(missionId);
  }
  tasks(missionId: string): TaskRecord[] {
    return this.s.tasks.all(missionId);
  }
  escalations(missionId: string): EscalationRecord[] {
    return this.s.escalations.all(missionId);
  }
  allEscalations(openOnly: boolean): EscalationRecord[] {
    return (openOnly ? this.s.openEscalations : this.s.allEscalations).all();
  }
  getEscalation(id: string): EscalationRecord | undefined {
    return this.s.getEscalation.get(id);
  }
  log_(missionId: string): LogRow[] {
    return this.s.logRows.all(missionId);
  }
  /** One page of a mission's log, oldest first, after row `afterId` (indexed by mission and id). */
  logPage(missionId: string, afterId: number, limit: number): LogRow[] {
    return this.s.logPage.all(missionId, afterId, limit);
  }

  teamRules(missionId: string): { teamId: string; command: string }[] {
    return this.s.rules.all(missionId);
  }
  addTeamRule(missionId: string, teamId: string, command: string, escalationId: string, at: string): void {
    this.s.addRule.run(TEAM_RULES.toParams({ missionId, teamId, command, escalationId, createdAt: at }));
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
    deferWrite(this.db, () =>
      this.s.insertTranscript.run(
        TRANSCRIPT_INSERT.toParams({
          missionId: entry.missionId,
          agentId: entry.agentId,
          conversation: entry.conversation,
          seq: entry.seq,
          kind: entry.kind,
          role: entry.message.role,
          content: entry.message.content,
          replacesThroughSeq: entry.replacesThroughSeq ?? null,
          inputTokens: entry.inputTokens ?? null,
          outputTokens: entry.outputTokens ?? null,
          createdAt: entry.at,
        }),
      ),
    );
  }

  /**
   * The messages of one conversation as a model should see them: the latest compaction
   * (if any) as the head, then every message after what it replaced.
   */
  loadConversation(missionId: string, agentId: string, conversation: string): LoadedConversation {
    const raw = this.s.conversation.all(missionId, agentId, conversation);
    const rows = raw.map(CONVERSATION_ROW.fromRow);
    // Parsed only for the messages kept: what a compaction replaced is never parsed.
    const contentOf = (i: number) => readContent(raw[i]?.[CONTENT_AT]) as ConversationMessage['content'];
    const headAt = rows.findLastIndex((r) => r.kind === 'compaction');
    const head = rows[headAt];
    const messages: ConversationMessage[] = [];
    const seqs: number[] = [];
    let nextSeq = 0;
    for (const r of rows) nextSeq = Math.max(nextSeq, r.seq + 1);
    let start = -1;
    if (head) {
      messages.push({ role: head.role as 'user', content: contentOf(headAt) });
      seqs.push(head.seq);
      start = Number(head.replacesThroughSeq);
    }
    rows.forEach((r, i) => {
      if (r.kind !== 'message' || r.seq <= start) return;
      messages.push({ role: r.role, content: contentOf(i) });
      seqs.push(r.seq);
    });
    return { messages, seqs, nextSeq };
  }

  transcript(missionId: string, agentId: string, afterId: number, limit: number): TranscriptEntry[] {
    return this.s.transcript.all(missionId, agentId, afterId, limit);
  }

  /** Tokens and cost per agent of a mission, from the calls roll-up (exact, indexed). */
  agentUsage(missionId: string): AgentUsageRow[] {
    return (this.s.agentUsage.all(missionId) as Row[]).map((r) => ({
      agentId: String(r.agent_id),
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
    upsertMission: db.prepare(MISSIONS.upsertSql(['id'])),
    upsertTeam: db.prepare(TEAMS.upsertSql(['missionId', 'id'])),
    upsertAgent: db.prepare(AGENTS.upsertSql(['missionId', 'id'])),
    setTeamShare: db.prepare('UPDATE mission_teams SET share = ? WHERE mission_id = ? AND id = ?'),
    setTeamAfter: db.prepare('UPDATE mission_teams SET after_json = ? WHERE mission_id = ? AND id = ?'),
    setTurnsWithoutProgress: db.prepare(
      'UPDATE mission_agents SET turns_without_progress = ? WHERE mission_id = ? AND id = ?',
    ),
    upsertTask: db.prepare(TASKS.upsertSql(['id'])),
    upsertEscalation: db.prepare(ESCALATIONS.upsertSql(['id'])),
    insertLog: db.prepare(LOG_INSERT.insertSql()),
    getMission: MISSIONS.select<[id: string]>(db, 'WHERE id = ?'),
    listMissions: MISSIONS.select<[]>(db, 'ORDER BY created_at DESC, id'),
    teams: TEAMS.select<[missionId: string]>(db, 'WHERE mission_id = ? ORDER BY sort_order'),
    agents: AGENTS.select<[missionId: string]>(db, 'WHERE mission_id = ? ORDER BY team_id, sort_order'),
    tasks: TASKS.select<[missionId: string]>(
      db,
      'WHERE mission_id = ? ORDER BY team_id, plan_round, sort_order',
    ),
    escalations: ESCALATIONS.select<[missionId: string]>(db, 'WHERE mission_id = ? ORDER BY created_at, id'),
    openEscalations: ESCALATIONS.select<[]>(db, "WHERE state = 'open' ORDER BY created_at, id"),
    allEscalations: ESCALATIONS.select<[]>(db, 'ORDER BY created_at DESC, id LIMIT 5000'),
    getEscalation: ESCALATIONS.select<[id: string]>(db, 'WHERE id = ?'),
    logRows: LOG.select<[missionId: string]>(db, 'WHERE mission_id = ? ORDER BY id'),
    logPage: LOG.select<[missionId: string, afterId: number, limit: number]>(
      db,
      'WHERE mission_id = ? AND id > ? ORDER BY id LIMIT ?',
    ),
    rules: RULE_COMMANDS.select<[missionId: string]>(db, 'WHERE mission_id = ?'),
    addRule: db.prepare(`${TEAM_RULES.insertSql()} ON CONFLICT DO NOTHING`),
    insertTranscript: db.prepare(TRANSCRIPT_INSERT.insertSql()),
    conversation: db
      .prepare<[missionId: string, agentId: string, conversation: string], unknown[]>(
        `SELECT ${CONVERSATION_ROW.list}, ${TRANSCRIPT.columns.content.name} FROM ${TRANSCRIPT.name}
         WHERE mission_id = ? AND agent_id = ? AND conversation = ? ORDER BY seq`,
      )
      .raw(),
    transcript: TRANSCRIPT_ENTRY.select<[missionId: string, agentId: string, afterId: number, limit: number]>(
      db,
      'WHERE mission_id = ? AND agent_id = ? AND id > ? ORDER BY id LIMIT ?',
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
    planRound: t.planRound,
    state: t.state,
    assignee: t.assignee,
    attempts: t.attempts,
    feedback: t.feedback,
    submissionSummary: t.submissionSummary,
    mergedCommit: t.mergedCommit,
    updatedAt: t.updatedAt,
  };
}

/** The escalation as commands and events show it: the record without its tool call. */
export function escalationView(e: EscalationRecord): EscalationView {
  const { toolUseId: _toolUseId, ...view } = e;
  return view;
}

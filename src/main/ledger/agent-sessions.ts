import type Database from 'better-sqlite3';
import { joinWriteGroup } from './write-group.js';

/** How a session of an external runtime ended; `lost` is one a restart could not resume. */
export type SessionOutcome = 'completed' | 'error' | 'aborted' | 'lost';

export interface AgentSessionRecord {
  missionId: string;
  agentId: string;
  conversation: string;
  runtime: 'claude-code';
  sessionId: string;
  startedAt: string;
  endedAt: string | null;
  outcome: SessionOutcome | null;
  reason: string | null;
}

interface Row {
  mission_id: string;
  agent_id: string;
  conversation: string;
  runtime: 'claude-code';
  session_id: string;
  started_at: string;
  ended_at: string | null;
  outcome: SessionOutcome | null;
  reason: string | null;
}

const fromRow = (r: Row): AgentSessionRecord => ({
  missionId: r.mission_id,
  agentId: r.agent_id,
  conversation: r.conversation,
  runtime: r.runtime,
  sessionId: r.session_id,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  outcome: r.outcome,
  reason: r.reason,
});

/**
 * The `agent_sessions` table (migration 0005): which Claude Code session a job of an agent
 * runs in, so that a restarted app resumes that session instead of starting the job over.
 */
export class AgentSessionsRepository {
  private readonly getStmt: Database.Statement<[string, string, string], Row>;
  private readonly startStmt: Database.Statement;
  private readonly endStmt: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.getStmt = db.prepare(
      'SELECT * FROM agent_sessions WHERE mission_id = ? AND agent_id = ? AND conversation = ?',
    );
    // A resumed session may report a new id (the SDK forks on resume in some versions): keep the newest.
    this.startStmt = db.prepare(
      `INSERT INTO agent_sessions (mission_id, agent_id, conversation, runtime, session_id, started_at)
       VALUES (@missionId, @agentId, @conversation, @runtime, @sessionId, @startedAt)
       ON CONFLICT (mission_id, agent_id, conversation)
       DO UPDATE SET session_id = excluded.session_id, ended_at = NULL, outcome = NULL, reason = NULL`,
    );
    this.endStmt = db.prepare(
      `UPDATE agent_sessions SET ended_at = @endedAt, outcome = @outcome, reason = @reason
       WHERE mission_id = @missionId AND agent_id = @agentId AND conversation = @conversation`,
    );
  }

  /** The session of one job, if it ever started one. */
  get(missionId: string, agentId: string, conversation: string): AgentSessionRecord | undefined {
    const row = this.getStmt.get(missionId, agentId, conversation);
    return row ? fromRow(row) : undefined;
  }

  /** Records (or replaces) the session a job runs in; it is open until `end`. */
  started(record: Pick<AgentSessionRecord, 'missionId' | 'agentId' | 'conversation' | 'runtime' | 'sessionId' | 'startedAt'>): void {
    joinWriteGroup(this.db);
    this.startStmt.run(record);
  }

  /** Records how the job's session ended. */
  ended(key: { missionId: string; agentId: string; conversation: string }, outcome: SessionOutcome, endedAt: string, reason: string | null = null): void {
    joinWriteGroup(this.db);
    this.endStmt.run({ ...key, outcome, endedAt, reason });
  }
}

import type Database from 'better-sqlite3';
import type { SteeringMessageView, TeamPriorityView } from '../../shared/steering.js';
import { defineTable, int, text, textOrNull } from './columns.js';

/**
 * The person's messages to leaders (migration 0008): written when sent, marked delivered
 * in the transaction that adds them to the leader's conversation, so a restart delivers
 * exactly the ones that had not reached it. A team's priority and pause are columns of
 * `mission_teams` (see mission-tables.ts).
 */
export const STEERING_MESSAGES = defineTable<SteeringMessageView & { conversation: string | null }>('steering_messages', {
  id: int('id'),
  missionId: text('mission_id'),
  teamId: text('team_id'),
  agentId: text('agent_id'),
  text: text('text'),
  createdAt: text('created_at'),
  deliveredAt: textOrNull('delivered_at'),
  conversation: textOrNull('conversation'),
});

const VIEW = STEERING_MESSAGES.omit('conversation');
const INSERT = STEERING_MESSAGES.omit('id', 'deliveredAt', 'conversation');

/** Prepared statements over `steering_messages` and the steering columns of `mission_teams`; one per connection. */
export class SteeringRepository {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      insert: db.prepare(INSERT.insertSql()),
      byMission: VIEW.select<[missionId: string]>(db, 'WHERE mission_id = ? ORDER BY id'),
      undelivered: VIEW.select<[missionId: string]>(db, 'WHERE mission_id = ? AND delivered_at IS NULL ORDER BY id'),
      delivered: db.prepare<[at: string, conversation: string, id: number]>(
        'UPDATE steering_messages SET delivered_at = ?, conversation = ? WHERE id = ? AND delivered_at IS NULL',
      ),
      priorities: db.prepare<[], { mission_id: string; mission_name: string; id: string; name: string; priority_weight: number; paused: number }>(
        `SELECT t.mission_id, m.name AS mission_name, t.id, t.name, t.priority_weight, t.paused
         FROM mission_teams t JOIN missions m ON m.id = t.mission_id
         WHERE m.state NOT IN ('draft', 'done', 'failed', 'cancelled') ORDER BY m.created_at, t.sort_order`,
      ),
      weights: db.prepare<[], { mission_id: string; id: string; priority_weight: number }>(
        `SELECT t.mission_id, t.id, t.priority_weight FROM mission_teams t JOIN missions m ON m.id = t.mission_id
         WHERE t.priority_weight <> 1 AND m.state NOT IN ('done', 'failed', 'cancelled')`,
      ),
    };
  }

  /** Records a message for a leader; answers it with its id. */
  add(message: Omit<SteeringMessageView, 'id' | 'deliveredAt'>): SteeringMessageView {
    const { lastInsertRowid } = this.s.insert.run(INSERT.toParams(message));
    return { ...message, id: Number(lastInsertRowid), deliveredAt: null };
  }

  /** Every message of a mission, oldest first. */
  list(missionId: string): SteeringMessageView[] {
    return this.s.byMission.all(missionId);
  }

  /** The messages of a mission that no leader has seen yet, oldest first. */
  undelivered(missionId: string): SteeringMessageView[] {
    return this.s.undelivered.all(missionId);
  }

  /** Marks a message delivered into `conversation` (once: a second call changes nothing). */
  markDelivered(id: number, at: string, conversation: string): void {
    this.s.delivered.run(at, conversation, id);
  }

  /** Every team of the started, unfinished missions with its priority: the limiter's shares as the person set them. */
  priorities(): TeamPriorityView[] {
    return this.s.priorities.all().map((r) => ({
      missionId: r.mission_id,
      missionName: r.mission_name,
      teamId: r.id,
      teamName: r.name,
      weight: Number(r.priority_weight),
      paused: r.paused === 1,
    }));
  }

  /** The weights of unfinished missions' teams that differ from the default, for the limiter after a restart. */
  activeWeights(): { missionId: string; teamId: string; weight: number }[] {
    return this.s.weights.all().map((r) => ({ missionId: r.mission_id, teamId: r.id, weight: Number(r.priority_weight) }));
  }
}

import type Database from 'better-sqlite3';

/** A mission's branch slugs as stored (migration 0013); see `WorkspaceNames` in workspace/. */
export interface StoredNames {
  mission: string;
  teams: Record<string, string>;
  coders: Record<string, string>;
}

/** One mission's row of `mission_workspaces`. */
export interface MissionWorkspaceRow {
  missionId: string;
  /** Null: its branches are named by ids (started before readable names, or not started). */
  names: StoredNames | null;
  /** The person's choice for this mission; null follows the Settings default. */
  keepBranches: boolean | null;
  cleanedAt: string | null;
}

interface Raw {
  mission_id: string;
  names_json: string | null;
  keep_branches: number | null;
  cleaned_at: string | null;
}

const toRow = (raw: Raw): MissionWorkspaceRow => ({
  missionId: raw.mission_id,
  names: raw.names_json === null ? null : (JSON.parse(raw.names_json) as StoredNames),
  keepBranches: raw.keep_branches === null ? null : raw.keep_branches === 1,
  cleanedAt: raw.cleaned_at,
});

/**
 * `mission_workspaces` (migration 0013): the readable branch names chosen when a mission's
 * workspace was first made, whether its branches outlive it, and when its leftovers were
 * last cleaned up. Prepared statements, one instance per connection.
 */
export class WorkspaceNamesRepository {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      get: db.prepare<[string], Raw>('SELECT mission_id, names_json, keep_branches, cleaned_at FROM mission_workspaces WHERE mission_id = ?'),
      slugs: db.prepare<[], { mission_slug: string }>('SELECT mission_slug FROM mission_workspaces WHERE mission_slug IS NOT NULL'),
      setNames: db.prepare<[string, string, string]>(
        `INSERT INTO mission_workspaces (mission_id, mission_slug, names_json) VALUES (?, ?, ?)
         ON CONFLICT (mission_id) DO UPDATE SET mission_slug = excluded.mission_slug, names_json = excluded.names_json`,
      ),
      setKeep: db.prepare<[string, number | null]>(
        `INSERT INTO mission_workspaces (mission_id, keep_branches) VALUES (?, ?)
         ON CONFLICT (mission_id) DO UPDATE SET keep_branches = excluded.keep_branches`,
      ),
      setCleaned: db.prepare<[string, string]>(
        `INSERT INTO mission_workspaces (mission_id, cleaned_at) VALUES (?, ?)
         ON CONFLICT (mission_id) DO UPDATE SET cleaned_at = excluded.cleaned_at`,
      ),
      uncleaned: db.prepare<[], { id: string }>(
        `SELECT m.id FROM missions m JOIN mission_workspaces w ON w.mission_id = m.id
         WHERE m.state IN ('done', 'failed', 'cancelled') AND w.names_json IS NOT NULL AND w.cleaned_at IS NULL
         ORDER BY m.ended_at`,
      ),
    };
  }

  get(missionId: string): MissionWorkspaceRow | null {
    const raw = this.s.get.get(missionId);
    return raw ? toRow(raw) : null;
  }

  /** Every mission slug the ledger holds: a new mission's slug must differ from all of them. */
  missionSlugs(): Set<string> {
    return new Set(this.s.slugs.all().map((r) => r.mission_slug));
  }

  /** Stores a mission's branch names (the first time, or with coders added). */
  setNames(missionId: string, names: StoredNames): void {
    this.s.setNames.run(missionId, names.mission, JSON.stringify(names));
  }

  setKeepBranches(missionId: string, keep: boolean | null): void {
    this.s.setKeep.run(missionId, keep === null ? null : keep ? 1 : 0);
  }

  markCleaned(missionId: string, at: string): void {
    this.s.setCleaned.run(missionId, at);
  }

  /** Finished missions with readable names whose end-of-mission clean-up never ran (a crash came first). */
  uncleaned(): string[] {
    return this.s.uncleaned.all().map((r) => r.id);
  }
}

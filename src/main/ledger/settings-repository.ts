import type Database from 'better-sqlite3';
import type { z } from 'zod';
import { AppError } from '../../shared/result.js';
import { formatIssues } from '../../shared/validation.js';

/**
 * Typed key/value settings in the ledger. Each key has a schema and a default; a stored
 * value that no longer validates (written by an older build, edited by hand) falls back
 * to the default rather than breaking start-up, and the next save replaces it.
 */
export interface SettingSpec<T> {
  schema: z.ZodType<T>;
  fallback: () => T;
}

export class SettingsRepository {
  private readonly getStmt: Database.Statement<[string], { value_json: string }>;
  private readonly upsertStmt: Database.Statement<[string, string, string]>;
  private readonly historyStmt: Database.Statement<[string, string, string]>;

  constructor(
    private readonly db: Database.Database,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.getStmt = db.prepare('SELECT value_json FROM settings WHERE key = ?');
    this.upsertStmt = db.prepare(
      `INSERT INTO settings (key, value_json, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json, updated_at = excluded.updated_at`,
    );
    this.historyStmt = db.prepare('INSERT INTO settings_changes (key, value_json, changed_at) VALUES (?, ?, ?)');
  }

  /** The stored value, or the default when none (or no longer a valid one) is stored. */
  get<T>(key: string, spec: SettingSpec<T>): T {
    const row = this.getStmt.get(key);
    if (!row) return spec.fallback();
    try {
      const parsed = spec.schema.safeParse(JSON.parse(row.value_json));
      return parsed.success ? parsed.data : spec.fallback();
    } catch {
      return spec.fallback();
    }
  }

  /** Validates and stores a value with its change record; throws `invalid_request` naming the field. */
  set<T>(key: string, spec: SettingSpec<T>, value: unknown): T {
    const parsed = spec.schema.safeParse(value);
    if (!parsed.success) throw new AppError('invalid_request', formatIssues(parsed.error.issues, key));
    const json = JSON.stringify(parsed.data);
    const at = this.clock().toISOString();
    this.db.transaction(() => {
      this.upsertStmt.run(key, json, at);
      this.historyStmt.run(key, json, at);
    })();
    return parsed.data;
  }
}

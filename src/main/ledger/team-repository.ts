import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { z } from 'zod';
import { AppError } from '../../shared/result.js';
import type {
  AgentRuntime,
  ClaudeCodeSpec,
  AgentRole,
  AgentSpec,
  TeamDesign,
  TeamBrief,
  TeamDesignSummary,
  TeamSpec,
  teamDesignDraftSchema,
} from '../../shared/team.js';

/** A draft that passed `teamDesignDraftSchema`: names trimmed, fields complete. */
export type ValidTeamDesignDraft = z.output<typeof teamDesignDraftSchema>;

interface DesignRow {
  id: string;
  name: string;
  description: string;
  canvas_json: string;
  director_model: string | null;
  revision: number;
  created_at: string;
  updated_at: string;
}

interface TeamRow {
  id: string;
  name: string;
  budget_nano: number | null;
  position_x: number;
  position_y: number;
  brief_json: string | null;
  after_json: string | null;
}

interface AgentRow {
  id: string;
  team_id: string;
  name: string;
  role: AgentRole;
  model: string;
  budget_nano: number | null;
  system_prompt: string;
  allowed_commands_json: string;
  write_scope_json: string;
  idle_timeout_sec: number | null;
  runtime: AgentRuntime | null;
  claude_code_json: string | null;
}

interface SummaryRow {
  id: string;
  name: string;
  description: string;
  updated_at: string;
  revision: number;
  team_count: number;
  agent_count: number;
}

/**
 * Team designs in the ledger. Every write is one transaction: a save that fails
 * (conflict, duplicate name, constraint) leaves the stored design exactly as it was.
 */
export class TeamRepository {
  private readonly db: Database.Database;
  private readonly clock: () => Date;
  private readonly stmts: Statements;

  constructor(db: Database.Database, clock: () => Date = () => new Date()) {
    this.db = db;
    this.clock = clock;
    this.stmts = prepareStatements(db);
  }

  /** Every design, most recently changed first, with its team and agent counts. */
  list(): TeamDesignSummary[] {
    return this.stmts.list.all().map((r) => ({
      id: r.id,
      name: r.name,
      description: r.description,
      teamCount: r.team_count,
      agentCount: r.agent_count,
      updatedAt: r.updated_at,
      revision: r.revision,
    }));
  }

  /** The design with `id`, teams and agents in the order they were saved; undefined if none. */
  get(id: string): TeamDesign | undefined {
    // One read transaction, so a concurrent writer cannot show us half a save.
    return this.db.transaction(() => this.read(id))();
  }

  /**
   * Creates or replaces a design and returns it as stored.
   *
   * Without an id a new design is created. With an id, an existing design is replaced
   * (teams and agents included) and its revision goes up by one; an id not stored yet
   * creates a design with that id, which is how imports keep their ids. When
   * `expectedRevision` is given and the stored revision (0 for "not stored") differs,
   * throws `AppError('conflict')`. Two agents whose names match ignoring case throw
   * `AppError('duplicate_name')`. Nothing is written when it throws.
   */
  save(draft: ValidTeamDesignDraft): TeamDesign {
    const write = this.db.transaction((): TeamDesign => {
      const id = draft.id ?? randomUUID();
      const existing = draft.id === undefined ? undefined : this.stmts.revision.get(id);
      const current = existing?.revision ?? 0;
      if (draft.expectedRevision !== undefined && draft.expectedRevision !== current) {
        throw new AppError(
          'conflict',
          existing
            ? `team design "${draft.name}" was changed elsewhere (it is at revision ${current}, ` +
                `this edit started from ${draft.expectedRevision}); reload it and apply your changes again`
            : `team design "${draft.name}" is not stored any more (this edit started from ` +
                `revision ${draft.expectedRevision}); it may have been deleted`,
        );
      }

      const now = this.clock().toISOString();
      const row = {
        id,
        name: draft.name,
        description: draft.description,
        canvasJson: JSON.stringify(draft.canvas),
        directorModel: draft.director?.model ?? null,
        revision: current + 1,
        createdAt: existing?.created_at ?? now,
        updatedAt: now,
      };
      if (existing) {
        this.stmts.updateDesign.run(row);
        this.stmts.deleteTeams.run(id); // cascades to the agents
      } else {
        this.stmts.insertDesign.run(row);
      }
      this.writeTeams(id, draft.teams);

      // Answer with what a later get() will read, so the two can never differ.
      const saved = this.read(id);
      if (!saved) throw new AppError('internal', `team design "${id}" vanished while saving`);
      return saved;
    });
    // IMMEDIATE: the revision check and the write happen under one write lock.
    return write.immediate();
  }

  /** Deletes a design with its teams and agents; false when there was none. */
  delete(id: string): boolean {
    return this.stmts.deleteDesign.run(id).changes > 0;
  }

  private writeTeams(designId: string, teams: readonly TeamSpec[]): void {
    const namesSeen = new Map<string, string>();
    teams.forEach((team, t) => {
      this.guard(`team "${team.name}"`, () =>
        this.stmts.insertTeam.run({
          designId,
          id: team.id,
          name: team.name,
          budgetNano: team.budgetNanoUsd,
          x: team.position.x,
          y: team.position.y,
          briefJson: team.brief ? JSON.stringify(team.brief) : null,
          afterJson: team.after ? JSON.stringify(team.after) : null,
          sortOrder: t,
        }),
      );
      team.agents.forEach((agent, a) => {
        const nameKey = agentNameKey(agent.name);
        const clash = namesSeen.get(nameKey);
        namesSeen.set(nameKey, agent.name);
        this.guard(`agent "${agent.name}"`, () => this.insertAgent(designId, team, agent, a), {
          duplicateName: `duplicate agent name "${agent.name}"${
            clash !== undefined && clash !== agent.name ? ` (same as "${clash}" ignoring case)` : ''
          }; agent names must be unique in a design`,
          secondLeader: `team "${team.name}" has more than one leader ("${agent.name}" is another); a team has at most one leader`,
        });
      });
    });
  }

  private insertAgent(designId: string, team: TeamSpec, agent: AgentSpec, sortOrder: number) {
    return this.stmts.insertAgent.run({
      designId,
      id: agent.id,
      teamId: team.id,
      name: agent.name,
      nameKey: agentNameKey(agent.name),
      role: agent.role,
      model: agent.model,
      budgetNano: agent.budgetNanoUsd,
      systemPrompt: agent.systemPrompt,
      allowedCommandsJson: JSON.stringify(agent.permissions.allowedCommands),
      writeScopeJson: JSON.stringify(agent.permissions.writeScope),
      idleTimeoutSec: agent.idleTimeoutSec,
      runtime: agent.runtime ?? null,
      claudeCodeJson: agent.claudeCode ? JSON.stringify(agent.claudeCode) : null,
      sortOrder,
    });
  }

  /** Turns constraint failures into errors a person can act on. */
  private guard(
    what: string,
    run: () => unknown,
    messages: { duplicateName?: string; secondLeader?: string } = {},
  ): void {
    try {
      run();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const text = error instanceof Error ? error.message : String(error);
      if (code === 'SQLITE_CONSTRAINT_UNIQUE' && text.includes('name_key') && messages.duplicateName) {
        throw new AppError('duplicate_name', messages.duplicateName);
      }
      if (code === 'SQLITE_CONSTRAINT_UNIQUE' && text.includes('team_id') && messages.secondLeader) {
        throw new AppError('invalid_request', messages.secondLeader);
      }
      if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new AppError(
          'invalid_request',
          `${what} reuses an id already used in this design; ids must be unique in a design`,
        );
      }
      if (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT')) {
        throw new AppError('invalid_request', `${what} could not be saved: ${text}`);
      }
      throw error;
    }
  }

  private read(id: string): TeamDesign | undefined {
    const design = this.stmts.design.get(id);
    if (!design) return undefined;
    const agentsByTeam = new Map<string, AgentSpec[]>();
    for (const r of this.stmts.agents.all(id)) {
      const list = agentsByTeam.get(r.team_id) ?? [];
      list.push({
        id: r.id,
        name: r.name,
        role: r.role,
        model: r.model,
        budgetNanoUsd: r.budget_nano,
        systemPrompt: r.system_prompt,
        permissions: {
          allowedCommands: JSON.parse(r.allowed_commands_json) as string[],
          writeScope: JSON.parse(r.write_scope_json) as string[],
        },
        idleTimeoutSec: r.idle_timeout_sec,
        ...(r.runtime !== null ? { runtime: r.runtime } : {}),
        ...(r.claude_code_json !== null ? { claudeCode: JSON.parse(r.claude_code_json) as ClaudeCodeSpec } : {}),
      });
      agentsByTeam.set(r.team_id, list);
    }
    return {
      id: design.id,
      revision: design.revision,
      createdAt: design.created_at,
      updatedAt: design.updated_at,
      name: design.name,
      description: design.description,
      teams: this.stmts.teams.all(id).map((t) => ({
        id: t.id,
        name: t.name,
        budgetNanoUsd: t.budget_nano,
        position: { x: t.position_x, y: t.position_y },
        agents: agentsByTeam.get(t.id) ?? [],
        ...(t.brief_json !== null ? { brief: JSON.parse(t.brief_json) as TeamBrief } : {}),
        ...(t.after_json !== null ? { after: JSON.parse(t.after_json) as string[] } : {}),
      })),
      canvas: JSON.parse(design.canvas_json) as TeamDesign['canvas'],
      ...(design.director_model !== null ? { director: { model: design.director_model } } : {}),
    };
  }
}

/**
 * The key that makes agent names unique in a design. Locale-independent on purpose:
 * the same name must give the same key on every machine that opens the ledger.
 */
export function agentNameKey(name: string): string {
  return name.toLowerCase();
}

type Statements = ReturnType<typeof prepareStatements>;

function prepareStatements(db: Database.Database) {
  return {
    list: db.prepare<[], SummaryRow>(`
      SELECT d.id, d.name, d.description, d.updated_at, d.revision,
             (SELECT count(*) FROM design_teams t WHERE t.design_id = d.id) AS team_count,
             (SELECT count(*) FROM design_agents a WHERE a.design_id = d.id) AS agent_count
      FROM team_designs d
      ORDER BY d.updated_at DESC, d.name, d.id`),
    design: db.prepare<[string], DesignRow>(`
      SELECT id, name, description, canvas_json, director_model, revision, created_at, updated_at
      FROM team_designs WHERE id = ?`),
    teams: db.prepare<[string], TeamRow>(`
      SELECT id, name, budget_nano, position_x, position_y, brief_json, after_json
      FROM design_teams WHERE design_id = ? ORDER BY sort_order`),
    agents: db.prepare<[string], AgentRow>(`
      SELECT id, team_id, name, role, model, budget_nano, system_prompt,
             allowed_commands_json, write_scope_json, idle_timeout_sec, runtime, claude_code_json
      FROM design_agents WHERE design_id = ? ORDER BY team_id, sort_order`),
    revision: db.prepare<[string], { revision: number; created_at: string }>(
      `SELECT revision, created_at FROM team_designs WHERE id = ?`,
    ),
    insertDesign: db.prepare(`
      INSERT INTO team_designs (id, name, description, canvas_json, director_model, revision, created_at, updated_at)
      VALUES (@id, @name, @description, @canvasJson, @directorModel, @revision, @createdAt, @updatedAt)`),
    updateDesign: db.prepare(`
      UPDATE team_designs
      SET name = @name, description = @description, canvas_json = @canvasJson,
          director_model = @directorModel, revision = @revision, updated_at = @updatedAt
      WHERE id = @id`),
    deleteTeams: db.prepare(`DELETE FROM design_teams WHERE design_id = ?`),
    insertTeam: db.prepare(`
      INSERT INTO design_teams (design_id, id, name, budget_nano, position_x, position_y, brief_json, after_json, sort_order)
      VALUES (@designId, @id, @name, @budgetNano, @x, @y, @briefJson, @afterJson, @sortOrder)`),
    insertAgent: db.prepare(`
      INSERT INTO design_agents (design_id, id, team_id, name, name_key, role, model, budget_nano,
        system_prompt, allowed_commands_json, write_scope_json, idle_timeout_sec, runtime, claude_code_json, sort_order)
      VALUES (@designId, @id, @teamId, @name, @nameKey, @role, @model, @budgetNano,
        @systemPrompt, @allowedCommandsJson, @writeScopeJson, @idleTimeoutSec, @runtime, @claudeCodeJson, @sortOrder)`),
    deleteDesign: db.prepare(`DELETE FROM team_designs WHERE id = ?`),
  };
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/result.js';
import { teamDesignDraftSchema, teamDesignSchema, type TeamDesignDraft } from '../../shared/team.js';
import { openLedger, type Ledger } from './database.js';
import { TeamRepository, type ValidTeamDesignDraft } from './team-repository.js';

let dir: string;
let file: string;
let ledger: Ledger;
let repo: TeamRepository;
let now: number;

/** A clock that moves one second per reading, so every save has its own time. */
const clock = () => new Date((now += 1000));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'control-room-teams-'));
  file = join(dir, 'ledger.db');
  ledger = openLedger(file);
  now = Date.UTC(2025, 0, 1);
  repo = new TeamRepository(ledger.db, clock);
});
afterEach(() => {
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Drafts go through the real schema, as the `teams:save` handler does. */
const valid = (draft: TeamDesignDraft): ValidTeamDesignDraft => teamDesignDraftSchema.parse(draft);

/** A design that exercises every field: nulls and values, floats, order, unicode. */
function richDraft(overrides: Partial<TeamDesignDraft> = {}): TeamDesignDraft {
  return {
    name: 'Payments rewrite',
    description: 'Two teams: core and “edge” 🚀',
    canvas: { zoom: 1.25, offset: { x: -340.5, y: 12.125 } },
    teams: [
      {
        id: 'team-z', // ids deliberately out of alphabetical order: order must come from the list
        name: 'Core',
        budgetNanoUsd: 12_500_000_000,
        position: { x: 100, y: -20.75 },
        agents: [
          {
            id: 'z-lead',
            name: 'Ada',
            role: 'leader',
            model: 'claude-opus-4-5',
            budgetNanoUsd: 5_000_000_001,
            systemPrompt: 'Lead.\nKeep it small.',
            permissions: { allowedCommands: ['npm test', 'git status'], writeScope: ['src/**'] },
            idleTimeoutSec: 600,
          },
          {
            id: 'a-coder',
            name: 'Grace',
            role: 'coder',
            model: 'claude-sonnet-4-5',
            budgetNanoUsd: null,
            systemPrompt: '',
            permissions: { allowedCommands: [], writeScope: [] },
            idleTimeoutSec: null,
          },
          {
            id: 'm-reviewer',
            name: 'Édouard',
            role: 'reviewer',
            model: 'claude-sonnet-4-5',
            budgetNanoUsd: 0,
            systemPrompt: 'Review.',
            permissions: { allowedCommands: ['npm run lint'], writeScope: [] },
            idleTimeoutSec: 10,
          },
        ],
      },
      {
        id: 'team-a',
        name: 'Edge',
        budgetNanoUsd: null,
        position: { x: 0.1, y: 1e6 },
        agents: [
          {
            id: 'researcher-1',
            name: 'Linus',
            role: 'researcher',
            model: 'claude-haiku-4-5',
            budgetNanoUsd: 1_000_000_000_000_000,
            systemPrompt: 'Research "quoted" things; DROP TABLE x; --',
            permissions: { allowedCommands: ['rg'], writeScope: ['docs/', 'notes/**/*.md'] },
            idleTimeoutSec: 86_400,
          },
        ],
      },
      { id: 'empty-team', name: 'Empty', budgetNanoUsd: 0, position: { x: -1, y: -1 }, agents: [] },
    ],
    ...overrides,
  };
}

const rowCounts = () => ({
  designs: ledger.db.prepare('SELECT count(*) FROM team_designs').pluck().get(),
  teams: ledger.db.prepare('SELECT count(*) FROM design_teams').pluck().get(),
  agents: ledger.db.prepare('SELECT count(*) FROM design_agents').pluck().get(),
});

function expectAppError(run: () => unknown, code: string, message?: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(AppError);
  expect((caught as AppError).code).toBe(code);
  if (message) expect((caught as AppError).message).toMatch(message);
}

describe('TeamRepository.save', () => {
  it('creates a design with a new id at revision 1 and round-trips every field', () => {
    const draft = valid(richDraft());
    const saved = repo.save(draft);

    expect(saved.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(saved.revision).toBe(1);
    expect(saved.createdAt).toBe('2025-01-01T00:00:01.000Z');
    expect(saved.updatedAt).toBe(saved.createdAt);
    const { id: _id, revision: _r, createdAt: _c, updatedAt: _u, ...content } = saved;
    expect(content).toEqual(draft);
    expect(teamDesignSchema.parse(saved)).toEqual(saved);

    expect(repo.get(saved.id)).toEqual(saved);
  });

  it('keeps what it saved across closing and reopening the file', () => {
    const saved = repo.save(valid(richDraft()));
    ledger.close();
    ledger = openLedger(file);
    expect(new TeamRepository(ledger.db).get(saved.id)).toEqual(saved);
  });

  it('creates a design with the given id when that id is not stored (imports)', () => {
    const saved = repo.save(valid(richDraft({ id: 'imported-design' })));
    expect(saved.id).toBe('imported-design');
    expect(saved.revision).toBe(1);
    expect(repo.get('imported-design')).toEqual(saved);
  });

  it('lets two designs reuse the same team and agent ids (a template imported twice)', () => {
    const a = repo.save(valid(richDraft()));
    const b = repo.save(valid(richDraft({ name: 'Copy' })));
    expect(repo.get(a.id)?.teams).toEqual(repo.get(b.id)?.teams);
    expect(rowCounts()).toEqual({ designs: 2, teams: 6, agents: 8 });
  });

  it('replaces teams and agents on update, bumps the revision and keeps createdAt', () => {
    const first = repo.save(valid(richDraft()));
    const base = richDraft();
    const [core, edge] = base.teams;
    if (!core || !edge) throw new Error('fixture');
    const second = repo.save(
      valid({
        ...base,
        id: first.id,
        expectedRevision: 1,
        name: 'Payments rewrite v2',
        canvas: { zoom: 0.5, offset: { x: 0, y: 0 } },
        // Reordered, one team dropped, one agent removed and one renamed.
        teams: [
          { ...edge, agents: [{ ...edge.agents[0]!, name: 'Linus T.' }] },
          { ...core, agents: core.agents.slice(1) },
        ],
      }),
    );

    expect(second.id).toBe(first.id);
    expect(second.revision).toBe(2);
    expect(second.createdAt).toBe(first.createdAt);
    expect(second.updatedAt > first.updatedAt).toBe(true);
    expect(second.name).toBe('Payments rewrite v2');
    expect(second.teams.map((t) => t.id)).toEqual(['team-a', 'team-z']);
    expect(second.teams.map((t) => t.agents.map((a) => a.name))).toEqual([
      ['Linus T.'],
      ['Grace', 'Édouard'],
    ]);
    expect(repo.get(first.id)).toEqual(second);
    expect(rowCounts()).toEqual({ designs: 1, teams: 2, agents: 3 });

    // Without expectedRevision the last writer wins.
    expect(repo.save(valid({ ...richDraft(), id: first.id })).revision).toBe(3);
  });

  it('refuses a stale expectedRevision with conflict and changes nothing', () => {
    const first = repo.save(valid(richDraft()));
    const second = repo.save(valid({ ...richDraft(), id: first.id, expectedRevision: 1, name: 'Mine' }));
    const counts = rowCounts();

    expectAppError(
      () =>
        repo.save(valid({ ...richDraft(), id: first.id, expectedRevision: 1, name: 'Theirs', teams: [] })),
      'conflict',
      /revision 2.*started from 1/,
    );
    expect(repo.get(first.id)).toEqual(second);
    expect(rowCounts()).toEqual(counts);
  });

  it('answers conflict when an edit expects a design that is no longer stored', () => {
    expectAppError(() => repo.save(valid({ ...richDraft(), id: 'gone', expectedRevision: 4 })), 'conflict');
    expect(repo.get('gone')).toBeUndefined();
    expect(rowCounts()).toEqual({ designs: 0, teams: 0, agents: 0 });
  });

  it('refuses duplicate agent names (ignoring case) with duplicate_name and changes nothing', () => {
    const first = repo.save(valid(richDraft()));
    const counts = rowCounts();
    const base = richDraft();
    const [core, edge] = base.teams;
    if (!core || !edge) throw new Error('fixture');
    // Bypasses the schema's own check: the database must hold the line by itself.
    const clashing = {
      ...(valid(base) as ValidTeamDesignDraft),
      id: first.id,
      teams: [core, { ...edge, agents: [{ ...edge.agents[0]!, name: 'ADA' }] }],
    } as ValidTeamDesignDraft;

    expectAppError(() => repo.save(clashing), 'duplicate_name', /"ADA".*"Ada"/);
    expect(repo.get(first.id)).toEqual(first);
    expect(rowCounts()).toEqual(counts);

    // A new design with the clash is not created at all.
    expectAppError(() => repo.save({ ...clashing, id: undefined }), 'duplicate_name', /ADA/);
    expect(rowCounts()).toEqual(counts);
  });

  it('refuses a budget that is not whole nano-dollars and changes nothing', () => {
    const draft = valid(richDraft());
    const broken = { ...draft, teams: [{ ...draft.teams[0]!, budgetNanoUsd: 1.5 }] };
    expectAppError(() => repo.save(broken), 'invalid_request', /team "Core"/);
    expect(rowCounts()).toEqual({ designs: 0, teams: 0, agents: 0 });
  });
});

describe('TeamRepository.get and delete', () => {
  it('answers undefined for an unknown id', () => {
    expect(repo.get('nope')).toBeUndefined();
  });

  it('deletes a design with its teams and agents, leaving others alone', () => {
    const doomed = repo.save(valid(richDraft()));
    const kept = repo.save(valid(richDraft({ name: 'Kept' })));

    expect(repo.delete(doomed.id)).toBe(true);
    expect(repo.get(doomed.id)).toBeUndefined();
    const orphans = (table: string) =>
      ledger.db.prepare(`SELECT count(*) FROM ${table} WHERE design_id = ?`).pluck().get(doomed.id);
    expect(orphans('design_teams')).toBe(0);
    expect(orphans('design_agents')).toBe(0);
    expect(repo.get(kept.id)).toEqual(kept);
    expect(rowCounts()).toEqual({ designs: 1, teams: 3, agents: 4 });
    expect(ledger.db.pragma('foreign_key_check')).toEqual([]);

    expect(repo.delete(doomed.id)).toBe(false);
  });
});

describe('TeamRepository.list', () => {
  it('summarises designs, most recently changed first, then by name', () => {
    expect(repo.list()).toEqual([]);
    const older = repo.save(valid(richDraft({ name: 'Older' })));
    const small = repo.save(
      valid(richDraft({ name: 'Small', description: 'one team', teams: [richDraft().teams[1]!] })),
    );
    const empty = repo.save(valid(richDraft({ name: 'Empty', description: '', teams: [] })));
    // Touch the oldest so it becomes the newest.
    const touched = repo.save(valid({ ...richDraft({ name: 'Older' }), id: older.id }));

    // Two designs saved at the same instant fall back to name order.
    const frozen = new TeamRepository(ledger.db, () => new Date(Date.UTC(2030, 0, 1)));
    const zed = frozen.save(valid(richDraft({ name: 'Zed', teams: [] })));
    const alpha = frozen.save(valid(richDraft({ name: 'Alpha', teams: [] })));

    expect(repo.list()).toEqual([
      {
        id: alpha.id,
        name: 'Alpha',
        description: alpha.description,
        teamCount: 0,
        agentCount: 0,
        updatedAt: alpha.updatedAt,
        revision: 1,
      },
      {
        id: zed.id,
        name: 'Zed',
        description: zed.description,
        teamCount: 0,
        agentCount: 0,
        updatedAt: zed.updatedAt,
        revision: 1,
      },
      {
        id: older.id,
        name: 'Older',
        description: older.description,
        teamCount: 3,
        agentCount: 4,
        updatedAt: touched.updatedAt,
        revision: 2,
      },
      {
        id: empty.id,
        name: 'Empty',
        description: '',
        teamCount: 0,
        agentCount: 0,
        updatedAt: empty.updatedAt,
        revision: 1,
      },
      {
        id: small.id,
        name: 'Small',
        description: 'one team',
        teamCount: 1,
        agentCount: 1,
        updatedAt: small.updatedAt,
        revision: 1,
      },
    ]);
  });
});

describe('agent runtimes', () => {
  it('keeps a Claude Code agent\'s runtime, tools and MCP servers, and leaves older agents without them', () => {
    const saved = repo.save(valid({
      name: 'Mixed',
      description: '',
      canvas: { zoom: 1, offset: { x: 0, y: 0 } },
      teams: [
        {
          id: 't1',
          name: 'Team',
          budgetNanoUsd: null,
          position: { x: 0, y: 0 },
          agents: [
            { id: 'lead', name: 'Lead', role: 'leader', model: 'claude-opus-4-8', budgetNanoUsd: null, systemPrompt: '', permissions: { allowedCommands: [], writeScope: [] }, idleTimeoutSec: null },
            {
              id: 'cc',
              name: 'Coder',
              role: 'coder',
              model: 'claude-sonnet-4-6',
              budgetNanoUsd: null,
              systemPrompt: '',
              permissions: { allowedCommands: ['npm test'], writeScope: ['src/'] },
              idleTimeoutSec: null,
              runtime: 'claude-code',
              claudeCode: { allowedTools: ['Read', 'Edit', 'Bash'], mcpServers: [{ name: 'docs', type: 'stdio', command: 'docs-mcp', args: ['--ro'] }] },
            },
          ],
        },
      ],
    }));
    const [lead, coder] = repo.get(saved.id)?.teams[0]?.agents ?? [];
    expect(lead).not.toHaveProperty('runtime');
    expect(lead).not.toHaveProperty('claudeCode');
    expect(coder?.runtime).toBe('claude-code');
    expect(coder?.claudeCode).toEqual({ allowedTools: ['Read', 'Edit', 'Bash'], mcpServers: [{ name: 'docs', type: 'stdio', command: 'docs-mcp', args: ['--ro'] }] });
  });
});

describe('team briefs, phases and the director', () => {
  const agent = (id: string) => ({
    id,
    name: id,
    role: 'leader' as const,
    model: 'claude-opus-4-8',
    budgetNanoUsd: null,
    systemPrompt: '',
    permissions: { allowedCommands: [], writeScope: [] },
    idleTimeoutSec: null,
  });
  const team = (id: string, extra: object) => ({ id, name: id, budgetNanoUsd: null, position: { x: 0, y: 0 }, agents: [agent(`${id}-lead`)], ...extra });

  it("keeps each team's brief and 'starts after', and the design's director model, across a reopen", () => {
    const saved = repo.save(
      valid({
        name: 'Phased',
        description: '',
        canvas: { zoom: 1, offset: { x: 0, y: 0 } },
        director: { model: 'claude-sonnet-4-6' },
        teams: [
          team('infra', { brief: { focus: 'Infrastructure: database schema, config service', owns: ['db/', 'config/'] } }),
          team('ui', { brief: { focus: 'Interfaces', owns: [] }, after: ['infra'] }),
          team('legacy', {}),
        ],
      }),
    );
    ledger.close();
    ledger = openLedger(file);
    repo = new TeamRepository(ledger.db, clock);
    const read = repo.get(saved.id);
    expect(read?.director).toEqual({ model: 'claude-sonnet-4-6' });
    expect(read?.teams[0]?.brief).toEqual({ focus: 'Infrastructure: database schema, config service', owns: ['db/', 'config/'] });
    expect(read?.teams[1]?.after).toEqual(['infra']);
    expect(read?.teams[2]).not.toHaveProperty('brief');
    expect(read?.teams[2]).not.toHaveProperty('after');
    expect(read).toEqual(saved);
  });
});

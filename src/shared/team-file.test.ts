import { describe, expect, it } from 'vitest';
import { designToFile, parseTeamFile, TEAM_FILE_FORMAT } from './team-file.js';
import { MAX_TEAM_FILE_BYTES, type TeamDesign } from './team.js';

const design: TeamDesign = {
  id: 'design-1',
  name: 'Checkout rewrite',
  description: 'Two teams',
  revision: 3,
  createdAt: '2026-11-01T00:00:00.000Z',
  updatedAt: '2026-11-02T00:00:00.000Z',
  canvas: { zoom: 1.25, offset: { x: -40, y: 12.5 } },
  teams: [
    {
      id: 'team-1',
      name: 'API',
      budgetNanoUsd: 25_500_000_000,
      position: { x: 10, y: 20 },
      agents: [
        {
          id: 'a1',
          name: 'Lead',
          role: 'leader',
          model: 'claude-opus-4-5',
          budgetNanoUsd: 10_000_000_000,
          systemPrompt: 'Plan carefully.',
          permissions: { allowedCommands: ['npm test'], writeScope: ['src/api/'] },
          idleTimeoutSec: 300,
        },
        {
          id: 'a2',
          name: 'Coder',
          role: 'coder',
          model: 'claude-sonnet-4-5',
          budgetNanoUsd: 123_456_789,
          systemPrompt: '',
          permissions: { allowedCommands: [], writeScope: [] },
          idleTimeoutSec: null,
        },
      ],
    },
  ],
};

describe('team files', () => {
  it('round-trips layout, policies and budgets exactly', () => {
    const text = designToFile(design);
    const parsed = parseTeamFile(text);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const { id, revision: _r, createdAt: _c, updatedAt: _u, ...rest } = design;
    expect(parsed.draft).toEqual({ id, ...rest });
  });

  it('writes budgets in dollars so people can edit them', () => {
    const file = JSON.parse(designToFile(design));
    expect(file.format).toBe(TEAM_FILE_FORMAT);
    expect(file.design.teams[0].budgetUsd).toBe(25.5);
    expect(file.design.teams[0].agents[1].budgetUsd).toBe(0.123456789);
  });

  it.each([
    ['not JSON', '{ "format": ', 'invalid_team_file', /not valid JSON/],
    ['another kind of file', '{"name":"x"}', 'invalid_team_file', /format/],
    ['a newer version', JSON.stringify({ format: TEAM_FILE_FORMAT, version: 2, design: { teams: [] } }), 'invalid_team_file', /version/],
  ])('refuses %s with a specific error', (_label, text, code, message) => {
    const parsed = parseTeamFile(text);
    expect(parsed).toMatchObject({ ok: false, code });
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });

  it('names the field of an unknown model, a negative budget and a duplicate name', () => {
    const file = JSON.parse(designToFile(design));
    file.design.teams[0].agents[1].model = 'claude-9';
    expect(parseTeamFile(JSON.stringify(file))).toMatchObject({
      ok: false,
      message: expect.stringContaining('design.teams.0.agents.1.model: unknown model "claude-9"'),
    });
    file.design.teams[0].agents[1].model = 'claude-haiku-4-5';
    file.design.teams[0].agents[1].budgetUsd = -5;
    expect(parseTeamFile(JSON.stringify(file))).toMatchObject({
      ok: false,
      message: 'design.teams.0.agents.1.budgetUsd: must not be negative',
    });
    file.design.teams[0].agents[1].budgetUsd = 1;
    file.design.teams[0].agents[1].name = 'LEAD';
    expect(parseTeamFile(JSON.stringify(file))).toMatchObject({
      ok: false,
      message: expect.stringContaining('duplicate agent name "LEAD"'),
    });
  });

  it('refuses an oversized file before parsing it', () => {
    const huge = `{"pad":"${'x'.repeat(MAX_TEAM_FILE_BYTES)}"}`;
    expect(parseTeamFile(huge)).toMatchObject({ ok: false, code: 'too_large' });
  });

  it('refuses two leaders in one team', () => {
    const file = JSON.parse(designToFile(design));
    file.design.teams[0].agents[1].role = 'leader';
    const parsed = parseTeamFile(JSON.stringify(file));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(/2 leaders/);
  });
});

describe('utf8Length', () => {
  it('matches the real UTF-8 encoding', async () => {
    const { utf8Length } = await import('./team-file.js');
    for (const text of ['', 'abc', 'é', '€', '😀', 'a😀é€\u{10FFFF}', '\ud800x']) {
      expect(utf8Length(text)).toBe(Buffer.byteLength(text, 'utf8'));
    }
  });
});

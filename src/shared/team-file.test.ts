import { describe, expect, it } from 'vitest';
import { designToFile, parseTeamFile, TEAM_FILE_FORMAT } from './team-file.js';
import { agentRuntime, MAX_TEAM_FILE_BYTES, type TeamDesign } from './team.js';

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
    [
      'a newer version',
      JSON.stringify({ format: TEAM_FILE_FORMAT, version: 2, design: { teams: [] } }),
      'invalid_team_file',
      /version/,
    ],
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

describe('team files: agent runtimes', () => {
  const withClaudeCode: TeamDesign = {
    ...design,
    teams: design.teams.map((team) => ({
      ...team,
      agents: team.agents.map((agent) =>
        agent.id === 'a2'
          ? {
              ...agent,
              runtime: 'claude-code' as const,
              claudeCode: {
                allowedTools: ['Read', 'Grep', 'Edit', 'Bash'],
                mcpServers: [
                  { name: 'files', type: 'stdio' as const, command: 'npx', args: ['-y', 'mcp-files', '.'] },
                  { name: 'docs', type: 'http' as const, url: 'https://docs.example.com/mcp' },
                ],
              },
            }
          : { ...agent, runtime: 'built-in' as const },
      ),
    })),
  };

  it('round-trips the runtime and the Claude Code settings exactly', () => {
    const text = designToFile(withClaudeCode);
    const file = JSON.parse(text);
    expect(file.design.teams[0].agents[1]).toMatchObject({
      runtime: 'claude-code',
      claudeCode: { allowedTools: ['Read', 'Grep', 'Edit', 'Bash'] },
    });
    const parsed = parseTeamFile(text);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const { id, revision: _r, createdAt: _c, updatedAt: _u, ...rest } = withClaudeCode;
    expect(parsed.draft).toEqual({ id, ...rest });
    expect(designToFile({ ...withClaudeCode, ...parsed.draft, id })).toBe(text);
  });

  it('imports a file written before runtimes existed: every agent is built-in', () => {
    const parsed = parseTeamFile(designToFile(design));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    for (const agent of parsed.draft.teams.flatMap((t) => t.agents)) {
      expect(agent.runtime).toBeUndefined();
      expect(agent.claudeCode).toBeUndefined();
      expect(agentRuntime(agent)).toBe('built-in');
    }
  });

  const broken = (mutate: (agent: Record<string, unknown>) => void) => {
    const file = JSON.parse(designToFile(withClaudeCode));
    mutate(file.design.teams[0].agents[1]);
    return parseTeamFile(JSON.stringify(file));
  };

  it.each([
    [
      'an unknown runtime',
      (a: Record<string, unknown>) => (a.runtime = 'docker'),
      'design.teams.0.agents.1.runtime: unknown runtime "docker"; must be "built-in" or "claude-code" (agent "Coder")',
    ],
    [
      'an unknown tool',
      (a: Record<string, unknown>) => (a.claudeCode as { allowedTools: string[] }).allowedTools.push('Rm'),
      'design.teams.0.agents.1.claudeCode.allowedTools.4: unknown Claude Code tool "Rm"',
    ],
    [
      'claudeCode that is not an object',
      (a: Record<string, unknown>) => (a.claudeCode = 'yes'),
      'design.teams.0.agents.1.claudeCode: ',
    ],
    [
      'an MCP server of an unknown type',
      (a: Record<string, unknown>) =>
        ((a.claudeCode as { mcpServers: unknown[] }).mcpServers[0] = {
          name: 'x',
          type: 'ws',
          url: 'ws://x',
        }),
      'design.teams.0.agents.1.claudeCode.mcpServers.0.type: must be "stdio", "http" or "sse" (agent "Coder")',
    ],
    [
      'an MCP server URL that is not http(s)',
      (a: Record<string, unknown>) =>
        ((a.claudeCode as { mcpServers: { url?: string }[] }).mcpServers[1]!.url = 'file:///etc/passwd'),
      'design.teams.0.agents.1.claudeCode.mcpServers.1.url: must be an http(s) URL (agent "Coder")',
    ],
    [
      'a stdio MCP server without a command',
      (a: Record<string, unknown>) =>
        ((a.claudeCode as { mcpServers: { command?: string }[] }).mcpServers[0]!.command = ' '),
      'design.teams.0.agents.1.claudeCode.mcpServers.0.command: must not be empty (agent "Coder")',
    ],
    [
      'two MCP servers with one name',
      (a: Record<string, unknown>) =>
        ((a.claudeCode as { mcpServers: { name: string }[] }).mcpServers[1]!.name = 'files'),
      'design.teams.0.agents.1.claudeCode.mcpServers.1.name: duplicate MCP server "files" (agent "Coder")',
    ],
  ])('refuses %s, naming the agent and the field', (_label, mutate, message) => {
    const parsed = broken(mutate);
    expect(parsed).toMatchObject({ ok: false, code: 'invalid_team_file' });
    if (parsed.ok) return;
    expect(parsed.message).toContain(message);
    expect(parsed.message).toContain('(agent "Coder")');
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

describe('team files: briefs, phases and the director', () => {
  const phased: TeamDesign = {
    ...design,
    director: { model: 'claude-sonnet-4-5' },
    teams: [
      { ...design.teams[0]!, brief: { focus: 'Infrastructure: schema, config', owns: ['db/', 'config/'] } },
      {
        ...design.teams[0]!,
        id: 'team-2',
        name: 'Workers',
        brief: { focus: 'Background jobs', owns: [] },
        after: ['team-1'],
        agents: design.teams[0]!.agents.map((a) => ({ ...a, id: `${a.id}-w`, name: `${a.name} W` })),
      },
    ],
  };

  it('round-trips each team’s brief and "starts after" and the design’s director model', () => {
    const text = designToFile(phased);
    const file = JSON.parse(text) as {
      design: { director: unknown; teams: { brief: unknown; after?: unknown }[] };
    };
    expect(file.design.director).toEqual({ model: 'claude-sonnet-4-5' });
    expect(file.design.teams[1]).toMatchObject({
      brief: { focus: 'Background jobs', owns: [] },
      after: ['team-1'],
    });
    const parsed = parseTeamFile(text);
    if (!parsed.ok) throw new Error(parsed.message);
    const { id, revision: _r, createdAt: _c, updatedAt: _u, ...rest } = phased;
    expect(parsed.draft).toEqual({ id, ...rest });
  });

  it('writes no director, brief or phase for a design without them', () => {
    const file = JSON.parse(designToFile(design)) as {
      design: Record<string, unknown> & { teams: object[] };
    };
    expect(file.design).not.toHaveProperty('director');
    expect(file.design.teams[0]).not.toHaveProperty('brief');
    expect(file.design.teams[0]).not.toHaveProperty('after');
  });

  const withAfter = (after: Record<string, string[]>): string => {
    const file = JSON.parse(designToFile(phased)) as {
      design: { teams: { id: string; after?: string[] }[] };
    };
    for (const team of file.design.teams) team.after = after[team.id] ?? [];
    return JSON.stringify(file);
  };

  it('refuses a circle of "starts after" in one line naming the teams', () => {
    const parsed = parseTeamFile(withAfter({ 'team-1': ['team-2'], 'team-2': ['team-1'] }));
    expect(parsed).toEqual({
      ok: false,
      code: 'invalid_team_file',
      message:
        'design.teams.0.after: teams wait on each other in a circle ("API" → "Workers" → "API"), so none of them could start; remove one of these "starts after" links',
    });
  });

  it('refuses an unknown team in "starts after" in one line naming the team that waits', () => {
    const parsed = parseTeamFile(withAfter({ 'team-2': ['team-9'] }));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.message).toBe('design.teams.1.after: team "Workers" starts after an unknown team "team-9"');
    expect(parsed.message).not.toContain('\n');
  });
});

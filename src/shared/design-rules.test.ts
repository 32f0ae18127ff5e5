import { describe, expect, it } from 'vitest';
import {
  allSucceedProbability,
  checkDesign,
  ownedPathsOverlap,
  percent,
  planSplit,
  priceComparison,
  successArithmetic,
  type RuleAgent,
  type RuleTeam,
} from './design-rules.js';
import type { RuntimeStatus } from './contract/runtimes.js';
import { DEFAULT_MODEL_BY_ROLE } from './models.js';

const agent = (
  id: string,
  role: RuleAgent['role'],
  model: string = DEFAULT_MODEL_BY_ROLE[role],
): RuleAgent => ({
  id,
  name: id,
  role,
  model,
});

/** A team with a brief, so only the rule a test is about speaks up. */
const team = (id: string, agents: RuleAgent[]): RuleTeam => ({
  id,
  name: id,
  agents,
  brief: { focus: `${id}'s part`, owns: [] },
});

const coders = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => agent(`${prefix}${i + 1}`, 'coder'));

describe('the all-succeed arithmetic', () => {
  it('gives 77% for five agents and 46% for fifteen at 0.95 each', () => {
    expect(percent(allSucceedProbability(5))).toBe('77%');
    expect(percent(allSucceedProbability(15))).toBe('46%');
    expect(successArithmetic(5)).toBe('0.95^5 ≈ 77%');
    expect(successArithmetic(15, 0.95)).toBe('0.95^15 ≈ 46%');
    expect(allSucceedProbability(0)).toBe(1);
  });
});

describe('checkDesign', () => {
  it('finds nothing wrong with a leader and four coders on their default models', () => {
    expect(checkDesign({ teams: [team('A', [agent('L', 'leader'), ...coders('c', 4)])] })).toEqual([]);
  });

  it('says an empty design has no teams', () => {
    expect(checkDesign({ teams: [] }).map((i) => i.rule)).toEqual(['no-teams']);
  });

  it('flags coders without a leader as an error and offers to add one', () => {
    const [issue] = checkDesign({ teams: [team('A', coders('c', 2))] });
    expect(issue).toMatchObject({
      rule: 'missing-leader',
      severity: 'error',
      teamId: 'A',
      title: '“A” has no leader',
      fix: { fix: { kind: 'add-leader', teamId: 'A' } },
    });
    expect(issue!.detail).toContain('2 coders');
  });

  it('warns above five agents with the arithmetic and offers a split', () => {
    const issues = checkDesign({ teams: [team('Big', [agent('L', 'leader'), ...coders('c', 5)])] });
    expect(issues).toHaveLength(1);
    const issue = issues[0]!;
    expect(issue.rule).toBe('team-too-large');
    expect(issue.title).toBe('“Big” has 6 agents (more than 5)');
    expect(issue.detail).toContain('all 6 succeed only 0.95^6 ≈ 74%');
    expect(issue.detail).toContain('5 agents: 0.95^5 ≈ 77%');
    expect(issue.detail).toContain('15 agents: 0.95^15 ≈ 46%');
    expect(issue.fix?.fix).toEqual({ kind: 'split-team', teamId: 'Big' });
  });

  it('does not quote the team’s own size twice', () => {
    const [issue] = checkDesign({ teams: [team('Huge', [agent('L', 'leader'), ...coders('c', 14)])] });
    expect(issue!.detail).toContain('all 15 succeed only 0.95^15 ≈ 46%');
    expect(issue!.detail.match(/0\.95\^15/g)).toHaveLength(1);
    expect(issue!.detail).toContain('5 agents: 0.95^5 ≈ 77%');
  });

  it('honours a different success rate and size limit', () => {
    const [issue] = checkDesign(
      { teams: [team('A', [agent('L', 'leader'), ...coders('c', 3)])] },
      { successRate: 0.9, maxTeamSize: 3 },
    );
    expect(issue!.detail).toContain('all 4 succeed only 0.9^4 ≈ 66%');
  });

  it('flags Opus on a coder and Haiku on a leader with a one-click model fix', () => {
    const issues = checkDesign({
      teams: [team('A', [agent('L', 'leader', 'claude-haiku-4-5'), agent('c1', 'coder', 'claude-opus-4-8')])],
    });
    expect(issues.map((i) => [i.rule, i.agentId, i.fix?.fix])).toEqual([
      [
        'model-mismatch',
        'L',
        { kind: 'set-model', teamId: 'A', agentId: 'L', model: DEFAULT_MODEL_BY_ROLE.leader },
      ],
      [
        'model-mismatch',
        'c1',
        { kind: 'set-model', teamId: 'A', agentId: 'c1', model: DEFAULT_MODEL_BY_ROLE.coder },
      ],
    ]);
  });

  it("says what Opus costs against the coder's model from the price table, never a guess", () => {
    const opusCoder = { teams: [team('A', [agent('L', 'leader'), agent('c1', 'coder', 'claude-opus-4-8')])] };
    const prices = {
      'claude-opus-4-8': { inputUsdPerMTok: 5, outputUsdPerMTok: 25, cacheReadUsdPerMTok: 0.5 },
      [DEFAULT_MODEL_BY_ROLE.coder]: { inputUsdPerMTok: 3, outputUsdPerMTok: 15, cacheReadUsdPerMTok: 0.3 },
    };
    const [issue] = checkDesign(opusCoder, { prices });
    expect(issue!.detail).toContain('Claude Opus 4.8 costs 1.7× Claude Sonnet 4.6 per token');
    expect(issue!.detail).not.toContain('several times');
    // Another table, other words.
    const dearer = { ...prices, 'claude-opus-4-8': { inputUsdPerMTok: 15, outputUsdPerMTok: 90, cacheReadUsdPerMTok: 1.5 } };
    expect(checkDesign(opusCoder, { prices: dearer })[0]!.detail).toContain(
      'Claude Opus 4.8 costs 5× Claude Sonnet 4.6 per input token and 6× per output token',
    );
    // No prices: no figure.
    expect(checkDesign(opusCoder)[0]!.detail).toMatch(/Claude Opus 4.8 is priced above Claude Sonnet 4.6 and draws/);
    expect(priceComparison('claude-opus-4-8', 'claude-haiku-4-5', prices)).toBeNull();
  });

  it('lists errors before warnings and notes', () => {
    const issues = checkDesign({
      teams: [
        team('Solo', [agent('L1', 'leader')]),
        team('Big', [agent('L2', 'leader'), ...coders('b', 6)]),
        team('Orphans', coders('o', 1)),
      ],
    });
    expect(issues.map((i) => i.severity)).toEqual(['error', 'warning', 'info']);
    expect(issues.map((i) => i.rule)).toEqual(['missing-leader', 'team-too-large', 'leader-only']);
  });

  it('notes a model that will retire, only when told today’s date', () => {
    const design = { teams: [team('A', [agent('L', 'leader'), agent('c', 'coder', 'claude-sonnet-4-5')])] };
    expect(checkDesign(design)).toEqual([]);
    expect(checkDesign(design, { today: '2026-01-01' }).map((i) => i.rule)).toEqual(['retiring-model']);
  });
});

describe('checkDesign: runtimes', () => {
  const cc = (id: string, over: Partial<RuleAgent> = {}): RuleAgent => ({
    ...agent(id, 'coder'),
    runtime: 'claude-code',
    claudeCode: { allowedTools: ['Read', 'Edit'] },
    ...over,
  });
  const unavailable: RuntimeStatus = {
    runtime: 'claude-code',
    available: false,
    version: null,
    reason:
      "Claude Code's binary for linux-arm64 is not installed (@anthropic-ai/claude-agent-sdk-linux-arm64)",
  };
  const available: RuntimeStatus = {
    runtime: 'claude-code',
    available: true,
    version: '2.1.335',
    reason: null,
  };
  const builtIn: RuntimeStatus = { runtime: 'built-in', available: true, version: null, reason: null };

  it('finds nothing wrong with a Claude Code agent that has what it needs', () => {
    const design = { teams: [team('A', [agent('L', 'leader'), cc('c1')])] };
    expect(checkDesign(design, { provider: 'anthropic', runtimes: [builtIn, available] })).toEqual([]);
    // Without the provider or the status, those checks are skipped rather than guessed.
    expect(checkDesign(design)).toEqual([]);
  });

  it('marks Claude Code agents as errors when Claude Code cannot start here, with the reason and a switch', () => {
    const issues = checkDesign(
      { teams: [team('A', [agent('L', 'leader'), cc('c1'), agent('c2', 'coder')])] },
      { runtimes: [builtIn, unavailable] },
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      key: 'runtime-unavailable:c1',
      rule: 'runtime-unavailable',
      severity: 'error',
      teamId: 'A',
      agentId: 'c1',
      title: '“c1” runs on Claude Code, which cannot start on this machine',
      fix: {
        label: 'Switch to built-in',
        fix: { kind: 'set-runtime', teamId: 'A', agentId: 'c1', runtime: 'built-in' },
      },
    });
    expect(issues[0]!.detail).toContain(unavailable.reason);
  });

  it('warns about Claude Code agents under the simulated provider', () => {
    const design = { teams: [team('A', [agent('L', 'leader'), cc('c1')])] };
    const [issue] = checkDesign(design, { provider: 'simulated' });
    expect(issue).toMatchObject({
      rule: 'claude-code-simulated',
      severity: 'warning',
      agentId: 'c1',
      fix: { fix: { kind: 'set-runtime', agentId: 'c1', runtime: 'built-in' } },
    });
    expect(checkDesign(design, { provider: 'anthropic' })).toEqual([]);
  });

  it('warns about Bash without allowed commands, from the form’s text or a stored list', () => {
    const bash = { allowedTools: ['Read', 'Bash'] };
    const flagged = (a: RuleAgent) =>
      checkDesign({ teams: [team('A', [agent('L', 'leader'), a])] }).map((i) => [i.rule, i.fix?.fix]);
    const expected = [
      [
        'claude-code-bash-unchecked',
        { kind: 'remove-claude-code-tool', teamId: 'A', agentId: 'c1', tool: 'Bash' },
      ],
    ];
    expect(flagged(cc('c1', { claudeCode: bash }))).toEqual(expected);
    expect(flagged(cc('c1', { claudeCode: bash, allowedCommands: ' ,\n ' }))).toEqual(expected);
    expect(flagged(cc('c1', { claudeCode: bash, allowedCommands: 'npm test' }))).toEqual([]);
    expect(flagged(cc('c1', { claudeCode: bash, permissions: { allowedCommands: [] } }))).toEqual(expected);
    expect(flagged(cc('c1', { claudeCode: bash, permissions: { allowedCommands: ['npm test'] } }))).toEqual(
      [],
    );
    // No Claude Code settings yet: a coder's defaults include Bash.
    expect(flagged(cc('c1', { claudeCode: null }))).toEqual(expected);
    expect(flagged(cc('c1', { claudeCode: undefined, role: 'reviewer' }))).toEqual([]);
    // The built-in runtime has no Bash: nothing to say.
    expect(flagged({ ...agent('c1', 'coder'), claudeCode: bash })).toEqual([]);
  });

  it('checks a stored design as well as the form (the smallest shape either has)', () => {
    const stored = {
      teams: [
        {
          id: 'A',
          name: 'A',
          agents: [
            agent('L', 'leader'),
            {
              ...agent('c1', 'coder'),
              runtime: 'claude-code' as const,
              permissions: { allowedCommands: [], writeScope: [] },
            },
          ],
        },
      ],
    };
    expect(
      checkDesign(stored, { provider: 'simulated', runtimes: [builtIn, unavailable] }).map((i) => i.rule),
    ).toEqual(['runtime-unavailable', 'claude-code-simulated', 'claude-code-bash-unchecked']);
  });
});

describe('planSplit', () => {
  it('keeps the leader and the larger half, and asks for a new leader', () => {
    const t = team('A', [agent('L', 'leader'), ...coders('c', 5)]);
    expect(planSplit(t)).toEqual({ stay: ['L', 'c1', 'c2', 'c3'], move: ['c4', 'c5'], needsLeader: true });
  });

  it('splits a leaderless team without inventing a leader', () => {
    expect(planSplit(team('A', coders('c', 4)))).toEqual({
      stay: ['c1', 'c2'],
      move: ['c3', 'c4'],
      needsLeader: false,
    });
  });
});

describe('checkDesign: briefs and phases', () => {
  const led = (id: string, brief?: RuleTeam['brief'], after?: string[]): RuleTeam => ({
    id,
    name: id,
    agents: [agent(`${id}-lead`, 'leader'), agent(`${id}-coder`, 'coder')],
    ...(brief ? { brief } : {}),
    ...(after ? { after } : {}),
  });

  it('warns when two teams of one phase own the same path, naming both teams and the path', () => {
    const issues = checkDesign({
      teams: [
        led('Infra', { focus: 'schema', owns: ['db/', 'config/'] }),
        led('Workers', { focus: 'jobs', owns: 'jobs/\ndb/' }),
      ],
    });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      rule: 'owned-paths-overlap',
      severity: 'warning',
      teamId: 'Workers',
      title: '“Infra” and “Workers” both own db/',
      fix: {
        label: 'Start “Workers” after “Infra”',
        fix: { kind: 'start-after', teamId: 'Workers', afterId: 'Infra' },
      },
    });
    expect(issues[0]!.detail).toContain('phase 1');
  });

  it('counts a folder as overlapping the files below it, but not a sibling with a longer name', () => {
    expect(ownedPathsOverlap('db/', 'db/schema.sql')).toBe(true);
    expect(ownedPathsOverlap('./src/api/**', 'src/api/routes.ts')).toBe(true);
    expect(ownedPathsOverlap('src/api', 'src/api/')).toBe(true);
    expect(ownedPathsOverlap('db', 'dbx/')).toBe(false);
    expect(ownedPathsOverlap('src/a.ts', 'src/b.ts')).toBe(false);
    const [issue] = checkDesign({
      teams: [
        led('A', { focus: 'a', owns: ['src/'] }),
        led('B', { focus: 'b', owns: ['src/b/x.ts', 'src/c.ts'] }),
      ],
    });
    expect(issue!.title).toBe('“A” owns src/ and “B” owns src/b/x.ts (and 1 more overlap)');
  });

  it('lets teams of different phases own the same path: the later one builds on the earlier', () => {
    const design = {
      teams: [
        led('Infra', { focus: 'x', owns: ['db/'] }),
        led('Workers', { focus: 'y', owns: ['db/'] }, ['Infra']),
      ],
    };
    expect(checkDesign(design)).toEqual([]);
  });

  it('notes a team without a brief only when the design has several teams', () => {
    expect(checkDesign({ teams: [led('Solo')] })).toEqual([]);
    const issues = checkDesign({
      teams: [led('A', { focus: 'Payments', owns: [] }), led('B', { focus: '  ', owns: ['b/'] })],
    });
    expect(issues.map((i) => [i.rule, i.severity, i.teamId, i.title])).toEqual([
      ['team-without-brief', 'info', 'B', '“B” has no brief'],
    ]);
  });
});

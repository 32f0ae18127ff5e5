import { describe, expect, it } from 'vitest';
import { phaseProblem, teamPhases } from './phases.js';
import { teamDesignDraftSchema } from './team.js';

const team = (id: string, after?: string[]) => ({ id, name: id.toUpperCase(), ...(after ? { after } : {}) });

describe('phases', () => {
  it('puts teams without dependencies in phase 1 and each other team one after the latest it waits for', () => {
    const phases = teamPhases([team('infra'), team('workers', ['infra']), team('ops', ['infra']), team('ui', ['workers', 'ops'])]);
    expect(Object.fromEntries(phases)).toEqual({ infra: 1, workers: 2, ops: 2, ui: 3 });
  });

  it('names the circle when teams wait on each other', () => {
    const problem = phaseProblem([team('a', ['c']), team('b', ['a']), team('c', ['b'])]);
    expect(problem?.message).toBe(
      'teams wait on each other in a circle ("A" → "C" → "B" → "A"), so none of them could start; remove one of these "starts after" links',
    );
    expect(problem?.team).toBe(0);
  });

  it('refuses a team after itself, an unknown team and a repeated one', () => {
    expect(phaseProblem([team('a', ['a'])])?.message).toBe('team "A" cannot start after itself');
    expect(phaseProblem([team('a', ['nope'])])?.message).toBe('team "A" starts after an unknown team "nope"');
    expect(phaseProblem([team('a'), team('b', ['a', 'a'])])?.message).toBe('team "B" names team "A" twice in "starts after"');
  });

  it('is enforced by the design schema, on the team whose link closes the circle', () => {
    const agent = (id: string) => ({
      id,
      name: id,
      role: 'leader' as const,
      model: 'claude-sonnet-4-6',
      budgetNanoUsd: null,
      systemPrompt: '',
      permissions: { allowedCommands: [], writeScope: [] },
      idleTimeoutSec: null,
    });
    const spec = (id: string, after: string[]) => ({
      id,
      name: id,
      budgetNanoUsd: null,
      position: { x: 0, y: 0 },
      agents: [agent(`${id}-lead`)],
      brief: { focus: `${id} work`, owns: [`src/${id}/`] },
      after,
    });
    const draft = {
      name: 'd',
      description: '',
      canvas: { zoom: 1, offset: { x: 0, y: 0 } },
      teams: [spec('a', ['b']), spec('b', ['a'])],
    };
    const parsed = teamDesignDraftSchema.safeParse(draft);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['teams', 0, 'after']);
    expect(teamDesignDraftSchema.safeParse({ ...draft, teams: [spec('a', []), spec('b', ['a'])] }).success).toBe(true);
  });
});

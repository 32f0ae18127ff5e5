import { describe, expect, it } from 'vitest';
import type { TeamSpec } from '../../../src/shared/team.js';
import { briefShares, emptyLaunchForm, launchRequest, shareRows, shareText } from './launch-form.js';

function team(id: string, name: string, focus: string | null, after?: string[]): TeamSpec {
  return {
    id,
    name,
    budgetNanoUsd: null,
    position: { x: 0, y: 0 },
    agents: [],
    ...(focus === null ? {} : { brief: { focus, owns: [] } }),
    ...(after ? { after } : {}),
  };
}

// Listed out of phase order on purpose: the UI team is first in the design but starts last.
const design = {
  teams: [
    team('ui', 'Interfaces', 'The API and the pages', ['work', 'ops']),
    team('infra', 'Infra', 'Database schema and config'),
    team('work', 'Workers', 'Background jobs', ['infra']),
    team('ops', 'Operations', null, ['infra']),
  ],
};
const filled = { ...emptyLaunchForm('d1'), goal: 'Build a todo service', repoPath: '/repo' };

describe("the launch form's share fields", () => {
  it('lists each team in phase order with its phase, the teams it waits for and its brief as the pre-fill', () => {
    expect(shareRows(design)).toEqual([
      { teamId: 'infra', name: 'Infra', phase: 1, afterNames: [], briefShare: 'Database schema and config' },
      { teamId: 'work', name: 'Workers', phase: 2, afterNames: ['Infra'], briefShare: 'Background jobs' },
      { teamId: 'ops', name: 'Operations', phase: 2, afterNames: ['Infra'], briefShare: '' },
      { teamId: 'ui', name: 'Interfaces', phase: 3, afterNames: ['Workers', 'Operations'], briefShare: 'The API and the pages' },
    ]);
  });

  it("shows the brief until the person types, then the person's text, even an emptied field", () => {
    const [infra] = shareRows(design);
    expect(shareText(filled, infra!)).toBe('Database schema and config');
    expect(shareText({ shares: { infra: 'Only the schema' } }, infra!)).toBe('Only the schema');
    expect(shareText({ shares: { infra: '' } }, infra!)).toBe('');
  });

  it('sends only the shares the person changed from the briefs, trimmed', () => {
    const built = launchRequest(
      {
        ...filled,
        shares: {
          infra: '  Database schema and config ', // the brief again, with spaces: unchanged
          work: 'Background jobs and the retry queue',
          ops: '   ', // emptied: the team plans from its brief
          ui: 'Only the API',
        },
      },
      briefShares(design),
    );
    expect(built.ok && built.request.teamShares).toEqual({ work: 'Background jobs and the retry queue', ui: 'Only the API' });
  });

  it('sends no shares at all when nothing was changed, so every team plans from its brief', () => {
    const built = launchRequest({ ...filled, shares: { infra: 'Database schema and config' } }, briefShares(design));
    expect(built.ok && 'teamShares' in built.request).toBe(false);
  });

  it('with the director asked, sends none of the typed shares: the director drafts them', () => {
    const built = launchRequest({ ...filled, director: true, shares: { work: 'Only the queue' } }, briefShares(design));
    expect(built.ok && built.request).toMatchObject({ director: true });
    expect(built.ok && 'teamShares' in built.request).toBe(false);
  });
});

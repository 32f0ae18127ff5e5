import { describe, expect, it } from 'vitest';
import { plainMessage } from '../lib/plain-message.js';
import { emptyLaunchForm, fieldOfError, launchRequest, parseCommandList } from './launch-form.js';

describe('launch form', () => {
  it('builds the request: trimmed text, exact dollars, de-duplicated commands, optional name', () => {
    const built = launchRequest({
      ...emptyLaunchForm('d1'),
      goal: '  Build it  ',
      name: ' ',
      repoPath: ' /work/app ',
      baseBranch: 'develop',
      budgetUsd: '$1,250.5',
      skipPlanApproval: true,
      allowedCommands: 'npm test\n\nnpm run lint, npm test',
    });
    expect(built).toEqual({
      ok: true,
      request: {
        designId: 'd1',
        goal: 'Build it',
        repoPath: '/work/app',
        baseBranch: 'develop',
        budgetUsd: 1250.5,
        skipPlanApproval: true,
        allowedCommands: ['npm test', 'npm run lint'],
      },
    });
  });

  it("asks for leaders' decisions on writes outside a task's files only when the box is ticked", () => {
    const form = { ...emptyLaunchForm('d1'), goal: 'Build it', repoPath: '/work/app' };
    const ticked = launchRequest({ ...form, askLeaderOnStrayWrites: true });
    expect(ticked.ok && ticked.request.settings).toEqual({ ownership: 'ask_leader' });
    const unticked = launchRequest(form);
    expect(unticked.ok && 'settings' in unticked.request).toBe(false);
  });

  it('names each missing or malformed field', () => {
    const built = launchRequest({ ...emptyLaunchForm(), baseBranch: ' ', budgetUsd: '-3' });
    expect(built.ok).toBe(false);
    if (!built.ok) expect(Object.keys(built.errors).sort()).toEqual(['baseBranch', 'budgetUsd', 'designId', 'goal', 'repoPath']);
    expect(launchRequest({ ...emptyLaunchForm('d'), goal: 'g', repoPath: '/r', budgetUsd: '2000000' })).toMatchObject({
      ok: false,
      errors: { budgetUsd: 'The largest budget is $1,000,000.' },
    });
  });

  it('places engine errors on their field and words them for people', () => {
    expect(fieldOfError('the repository folder "/x" does not exist')).toBe('repoPath');
    expect(fieldOfError('"/x" is not a git repository (or has no working tree)')).toBe('repoPath');
    expect(fieldOfError('the repository "/x" has no commits yet; make a first commit')).toBe('repoPath');
    expect(fieldOfError('the base branch "dev" does not exist in /x; its branches are: main')).toBe('baseBranch');
    expect(fieldOfError('"a..b" is not a valid branch name')).toBe('baseBranch');
    expect(fieldOfError('no team design with id "d9"')).toBe('designId');
    expect(fieldOfError('database error')).toBeNull();
    expect(plainMessage('missions:create: request.goal: must not be empty')).toBe('Goal: must not be empty');
    expect(parseCommandList(' a ,b\n a')).toEqual(['a', 'b']);
  });
});

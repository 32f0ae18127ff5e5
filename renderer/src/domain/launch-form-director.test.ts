import { describe, expect, it } from 'vitest';
import { emptyLaunchForm, launchRequest } from './launch-form.js';

const filled = { ...emptyLaunchForm('d1'), goal: 'Build a todo service', repoPath: '/repo' };

describe('the launch form and the director', () => {
  it('asks the director when chosen, and then sends no shares of its own', () => {
    const built = launchRequest({ ...filled, director: true, shares: { infra: 'The store' } });
    expect(built.ok && built.request).toMatchObject({ director: true });
    expect(built.ok && 'teamShares' in built.request).toBe(false);
  });

  it("sends the person's non-empty shares, trimmed, when the director is not asked", () => {
    const built = launchRequest({ ...filled, shares: { infra: '  The store  ', api: '   ' } });
    expect(built.ok && built.request.teamShares).toEqual({ infra: 'The store' });
    expect(built.ok && built.request.director).toBeUndefined();
    const none = launchRequest(filled);
    expect(none.ok && 'teamShares' in none.request).toBe(false);
  });
});

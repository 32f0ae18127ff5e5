import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => ({ app: { setBadgeCount: vi.fn() } }));
const { countWaitingOnPerson, touchesEscalations } = await import('./badge.js');

describe('badge', () => {
  it('counts only open escalations that wait on the person', () => {
    expect(
      countWaitingOnPerson([
        { level: 'human', state: 'open' },
        { level: 'human', state: 'open' },
        { level: 'leader', state: 'open' },
        { level: 'human', state: 'resolved' },
      ]),
    ).toBe(2);
  });

  it('refreshes only for batches that carry escalation changes', () => {
    expect(touchesEscalations([{ name: 'teams:changed', payload: { id: 'x', change: 'saved', revision: 1 } }])).toBe(false);
    expect(
      touchesEscalations([
        { name: 'teams:changed', payload: { id: 'x', change: 'saved', revision: 1 } },
        { name: 'escalations:changed', payload: {} as never },
      ]),
    ).toBe(true);
  });
});

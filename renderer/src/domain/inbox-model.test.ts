import { describe, expect, it } from 'vitest';
import { escalationView } from '../testing/fixtures.js';
import {
  EMPTY_FILTER,
  budgetNumbers,
  dollarsToNano,
  formatAge,
  formatCountdown,
  inboxItems,
  minimumCapNano,
  pruneSeen,
  needsYouCount,
  needsYouLabel,
  unreadCount,
} from './inbox-model.js';

const escalation = escalationView;

describe('inbox model', () => {
  const all = [
    escalation({ id: 'a', createdAt: '2026-01-01T10:00:00.000Z' }),
    escalation({ id: 'b', createdAt: '2026-01-01T11:00:00.000Z', missionId: 'm2', teamId: 't9', type: 'permission' }),
    escalation({ id: 'c', createdAt: '2026-01-01T12:00:00.000Z', level: 'leader' }),
    escalation({ id: 'd', state: 'resolved', decision: 'approve', decidedAt: '2026-01-01T13:00:00.000Z' }),
    escalation({ id: 'e', createdAt: '2026-01-01T09:00:00.000Z', type: 'plan_approval', teamId: null }),
  ];

  it('lists what needs the person, newest first, and filters by mission, team and type', () => {
    expect(inboxItems(all, EMPTY_FILTER).map((e) => e.id)).toEqual(['b', 'a', 'e']);
    expect(inboxItems(all, { ...EMPTY_FILTER, missionId: 'm2' }).map((e) => e.id)).toEqual(['b']);
    expect(inboxItems(all, { ...EMPTY_FILTER, teamKey: 'm1/t1' }).map((e) => e.id)).toEqual(['a']);
    expect(inboxItems(all, { ...EMPTY_FILTER, type: 'plan_approval' }).map((e) => e.id)).toEqual(['e']);
    expect(inboxItems(all, { ...EMPTY_FILTER, view: 'decided' }).map((e) => e.id)).toEqual(['d']);
  });

  it("filters by a mission's team, not by every mission's team of that id", () => {
    // Two missions of one design: both have a team t1.
    const twins = [escalation({ id: 'x', missionId: 'm1', teamId: 't1' }), escalation({ id: 'y', missionId: 'm2', teamId: 't1' })];
    expect(inboxItems(twins, { ...EMPTY_FILTER, teamKey: 'm2/t1' }).map((e) => e.id)).toEqual(['y']);
  });

  it('counts unread open items for the person only', () => {
    expect(unreadCount(all, new Set())).toBe(3);
    expect(unreadCount(all, new Set(['a', 'd']))).toBe(2);
  });

  it('counts what needs the person, seen or not, for the navigation', () => {
    // Seeing an item does not decide it: it stays counted until it is decided.
    expect(needsYouCount(all, new Set())).toEqual({ total: 3, unread: 3 });
    expect(needsYouCount(all, new Set(['a', 'b', 'e', 'd']))).toEqual({ total: 3, unread: 0 });
    expect(needsYouCount([...all, escalation({ id: 'f', state: 'resolved' })], new Set(['a']))).toEqual({ total: 3, unread: 2 });
    expect(needsYouLabel({ total: 1, unread: 0 })).toBe('1 needs you');
    expect(needsYouLabel({ total: 3, unread: 2 })).toBe('3 need you, 2 new');
  });

  it('forgets seen ids of escalations that are gone', () => {
    expect(pruneSeen(['x', 'a', 'b'], new Set(['a', 'b']))).toEqual(['a', 'b']);
    expect(pruneSeen(['a', 'b', 'c'], new Set(['a', 'b', 'c']), 2)).toEqual(['b', 'c']);
  });

  it('formats countdowns and ages', () => {
    expect(formatCountdown(0)).toBe('now');
    expect(formatCountdown(65_000)).toBe('1:05');
    expect(formatCountdown(59_001)).toBe('1:00');
    expect(formatCountdown(3_900_000)).toBe('1 h 05 min');
    const now = Date.parse('2026-01-01T10:05:00.000Z');
    expect(formatAge('2026-01-01T10:04:30.000Z', now)).toBe('just now');
    expect(formatAge('2026-01-01T10:00:00.000Z', now)).toBe('5 min ago');
  });

  it('reads budget numbers only from a well-formed payload', () => {
    const b = budgetNumbers({ scope: 'mission', scopeId: 'm1', capNano: 10, spentNano: 8, worstCaseNano: 5 });
    expect(b).toEqual({ scope: 'mission', scopeId: 'm1', capNano: 10, spentNano: 8, worstCaseNano: 5 });
    expect(minimumCapNano(b!)).toBe(13);
    expect(budgetNumbers({ scope: 'mission' })).toBeNull();
  });

  it('turns typed dollars into exact nano-dollars', () => {
    expect(dollarsToNano('12.5')).toBe(12_500_000_000);
    expect(dollarsToNano('$0.000000001')).toBe(1);
    expect(dollarsToNano('1,000')).toBe(1_000_000_000_000);
    expect(dollarsToNano('-1')).toBeNull();
    expect(dollarsToNano('abc')).toBeNull();
  });
});

import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { TeamStatus } from '../../../../src/shared/team-status.js';
import { etaText, paceText, ratioText, TeamStatusCard } from './team-status.js';

/* Rendered to HTML in Node (no DOM), as the other renderer component tests are. */

const NOW = Date.UTC(2026, 0, 15, 11, 0, 0);
const MIN = 60_000;

/** The "core" team of the ledger's scripted mission (velocity.test.ts), as the engine answers it. */
const core: TeamStatus = {
  teamId: 'core',
  name: 'Core',
  counts: { assigned: 6, waiting: 2, inProgress: 0, inReview: 1, blocked: 1, done: 2 },
  blockers: [
    { escalationId: 'q-open', title: 'May I run npm install?', type: 'permission', level: 'human', createdAt: new Date(NOW - 20 * MIN).toISOString(), ageMs: 20 * MIN },
    { escalationId: 'q-lead', title: 'Which file owns the parser?', type: 'question', level: 'leader', createdAt: new Date(NOW - 3 * MIN).toISOString(), ageMs: 3 * MIN },
  ],
  velocity: {
    merged: 2,
    activeMs: 54 * MIN,
    mergedPerHour: 2 / 0.9,
    medianBlockerMs: 10 * MIN,
    blockersResolved: 3,
    firstReviewApproval: { count: 1, of: 2 },
    rework: { count: 1, of: 6 },
    integration: { count: 2, of: 3 },
    costNanoUsd: 43_500_000,
    costPerMergedNanoUsd: 21_750_000,
  },
  eta: { remaining: 4, finishAt: new Date(NOW + 108 * MIN).toISOString(), reason: null },
};

function text(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

const render = (team: TeamStatus) => renderToStaticMarkup(<TeamStatusCard team={team} now={NOW} onOpenBlocker={() => undefined} />);

describe('TeamStatusCard', () => {
  it('shows the counts, the finish estimate and every velocity figure with its denominator', () => {
    const t = text(render(core));
    expect(t).toContain('6 assigned · 2 done · 1 in review · 0 in progress · 1 blocked · 2 waiting');
    expect(t).toContain('in 1h 48m');
    expect(t).toContain('Merged per hour 2.2 / h');
    expect(t).toContain('Blocker resolved in 10m 00s (median of 3)');
    expect(t).toContain('First-review approval 1 of 2 (50%)');
    expect(t).toContain('Rework 1 of 6 (17%)');
    expect(t).toContain('Merges without conflict 2 of 3 (67%)');
    // 21,750,000 nano-dollars = $0.02175.
    expect(t).toContain('Cost per merged task $0.02');
  });

  it("links the person's blockers to the Inbox and says who decides the leader's", () => {
    const html = render(core);
    expect(text(html)).toContain('2 open blockers');
    // Only the human-level blocker is a button that opens the Inbox item.
    expect(html).toMatch(/<button[^>]*title="Open in the Inbox"[^>]*>May I run npm install\?<\/button>/);
    expect(html).not.toMatch(/<button[^>]*>Which file owns the parser\?/);
    expect(text(html)).toContain('Which file owns the parser? (with the leader)');
    expect(text(html)).toContain('20m 00s');
  });

  it('says why there is no estimate or pace before anything is merged', () => {
    const fresh: TeamStatus = {
      ...core,
      blockers: [],
      counts: { assigned: 3, waiting: 2, inProgress: 1, inReview: 0, blocked: 0, done: 0 },
      velocity: {
        ...core.velocity,
        merged: 0,
        mergedPerHour: null,
        medianBlockerMs: null,
        blockersResolved: 0,
        firstReviewApproval: { count: 0, of: 0 },
        rework: { count: 0, of: 0 },
        integration: { count: 0, of: 0 },
        costNanoUsd: 1_200_000_000,
        costPerMergedNanoUsd: null,
      },
      eta: { remaining: 3, finishAt: null, reason: 'nothing merged yet' },
    };
    const t = text(render(fresh));
    expect(t).toContain('Finish: nothing merged yet');
    expect(t).toContain('Merged per hour none merged yet');
    expect(t).toContain('Blocker resolved in none decided');
    expect(t).toContain('First-review approval none yet');
    expect(t).toContain('Cost per merged task $1.20 spent, none merged');
    expect(t).not.toContain('open blocker');
  });
});

describe('figures as text', () => {
  it('ratios, pace and finish', () => {
    expect(ratioText({ count: 3, of: 4 })).toBe('3 of 4 (75%)');
    expect(ratioText({ count: 0, of: 0 })).toBe('none yet');
    expect(paceText(12.4)).toBe('12 / h');
    expect(paceText(0.456)).toBe('0.46 / h');
    expect(etaText({ ...core, eta: { remaining: 0, finishAt: null, reason: 'every task is merged' } }, NOW)).toBe('every task is merged');
  });
});

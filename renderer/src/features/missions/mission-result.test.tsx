import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { MissionResult } from '../../../../src/shared/mission-result.js';
import { MissionResultView } from './mission-result.js';
import { MissionStateBadge } from './state-badge.js';

/* Rendered to HTML in Node (no DOM), as the other renderer component tests are. */

function text(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

const result = (over: Partial<MissionResult> = {}): MissionResult => ({
  missionId: 'm1',
  name: 'Todo',
  goal: 'A todo module',
  state: 'done',
  resultKind: 'merged',
  headline: 'Merged into main',
  outcome: 'merged into main at 7bf1a26c3d78',
  baseBranch: 'main',
  missionBranch: 'cr/todo/@mission',
  finalCommit: '7bf1a26c3d78aa',
  pullRequestUrl: null,
  startedAt: '2026-01-01T10:00:00.000Z',
  endedAt: '2026-01-01T10:03:05.000Z',
  durationMs: 185_000,
  files: [{ path: 'src/todo.js', teams: ['Core'], additions: 12, deletions: 3 }],
  teams: [
    {
      id: 'core',
      name: 'Core',
      phaseState: 'merged',
      mergedCommit: 'abc',
      summary: 'Core delivered the todo store (Cora).',
      summarySource: 'leader',
      summaryNote: null,
      files: ['src/todo.js'],
      tasksMerged: 1,
      tasksTotal: 1,
      costNanoUsd: 150_000_000,
      untaskedCostNanoUsd: 50_000_000,
      calls: 9,
      startedAt: '2026-01-01T10:00:00.000Z',
      endedAt: '2026-01-01T10:03:00.000Z',
      durationMs: 180_000,
    },
  ],
  tasks: [
    {
      id: 't1',
      teamId: 'core',
      key: 'store',
      title: 'Todo store',
      state: 'merged',
      assignee: 'Cora',
      attempts: 1,
      submissionSummary: 'Added the store.',
      mergedCommit: 'def',
      costNanoUsd: 100_000_000,
      calls: 6,
      startedAt: '2026-01-01T10:00:10.000Z',
      endedAt: '2026-01-01T10:02:10.000Z',
      durationMs: 120_000,
    },
  ],
  commits: [
    {
      sha: '0123456789abcdef',
      subject: 'Todo store',
      author: 'Cora',
      agentId: 'core-c1',
      teamId: 'core',
      at: null,
    },
  ],
  commitsSource: 'git',
  coders: [
    {
      agentId: 'core-c1',
      name: 'Cora',
      teamId: 'core',
      commits: 1,
      tasksMerged: 1,
      costNanoUsd: 100_000_000,
    },
  ],
  cost: { totalNanoUsd: 150_000_000, unattributedNanoUsd: 0, calls: 9 },
  finalTests: {
    command: 'node --test',
    exitCode: 1,
    passed: false,
    output: 'not ok 1 - adds',
    truncated: false,
    headCommit: 'abc',
    endedAt: '2026-01-01T10:03:00.000Z',
  },
  escalations: [
    {
      id: 'e1',
      type: 'final_merge',
      title: 'Merge mission "Todo" into main?',
      level: 'human',
      state: 'resolved',
      decision: 'approve',
      decidedBy: 'human',
      comment: null,
      teamId: null,
      taskId: null,
      createdAt: '2026-01-01T10:03:00.000Z',
      decidedAt: '2026-01-01T10:03:05.000Z',
    },
  ],
  ...over,
});

describe('MissionResultView', () => {
  it('shows how it ended, the leader summary, cost and time per team and task, files, commits per coder, tests and escalations', () => {
    const t = text(renderToStaticMarkup(<MissionResultView result={result()} />));
    expect(t).toContain('Merged into main');
    expect(t).toContain("Leader's summary Core delivered the todo store (Cora).");
    expect(t).toContain('1/1 task merged · $0.15 · 3m 00s');
    expect(t).toContain('Todo store merged Cora $0.10 2m 00s');
    expect(t).toContain('Planning, reviews and merges $0.05');
    expect(t).toContain('src/todo.js +12 −3 Core');
    expect(t).toContain('Cora Core 1 1 $0.10');
    expect(t).toContain('0123456789 Todo store — Cora');
    expect(t).toContain('failed (exit 1)');
    expect(t).toContain('not ok 1 - adds');
    expect(t).toContain('Merge mission "Todo" into main? approved human');
  });

  it("says when a team's summary is its tasks' own, and why", () => {
    const r = result();
    const t = text(
      renderToStaticMarkup(
        <MissionResultView
          result={{
            ...r,
            teams: r.teams.map((x) => ({
              ...x,
              summarySource: 'fallback' as const,
              summaryNote: "the leader's call failed: 529; this is the tasks' own summaries instead",
            })),
          }}
        />,
      ),
    );
    expect(t).toContain("From its tasks' summaries");
    expect(t).toContain("the leader's call failed: 529");
  });
});

describe('MissionStateBadge', () => {
  it('tells a declined final merge from a merged one, though both are done', () => {
    const merged = renderToStaticMarkup(
      <MissionStateBadge mission={{ state: 'done', resultKind: 'merged' }} />,
    );
    const declined = renderToStaticMarkup(
      <MissionStateBadge mission={{ state: 'done', resultKind: 'declined' }} />,
    );
    expect(text(merged).trim()).toBe('Merged');
    expect(merged).toContain('data-result="merged"');
    expect(text(declined).trim()).toBe('Declined');
    expect(declined).toContain('data-result="declined"');
    expect(
      text(
        renderToStaticMarkup(<MissionStateBadge mission={{ state: 'running', resultKind: null }} />),
      ).trim(),
    ).toBe('Running');
  });
});

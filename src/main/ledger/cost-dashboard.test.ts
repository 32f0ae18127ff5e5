import { describe, expect, it } from 'vitest';
import { liveRates, project, stackByTeam } from './cost-dashboard.js';
import type { SeriesPoint } from './metrics.js';

const M = 60_000;
const point = (minute: number, costNano: number, calls = costNano > 0 ? 1 : 0): SeriesPoint => ({
  minute: minute * M,
  calls,
  errorCalls: 0,
  inputTokens: calls * 100,
  outputTokens: calls * 10,
  cacheWriteTokens: 0,
  cacheReadTokens: 0,
  costNano,
});

describe('stackByTeam', () => {
  it('keeps the dearest teams apart and sums the rest as other', () => {
    const teams = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
    const teamMinutes = teams.map((t, i) => ({ minute: 0, teamKey: t, calls: 1, costNano: (i + 1) * 10 }));
    const { series, seriesTeams } = stackByTeam([point(0, 450, 9)], teamMinutes, 4);
    expect(seriesTeams).toEqual(['i', 'h', 'g', 'other']);
    expect(series[0]!.byTeam).toEqual({ i: 90, h: 80, g: 70, other: 210 });
    expect(Object.values(series[0]!.byTeam).reduce((a, b) => a + b, 0)).toBe(series[0]!.totalNano);
  });

  it('names calls without a team, and fills quiet minutes with zeros', () => {
    const { series, seriesTeams } = stackByTeam(
      [point(0, 0), point(1, 5)],
      [{ minute: M, teamKey: null, calls: 1, costNano: 5 }],
    );
    expect(seriesTeams).toEqual(['(none)']);
    expect(series.map((p) => p.byTeam)).toEqual([{ '(none)': 0 }, { '(none)': 5 }]);
  });
});

describe('liveRates', () => {
  it('divides by the time since the first call when it is recent', () => {
    const now = 10 * M + 30_000;
    const { burn, throughput } = liveRates([point(8, 0), point(9, 0), point(10, 600)], now);
    expect(burn).toMatchObject({ costNano: 600, nanoPerMinute: 1_200, from: 10 * M });
    expect(throughput.callsPerMinute).toBeCloseTo(2);
  });

  it('uses the whole five minutes once activity predates them, and never less than 15 s', () => {
    const now = 10 * M;
    const series = [point(3, 1_000), ...[4, 5, 6, 7, 8, 9].map((m) => point(m, 0)), point(10, 0)];
    expect(liveRates(series, now).burn.nanoPerMinute).toBe(0);
    expect(liveRates([point(9, 0), point(10, 100)], now + 1_000).burn.nanoPerMinute).toBe(400);
  });
});

describe('project', () => {
  it('projects spend to the end and the time the budget lasts', () => {
    expect(
      project(100, 0, { missionEndAt: 30 * M, remainingBudgetNano: 5_000, tasksDone: 1, tasksTotal: 4 }),
    ).toEqual({
      nanoPerMinute: 100,
      minutesToExhaustion: 50,
      exhaustionAt: 50 * M,
      projectedSpendToEndNano: 3_000,
      exceedsBudget: false,
    });
    expect(
      project(0, 0, { missionEndAt: null, remainingBudgetNano: null, tasksDone: 0, tasksTotal: 0 }),
    ).toMatchObject({
      minutesToExhaustion: null,
      projectedSpendToEndNano: null,
      exceedsBudget: null,
    });
  });
});

import { describe, expect, it } from 'vitest';
import { checkDesign, type RuleTeam } from './design-rules.js';
import {
  RIGHT_SIZE_APPROVAL_MARGIN,
  RIGHT_SIZE_MIN_TASKS,
  rightSize,
  type RoleCostRow,
} from './role-costs.js';

const OPUS = 'claude-opus-4-8';
const SONNET = 'claude-sonnet-4-6';

/** A role's record on a model: `approved` of `tasks` approved at first review. */
function row(model: string, tasks: number, approved: number, rejections: number, perTaskUsd: number): RoleCostRow {
  const merged = tasks;
  const spendNano = Math.round(perTaskUsd * 1e9) * merged;
  return {
    role: 'coder',
    model,
    agents: 4,
    calls: tasks * 30,
    inputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: 0,
    spendNano,
    mergedTasks: merged,
    costPerMergedTaskNano: merged > 0 ? Math.round(spendNano / merged) : null,
    reviewedTasks: tasks,
    firstReviewApproved: approved,
    firstReviewApprovalRate: tasks > 0 ? approved / tasks : null,
    // Every rejected submission was submitted again.
    submissions: tasks + rejections,
    rejections,
    reworkRate: tasks > 0 ? rejections / (tasks + rejections) : null,
  };
}

describe('rightSize', () => {
  it('suggests the cheaper model that did the role as well, with the figures', () => {
    // Opus: 33/35 = 94%, 4 of 39 submissions rejected (10%); Sonnet: 37/40 = 92.5%, 5 of 45 (11%).
    const rows = [row(OPUS, 35, 33, 4, 1.2), row(SONNET, 40, 37, 5, 0.41)];
    const s = rightSize('coder', OPUS, rows);
    expect(s).toMatchObject({ role: 'coder', from: OPUS, to: SONNET });
    expect(s?.text).toBe(
      'Sonnet 4.6 coders: 93% first-review approval over 40 tasks vs Opus 4.8 94% over 35; 11% vs 10% of submissions sent back for rework; $0.41 vs $1.20 per merged task',
    );
    // Never the other way round: Opus costs more per merged task.
    expect(rightSize('coder', SONNET, rows)).toBeNull();
  });

  it('says nothing under the minimum of tasks on either model', () => {
    const few = RIGHT_SIZE_MIN_TASKS - 1;
    expect(rightSize('coder', OPUS, [row(OPUS, 35, 33, 4, 1.2), row(SONNET, few, few, 0, 0.41)])).toBeNull();
    expect(rightSize('coder', OPUS, [row(OPUS, few, few, 0, 1.2), row(SONNET, 40, 37, 5, 0.41)])).toBeNull();
    expect(rightSize('coder', OPUS, [row(OPUS, 35, 33, 4, 1.2), row(SONNET, RIGHT_SIZE_MIN_TASKS, 19, 2, 0.41)])).not.toBeNull();
  });

  it('says nothing when the cheaper model approves or reworks outside the margin', () => {
    // Opus 40/40 = 100%; Sonnet 38/40 = 95% is within 5 points, 37/40 = 92.5% is not.
    expect(RIGHT_SIZE_APPROVAL_MARGIN).toBe(0.05);
    expect(rightSize('coder', OPUS, [row(OPUS, 40, 40, 0, 1.2), row(SONNET, 40, 38, 2, 0.41)])).not.toBeNull();
    expect(rightSize('coder', OPUS, [row(OPUS, 40, 40, 0, 1.2), row(SONNET, 40, 37, 3, 0.41)])).toBeNull();
    // Same approval, but 12 of 52 submissions rejected (23%) against none: over 10 points more.
    expect(rightSize('coder', OPUS, [row(OPUS, 40, 38, 0, 1.2), row(SONNET, 40, 38, 12, 0.41)])).toBeNull();
  });
});

describe('the designer', () => {
  const team: RuleTeam = {
    id: 't',
    name: 'Core',
    agents: [
      { id: 'l', name: 'Lead', role: 'leader', model: OPUS },
      { id: 'c', name: 'Ada', role: 'coder', model: OPUS },
    ],
  };

  it('suggests the cheaper model with the figures and a one-click fix, over enough tasks', () => {
    const issues = checkDesign({ teams: [team] }, { roleCosts: [row(OPUS, 35, 33, 4, 1.2), row(SONNET, 40, 37, 5, 0.41)] });
    const advice = issues.find((i) => i.agentId === 'c' && i.rule === 'right-size');
    expect(advice?.title).toBe('“Ada” could run on Claude Sonnet 4.6 for less');
    expect(advice?.detail).toContain('93% first-review approval over 40 tasks vs Opus 4.8 94% over 35');
    expect(advice?.fix?.fix).toEqual({ kind: 'set-model', teamId: 't', agentId: 'c', model: SONNET });
    // The measured advice stands in for the rule of thumb about Opus coders.
    expect(issues.filter((i) => i.agentId === 'c').map((i) => i.rule)).toEqual(['right-size']);
  });

  it('keeps the rule of thumb when the ledger has too few tasks', () => {
    const issues = checkDesign({ teams: [team] }, { roleCosts: [row(OPUS, 35, 33, 4, 1.2), row(SONNET, 5, 5, 0, 0.41)] });
    expect(issues.filter((i) => i.agentId === 'c').map((i) => i.rule)).toEqual(['model-mismatch']);
  });
});

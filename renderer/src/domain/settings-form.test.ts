import { describe, expect, it } from 'vitest';
import { DEFAULT_POOL_LIMITS, LIMIT_PRESETS } from '../../../src/shared/limits.js';
import type { PriceTable } from '../../../src/shared/pricing.js';
import {
  addRow,
  formToLimits,
  formToThresholds,
  limitsToForm,
  newRowForm,
  presetIdOf,
  thresholdsToForm,
} from './settings-form.js';

const thresholds = {
  budgetUsedRatio: 0.8,
  budgetCriticalRatio: 0.95,
  errorRate: 0.02,
  minCallsForErrorRate: 20,
  p95LatencyMs: 30_000,
  queueDepth: 500,
  poolUtilization: 0.9,
  criticalFactor: 2,
};

const table: PriceTable = {
  version: 1,
  currency: 'USD',
  rows: [
    {
      id: 'sonnet@2025-01-01',
      model: 'claude-sonnet-4-6',
      effectiveFrom: '2025-01-01',
      inputUsdPerMTok: 3,
      outputUsdPerMTok: 15,
      cacheWrite5mUsdPerMTok: 3.75,
      cacheWrite1hUsdPerMTok: 6,
      cacheReadUsdPerMTok: 0.3,
      webSearchUsdPerThousand: 10,
      batchMultiplier: 0.5,
      usOnlyMultiplier: 1.1,
    },
  ],
};

describe('settings forms', () => {
  it('recognises presets and round-trips limits', () => {
    expect(presetIdOf(DEFAULT_POOL_LIMITS, LIMIT_PRESETS)).toBe('tier-2');
    const form = limitsToForm(LIMIT_PRESETS[0]!.pools);
    form.opus.rpm = '1,234';
    const { limits } = formToLimits(form);
    expect(limits?.opus.rpm).toBe(1234);
    expect(presetIdOf(limits!, LIMIT_PRESETS)).toBeNull();
    form.haiku.otpm = '0';
    expect(formToLimits(form).errors).toEqual({ 'haiku.otpm': expect.stringMatching(/^Haiku output tokens/) });
  });

  it('shows ratios as percentages and reads them back exactly', () => {
    const form = thresholdsToForm(thresholds);
    expect(form.errorRate).toBe('2');
    expect(form.budgetUsedRatio).toBe('80');
    expect(formToThresholds(form).thresholds).toEqual(thresholds);
    expect(formToThresholds({ ...form, errorRate: '150' }).errors.errorRate).toMatch(/percentage/);
    expect(formToThresholds({ ...form, budgetCriticalRatio: '50' }).errors.budgetCriticalRatio).toMatch(/below the warning/);
  });

  it('adds a price row from a later date with the current prices as a start', () => {
    const form = newRowForm(table, 'claude-sonnet-4-6', '2026-03-01', Date.parse('2026-02-01'));
    expect(form.inputUsdPerMTok).toBe('3');
    const { table: next } = addRow(table, { ...form, inputUsdPerMTok: '2.5' });
    expect(next?.rows).toHaveLength(2);
    expect(next?.rows[1]).toMatchObject({ id: 'claude-sonnet-4-6@2026-03-01', inputUsdPerMTok: 2.5, batchMultiplier: 0.5 });
    expect(next?.rows[0]).toBe(table.rows[0]);
    expect(addRow(table, { ...form, effectiveFrom: '2025-01-01' }).errors.effectiveFrom).toMatch(/already has a price/);
  });
});

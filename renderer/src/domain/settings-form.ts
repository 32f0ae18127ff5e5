import type { FleetSettingView } from '../../../src/shared/contract/settings.js';
import type { AlertThresholds } from '../../../src/shared/costs.js';
import type { AllPoolLimits, LimitPreset, PoolLimitsSetting } from '../../../src/shared/limits.js';
import { MODELS, type ModelPool } from '../../../src/shared/models.js';
import type { PriceRow, PriceTable } from '../../../src/shared/pricing.js';
import { savedRedisUrlProblem } from '../../../src/shared/validation.js';

/** Pure helpers of the Settings forms: values as typed (strings) to and from the engine's shapes. */

export const POOLS: readonly ModelPool[] = ['opus', 'sonnet', 'haiku'];
export const POOL_LABELS: Record<ModelPool, string> = { opus: 'Opus', sonnet: 'Sonnet', haiku: 'Haiku' };
export const LIMIT_FIELDS = [
  { key: 'rpm', label: 'Requests / min' },
  { key: 'itpm', label: 'Input tokens / min' },
  { key: 'otpm', label: 'Output tokens / min' },
] as const satisfies readonly { key: keyof PoolLimitsSetting; label: string }[];

export type LimitsForm = Record<ModelPool, Record<keyof PoolLimitsSetting, string>>;
export type FieldErrors = Record<string, string>;

/** The preset these limits are, or null for a custom set. */
export function presetIdOf(limits: AllPoolLimits, presets: readonly LimitPreset[]): string | null {
  const same = (a: PoolLimitsSetting, b: PoolLimitsSetting) => a.rpm === b.rpm && a.itpm === b.itpm && a.otpm === b.otpm;
  return presets.find((p) => POOLS.every((pool) => same(p.pools[pool], limits[pool])))?.id ?? null;
}

export function limitsToForm(limits: AllPoolLimits): LimitsForm {
  const row = (l: PoolLimitsSetting) => ({ rpm: String(l.rpm), itpm: String(l.itpm), otpm: String(l.otpm) });
  return { opus: row(limits.opus), sonnet: row(limits.sonnet), haiku: row(limits.haiku) };
}

/** A whole number typed with optional thousands separators, or null. */
export function parseWhole(text: string): number | null {
  const clean = text.trim().replace(/[,_\s]/g, '');
  if (!/^\d+$/.test(clean)) return null;
  const n = Number(clean);
  return Number.isSafeInteger(n) ? n : null;
}

export function formToLimits(form: LimitsForm): { limits: AllPoolLimits | null; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const out = {} as AllPoolLimits;
  for (const pool of POOLS) {
    const row = {} as PoolLimitsSetting;
    for (const { key, label } of LIMIT_FIELDS) {
      const n = parseWhole(form[pool][key]);
      if (n === null || n < 1) errors[`${pool}.${key}`] = `${POOL_LABELS[pool]} ${label.toLowerCase()}: enter a whole number of at least 1`;
      else row[key] = n;
    }
    out[pool] = row;
  }
  return { limits: Object.keys(errors).length === 0 ? out : null, errors };
}

export interface ThresholdField {
  key: keyof AlertThresholds;
  label: string;
  /** 'percent': a 0..1 ratio shown as a percentage. */
  unit: 'percent' | 'ms' | 'count' | 'factor';
  hint: string;
}

export const THRESHOLD_FIELDS: readonly ThresholdField[] = [
  { key: 'budgetUsedRatio', label: 'Budget warning at', unit: 'percent', hint: 'Share of a cap spent.' },
  { key: 'budgetCriticalRatio', label: 'Budget critical at', unit: 'percent', hint: 'Not below the warning.' },
  { key: 'errorRate', label: 'Error rate', unit: 'percent', hint: 'Share of calls that failed.' },
  { key: 'minCallsForErrorRate', label: 'Calls before an error rate counts', unit: 'count', hint: 'Fewer say nothing.' },
  { key: 'p95LatencyMs', label: 'Slow calls (p95)', unit: 'ms', hint: 'Milliseconds.' },
  { key: 'queueDepth', label: 'Queue depth', unit: 'count', hint: 'Calls waiting for the limiter.' },
  { key: 'poolUtilization', label: 'Pool utilisation', unit: 'percent', hint: 'Share of a rate limit in use.' },
  { key: 'criticalFactor', label: 'Critical at', unit: 'factor', hint: 'Times the threshold (error rate, latency, queue).' },
];

export type ThresholdsForm = Record<keyof AlertThresholds, string>;

const trimNumber = (n: number) => String(Number(n.toFixed(6)));

export function thresholdsToForm(t: AlertThresholds): ThresholdsForm {
  const form = {} as ThresholdsForm;
  for (const f of THRESHOLD_FIELDS) form[f.key] = f.unit === 'percent' ? trimNumber(t[f.key] * 100) : String(t[f.key]);
  return form;
}

export function formToThresholds(form: ThresholdsForm): { thresholds: AlertThresholds | null; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const out = {} as AlertThresholds;
  for (const f of THRESHOLD_FIELDS) {
    const text = form[f.key].trim().replace(/%$/, '');
    const n = Number(text);
    if (text === '' || !Number.isFinite(n)) {
      errors[f.key] = `${f.label}: enter a number`;
      continue;
    }
    if (f.unit === 'percent') {
      if (n <= 0 || n > 100) errors[f.key] = `${f.label}: enter a percentage above 0 and at most 100`;
      else out[f.key] = Number((n / 100).toFixed(8));
    } else if (f.unit === 'factor') {
      if (n < 1 || n > 100) errors[f.key] = `${f.label}: enter a factor from 1 to 100`;
      else out[f.key] = n;
    } else if (!Number.isInteger(n) || n < 1) {
      errors[f.key] = `${f.label}: enter a whole number of at least 1`;
    } else {
      out[f.key] = n;
    }
  }
  if (!errors.budgetUsedRatio && !errors.budgetCriticalRatio && out.budgetCriticalRatio < out.budgetUsedRatio) {
    errors.budgetCriticalRatio = 'Budget critical at: must not be below the warning';
  }
  return { thresholds: Object.keys(errors).length === 0 ? out : null, errors };
}

export const PRICE_FIELDS = [
  { key: 'inputUsdPerMTok', label: 'Input' },
  { key: 'outputUsdPerMTok', label: 'Output' },
  { key: 'cacheWrite5mUsdPerMTok', label: 'Cache write 5 min' },
  { key: 'cacheWrite1hUsdPerMTok', label: 'Cache write 1 h' },
  { key: 'cacheReadUsdPerMTok', label: 'Cache read' },
  { key: 'webSearchUsdPerThousand', label: 'Web search / 1k' },
] as const satisfies readonly { key: keyof PriceRow; label: string }[];

type PriceKey = (typeof PRICE_FIELDS)[number]['key'];
export type PriceRowForm = { model: string; effectiveFrom: string } & Record<PriceKey, string>;

/** The row in force for `model` now (the latest effective one), if any. */
export function latestRow(table: PriceTable, model: string, now: number): PriceRow | undefined {
  return table.rows
    .filter((r) => r.model === model && Date.parse(r.effectiveFrom) <= now)
    .sort((a, b) => Date.parse(b.effectiveFrom) - Date.parse(a.effectiveFrom))[0];
}

/** A new row's form, starting from the model's current prices. */
export function newRowForm(table: PriceTable, model: string, today: string, now: number): PriceRowForm {
  const base = latestRow(table, model, now);
  const form = { model, effectiveFrom: today } as PriceRowForm;
  for (const { key } of PRICE_FIELDS) form[key] = base ? String(base[key]) : '';
  return form;
}

/** The table with the form's row added; errors name the form's fields. */
export function addRow(table: PriceTable, form: PriceRowForm): { table: PriceTable | null; errors: FieldErrors } {
  const errors: FieldErrors = {};
  if (!MODELS.some((m) => m.id === form.model)) errors.model = 'Model: choose a model';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(form.effectiveFrom) || !Number.isFinite(Date.parse(form.effectiveFrom))) {
    errors.effectiveFrom = 'Effective from: enter a date';
  } else if (table.rows.some((r) => r.model === form.model && Date.parse(r.effectiveFrom) === Date.parse(form.effectiveFrom))) {
    errors.effectiveFrom = `Effective from: ${form.model} already has a price from ${form.effectiveFrom}; pick a later date`;
  }
  const prices = {} as Record<PriceKey, number>;
  for (const { key, label } of PRICE_FIELDS) {
    const text = form[key].trim();
    const n = Number(text);
    if (text === '' || !Number.isFinite(n) || n < 0) errors[key] = `${label}: enter a price in dollars (0 or more)`;
    else prices[key] = n;
  }
  if (Object.keys(errors).length > 0) return { table: null, errors };
  const base = latestRow(table, form.model, Date.parse(form.effectiveFrom)) ?? table.rows.find((r) => r.model === form.model);
  let id = `${form.model}@${form.effectiveFrom}`;
  for (let n = 2; table.rows.some((r) => r.id === id); n++) id = `${form.model}@${form.effectiveFrom}-${n}`;
  const row: PriceRow = {
    id,
    model: form.model as PriceRow['model'],
    effectiveFrom: form.effectiveFrom,
    ...prices,
    batchMultiplier: base?.batchMultiplier ?? 0.5,
    usOnlyMultiplier: base?.usOnlyMultiplier ?? 1.1,
  };
  return { table: { ...table, rows: [...table.rows, row] }, errors };
}

/**
 * The Redis URL field as the engine takes it: empty is off (null); anything else must be
 * a Redis URL by the same rule the engine and `control-room worker` apply.
 */
export function fleetUrlRequest(text: string): { redisUrl: string | null; error: null } | { redisUrl?: undefined; error: string } {
  const value = text.trim();
  if (value === '') return { redisUrl: null, error: null };
  const problem = savedRedisUrlProblem(value);
  return problem ? { error: `Redis URL: ${problem}` } : { redisUrl: value, error: null };
}

/** What the fleet section says about this run against what is saved: changes apply at the next start. */
export function fleetNote(fleet: FleetSettingView): { inUse: string; pending: string | null } {
  const inUse =
    fleet.activeRedisUrl === null
      ? 'Not in use: every turn runs in this process.'
      : `In use: ${fleet.activeRedisUrl}${fleet.activeSource === 'flag' ? ' (from --redis, which wins over this setting)' : ''}.`;
  const pending =
    fleet.activeSource === 'flag' || fleet.redisUrl === fleet.activeRedisUrl
      ? null
      : fleet.redisUrl === null
        ? 'Off from the next start.'
        : 'The saved URL applies at the next start.';
  return { inUse, pending };
}

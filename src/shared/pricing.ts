import { z } from 'zod';
import { MODEL_IDS } from './models.js';
import type { Result } from './result.js';
import { quote } from './quote.js';
import { formatIssues } from './validation.js';

/**
 * The price table: what each model costs, as data a person can read and edit (Settings)
 * and the app can validate and store. Prices are US dollars as people write them (per
 * million tokens; web search per thousand requests); the ledger turns them into exact
 * integers before any arithmetic (src/main/ledger/pricing.ts), so no float ever touches
 * a stored amount.
 */

/** Highest price a row may carry: far above any real price, low enough that sums stay exact. */
export const MAX_USD_PER_MTOK = 10_000;
/** Multipliers are stored as parts per million; more precision would be invented. */
export const MULTIPLIER_SCALE = 1_000_000;
export const MAX_MULTIPLIER = 100;

const hasAtMostDecimals = (value: number, decimals: number): boolean => {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale === value;
};

const usdSchema = (max: number) =>
  z
    .number({ error: 'must be a number of US dollars' })
    .min(0, 'must not be negative')
    .max(max, `must be at most ${max}`)
    // Nano-dollar exactness: 9 decimals of a dollar per million tokens is the finest step.
    .refine((v) => hasAtMostDecimals(v, 9), 'must have at most 9 decimals');

const multiplierSchema = z
  .number({ error: 'must be a number' })
  .positive('must be greater than 0')
  .max(MAX_MULTIPLIER, `must be at most ${MAX_MULTIPLIER}`)
  .refine((v) => hasAtMostDecimals(v, 6), 'must have at most 6 decimals');

/** A UTC date ("2025-11-24") or instant ("2025-11-24T12:00:00Z"). */
const effectiveFromSchema = z
  .string({ error: 'must be a UTC date such as "2025-11-24" or an ISO instant ending in "Z"' })
  .refine(
    (s) => /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z)?$/.test(s) && Number.isFinite(Date.parse(s)),
    'must be a UTC date such as "2025-11-24" or an ISO instant ending in "Z"',
  );

export const priceRowSchema = z.strictObject({
  id: z
    .string({ error: 'must be a string' })
    .regex(/^[A-Za-z0-9_.:@-]{1,100}$/, 'must be 1-100 letters, digits or "_.:@-"'),
  model: z.enum(MODEL_IDS, {
    error: (issue) => `unknown model ${quote(issue.input)}; known models: ${MODEL_IDS.join(', ')}`,
  }),
  effectiveFrom: effectiveFromSchema,
  inputUsdPerMTok: usdSchema(MAX_USD_PER_MTOK),
  outputUsdPerMTok: usdSchema(MAX_USD_PER_MTOK),
  cacheWrite5mUsdPerMTok: usdSchema(MAX_USD_PER_MTOK),
  cacheWrite1hUsdPerMTok: usdSchema(MAX_USD_PER_MTOK),
  cacheReadUsdPerMTok: usdSchema(MAX_USD_PER_MTOK),
  webSearchUsdPerThousand: usdSchema(MAX_USD_PER_MTOK),
  batchMultiplier: multiplierSchema,
  usOnlyMultiplier: multiplierSchema,
});

export const priceTableSchema = z
  .strictObject({
    version: z.literal(1, { error: 'must be 1' }),
    currency: z.literal('USD', { error: 'must be "USD"' }),
    note: z.string().max(2_000).optional(),
    rows: z.array(priceRowSchema).min(1, 'must list at least one price').max(1_000),
  })
  .superRefine((table, ctx) => {
    const ids = new Set<string>();
    const starts = new Set<string>();
    table.rows.forEach((row, i) => {
      if (ids.has(row.id)) {
        ctx.addIssue({ code: 'custom', path: ['rows', i, 'id'], message: `duplicate price row id "${row.id}"` });
      }
      ids.add(row.id);
      const start = `${row.model}|${Date.parse(row.effectiveFrom)}`;
      if (starts.has(start)) {
        ctx.addIssue({
          code: 'custom',
          path: ['rows', i, 'effectiveFrom'],
          message: `${row.model} already has a price effective from ${row.effectiveFrom}`,
        });
      }
      starts.add(start);
    });
    // A model without a price would be refused at call time; say so when the table is saved.
    for (const model of MODEL_IDS) {
      if (!table.rows.some((r) => r.model === model)) {
        ctx.addIssue({ code: 'custom', path: ['rows'], message: `no price for model "${model}"` });
      }
    }
  });

export type PriceRow = z.infer<typeof priceRowSchema>;
export type PriceTable = z.infer<typeof priceTableSchema>;

/**
 * Validates a price table (parsed JSON, e.g. from resources/pricing.json or the Settings
 * form). Never throws: a bad table answers `invalid_request` with a message naming each
 * offending field, such as `rows.1.cacheReadUsdPerMTok: must not be negative`.
 */
export function validatePriceTable(json: unknown): Result<PriceTable> {
  const parsed = priceTableSchema.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      error: { code: 'invalid_request', message: `invalid price table: ${formatIssues(parsed.error.issues)}` },
    };
  }
  return { ok: true, data: parsed.data };
}

/** The instant (epoch ms, UTC) from which a row applies. */
export function effectiveFromMs(row: Pick<PriceRow, 'effectiveFrom'>): number {
  return Date.parse(row.effectiveFrom);
}

import { describe, expect, it } from 'vitest';
import bundled from '../../resources/pricing.json' with { type: 'json' };
import { effectiveFromMs, validatePriceTable } from './pricing.js';

const clone = (): typeof bundled => structuredClone(bundled);

describe('validatePriceTable', () => {
  it('accepts the shipped table', () => {
    const result = validatePriceTable(bundled);
    expect(result.ok).toBe(true);
  });

  it('names the offending field of a bad price', () => {
    const table = clone();
    table.rows[1]!.cacheReadUsdPerMTok = -1;
    const result = validatePriceTable(table);
    expect(result).toEqual({
      ok: false,
      error: { code: 'invalid_request', message: 'invalid price table: rows.1.cacheReadUsdPerMTok: must not be negative' },
    });
  });

  it('refuses unknown models, unpriced models, duplicate ids and dates', () => {
    const unknown = clone();
    unknown.rows[0]!.model = 'gpt-5';
    expect(validatePriceTable(unknown)).toMatchObject({ ok: false, error: { message: expect.stringMatching(/rows\.0\.model: unknown model "gpt-5"/) } });

    const unpriced = clone();
    unpriced.rows = unpriced.rows.filter((r) => r.model !== 'claude-opus-4-5');
    expect(validatePriceTable(unpriced)).toMatchObject({ error: { message: expect.stringMatching(/rows: no price for model "claude-opus-4-5"/) } });

    const dupe = clone();
    const copied = dupe.rows.find((r) => r.model === 'claude-opus-4-5')!;
    dupe.rows.push({ ...copied });
    const at = dupe.rows.length - 1;
    const message = (validatePriceTable(dupe) as { error: { message: string } }).error.message;
    expect(message).toContain(`rows.${at}.id: duplicate price row id "${copied.id}"`);
    expect(message).toContain(`rows.${at}.effectiveFrom: claude-opus-4-5 already has a price effective from ${copied.effectiveFrom}`);
  });

  it('refuses sub-nano precision, bad dates, bad multipliers and stray fields', () => {
    const table = clone() as unknown as { rows: Record<string, unknown>[] } & Record<string, unknown>;
    table.rows[0]!.inputUsdPerMTok = 1.0000000001;
    table.rows[1]!.effectiveFrom = '29/09/2025';
    table.rows[2]!.batchMultiplier = 0;
    table.extra = true;
    const result = validatePriceTable(table);
    expect(result.ok).toBe(false);
    const message = (result as { error: { message: string } }).error.message;
    expect(message).toMatch(/rows\.0\.inputUsdPerMTok: must have at most 9 decimals/);
    expect(message).toMatch(/rows\.1\.effectiveFrom: must be a UTC date/);
    expect(message).toMatch(/rows\.2\.batchMultiplier: must be greater than 0/);
    expect(message).toMatch(/Unrecognized key: "extra"/i);
  });

  it('reads effective dates as UTC', () => {
    expect(effectiveFromMs({ effectiveFrom: '2025-11-24' })).toBe(Date.UTC(2025, 10, 24));
    expect(effectiveFromMs({ effectiveFrom: '2025-11-24T12:30:00Z' })).toBe(Date.UTC(2025, 10, 24, 12, 30));
  });
});

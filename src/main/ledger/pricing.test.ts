import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PriceRow, PriceTable } from '../../shared/pricing.js';
import { AppError } from '../../shared/result.js';
import { Pricer, defaultPriceTable, defaultPricer, loadPriceTable, nanoToExactUsd } from './pricing.js';

const AT = Date.UTC(2026, 0, 15);
const none = { inputTokens: 0, outputTokens: 0, cacheCreation5mTokens: 0, cacheCreation1hTokens: 0, cacheReadTokens: 0 };

function row(overrides: Partial<PriceRow>): PriceRow {
  return {
    id: 'r',
    model: 'claude-opus-4-5',
    effectiveFrom: '2025-01-01',
    inputUsdPerMTok: 5,
    outputUsdPerMTok: 25,
    cacheWrite5mUsdPerMTok: 6.25,
    cacheWrite1hUsdPerMTok: 10,
    cacheReadUsdPerMTok: 0.5,
    webSearchUsdPerThousand: 10,
    batchMultiplier: 0.5,
    usOnlyMultiplier: 1.1,
    ...overrides,
  };
}

function table(...rows: PriceRow[]): PriceTable {
  return { version: 1, currency: 'USD', rows };
}

function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

describe('Pricer (shipped prices)', () => {
  const pricer = defaultPricer();

  it('prices a million tokens at the list price', () => {
    expect(pricer.cost('claude-opus-4-5', AT, { ...none, inputTokens: 1_000_000, outputTokens: 1_000_000 })).toEqual({
      priceRowId: 'claude-opus-4-5@2025-11-24',
      inputNano: 5_000_000_000,
      outputNano: 25_000_000_000,
      cacheWriteNano: 0,
      cacheReadNano: 0,
      serverToolsNano: 0,
      totalNano: 30_000_000_000,
    });
    expect(pricer.cost('claude-haiku-4-5', AT, { ...none, inputTokens: 1_000_000, outputTokens: 1_000_000 }).totalNano).toBe(
      6_000_000_000,
    );
  });

  it('prices every usage field exactly (worked by hand)', () => {
    // Sonnet 4.5: input $3 = 3,000 nano/token, output $15 = 15,000, 5m write $3.75 = 3,750,
    // 1h write $6 = 6,000, read $0.30 = 300, web search $10/1000 = 10,000,000 nano each.
    const cost = pricer.cost('claude-sonnet-4-5', AT, {
      inputTokens: 1_234, // 3,702,000
      outputTokens: 567, // 8,505,000
      cacheCreation5mTokens: 1_000, // 3,750,000
      cacheCreation1hTokens: 2_000, // 12,000,000
      cacheReadTokens: 10_000, // 3,000,000
      serverToolRequests: 3, // 30,000,000
    });
    expect(cost).toEqual({
      priceRowId: 'claude-sonnet-4-5@2025-09-29',
      inputNano: 3_702_000,
      outputNano: 8_505_000,
      cacheWriteNano: 15_750_000,
      cacheReadNano: 3_000_000,
      serverToolsNano: 30_000_000,
      totalNano: 60_957_000,
    });
    expect(nanoToExactUsd(cost.totalNano)).toBe('0.060957000');
  });

  it('charges a 1-hour cache write at 2x input and a 5-minute one at 1.25x', () => {
    const fiveMinutes = pricer.cost('claude-haiku-4-5', AT, { ...none, cacheCreation5mTokens: 1_000 });
    const oneHour = pricer.cost('claude-haiku-4-5', AT, { ...none, cacheCreation1hTokens: 1_000 });
    const plain = pricer.cost('claude-haiku-4-5', AT, { ...none, inputTokens: 1_000 });
    expect([plain.totalNano, fiveMinutes.cacheWriteNano, oneHour.cacheWriteNano]).toEqual([1_000_000, 1_250_000, 2_000_000]);
    expect(pricer.cost('claude-haiku-4-5', AT, { ...none, cacheReadTokens: 1_000 }).cacheReadNano).toBe(100_000);
  });

  it('applies the batch and US-only multipliers to tokens, not to web search', () => {
    const usage = { ...none, inputTokens: 1_000, outputTokens: 100, serverToolRequests: 1 };
    const cost = pricer.cost('claude-sonnet-4-5', AT, usage, { batch: true, usOnly: true });
    // 3,000 x 0.5 x 1.1 = 1,650 nano/token; 15,000 x 0.55 = 8,250.
    expect([cost.inputNano, cost.outputNano, cost.serverToolsNano]).toEqual([1_650_000, 825_000, 10_000_000]);
    expect(pricer.cost('claude-opus-4-5', AT, { ...none, outputTokens: 3 }, { usOnly: true }).outputNano).toBe(82_500);
  });

  it('prices a dated snapshot id as its model and refuses unknown models', () => {
    expect(pricer.cost('claude-sonnet-4-5-20250929', AT, { ...none, inputTokens: 1 }).inputNano).toBe(3_000);
    const error = thrown(() => pricer.cost('gpt-4o', AT, { ...none, inputTokens: 1 }));
    expect(error.code).toBe('unknown_model');
    expect(error.message).toMatch(/no price for model "gpt-4o"/);
    expect(pricer.knows('gpt-4o')).toBe(false);
  });

  it('refuses negative or fractional token counts', () => {
    expect(thrown(() => pricer.cost('claude-opus-4-5', AT, { ...none, inputTokens: -1 })).code).toBe('invalid_request');
    expect(thrown(() => pricer.cost('claude-opus-4-5', AT, { ...none, outputTokens: 1.5 })).code).toBe('invalid_request');
  });

  it('prices the worst case at the dearest input-side rate plus max output', () => {
    // Opus: 1,000 tokens as 1h cache writes (10,000 nano) + 2,000 output (25,000 nano).
    expect(pricer.worstCaseCost('claude-opus-4-5', 1_000, 2_000, { at: AT })).toBe(60_000_000);
    expect(pricer.worstCaseCost('claude-opus-4-5', 1_000, 2_000, { at: AT, maxServerToolRequests: 2 })).toBe(80_000_000);
  });
});

describe('Pricer (effective dates and rounding)', () => {
  const pricer = new Pricer(
    table(
      row({ id: 'old', effectiveFrom: '2025-11-24' }),
      row({ id: 'new', effectiveFrom: '2026-03-01', inputUsdPerMTok: 4 }),
      row({ id: 'tiny', model: 'claude-haiku-4-5', inputUsdPerMTok: 0.0000005, outputUsdPerMTok: 1.0000001 }),
    ),
  );

  it('uses the row effective at the call start', () => {
    const at = (iso: string) => pricer.cost('claude-opus-4-5', Date.parse(iso), { ...none, inputTokens: 1_000 });
    expect(at('2026-02-28T23:59:59.999Z')).toMatchObject({ priceRowId: 'old', inputNano: 5_000_000 });
    expect(at('2026-03-01T00:00:00.000Z')).toMatchObject({ priceRowId: 'new', inputNano: 4_000_000 });
    expect(at('2030-01-01T00:00:00.000Z')).toMatchObject({ priceRowId: 'new' });
    const early = thrown(() => at('2025-11-23T23:59:59.999Z'));
    expect(early.code).toBe('unknown_model');
    expect(early.message).toMatch(/first price is effective from 2025-11-24T00:00:00.000Z/);
  });

  it('rounds each component once, to the nearest nano-dollar, halves up', () => {
    // 0.0000005 USD/MTok = 0.0005 nano/token: 1,000 tokens = exactly 0.5 nano -> 1.
    expect(pricer.cost('claude-haiku-4-5', AT, { ...none, inputTokens: 1_000 }).inputNano).toBe(1);
    expect(pricer.cost('claude-haiku-4-5', AT, { ...none, inputTokens: 999 }).inputNano).toBe(0);
    // 1.0000001 USD/MTok = 1,000.0001 nano/token: 5,000 tokens = 5,000,000.5 -> 5,000,001.
    expect(pricer.cost('claude-haiku-4-5', AT, { ...none, outputTokens: 5_000 }).outputNano).toBe(5_000_001);
    // Exact where floats drift: 0.1 + 0.2 style prices stay integral.
    const cents = new Pricer(table(row({ id: 'c', inputUsdPerMTok: 0.3, cacheReadUsdPerMTok: 0.1 })));
    expect(cents.cost('claude-opus-4-5', AT, { ...none, inputTokens: 3, cacheReadTokens: 7 })).toMatchObject({
      inputNano: 900,
      cacheReadNano: 700,
      totalNano: 1_600,
    });
  });

  it('keeps the worst case above any split of the input when rates round', () => {
    const odd = new Pricer(table(row({ id: 'o', inputUsdPerMTok: 0.0000007, cacheWrite5mUsdPerMTok: 0.0000007, cacheWrite1hUsdPerMTok: 0.0000007, cacheReadUsdPerMTok: 0.0000007 })));
    const worst = odd.worstCaseCost('claude-opus-4-5', 3_000, 0, { at: AT });
    const split = odd.cost('claude-opus-4-5', AT, { ...none, inputTokens: 1_000, cacheCreation5mTokens: 1_000, cacheReadTokens: 1_000 });
    expect(split.totalNano).toBeLessThanOrEqual(worst);
  });
});

describe('loadPriceTable', () => {
  it('loads a valid file and names the file of an invalid one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prices-'));
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify(defaultPriceTable()));
    expect(loadPriceTable(good)).toEqual(defaultPriceTable());

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...defaultPriceTable(), currency: 'EUR' }));
    expect(() => loadPriceTable(bad)).toThrow(/bad\.json: invalid price table: currency: must be "USD"/);
    writeFileSync(bad, '{ not json');
    expect(() => loadPriceTable(bad)).toThrow(/cannot read price table/);
  });
});

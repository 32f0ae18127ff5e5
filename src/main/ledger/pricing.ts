import { readFileSync } from 'node:fs';
import bundledPrices from '../../../resources/pricing.json' with { type: 'json' };
import { NANO_PER_USD, usdToNano } from '../../shared/money.js';
import {
  MULTIPLIER_SCALE,
  effectiveFromMs,
  validatePriceTable,
  type PriceRow,
  type PriceTable,
} from '../../shared/pricing.js';
import { AppError } from '../../shared/result.js';

/**
 * Exact pricing. Every amount is an integer: prices become nano-dollars per million
 * tokens (USD x 1e9, exact for up to 9 decimals) and multipliers parts per million, and
 * all products are taken in BigInt, so nothing drifts.
 *
 * Rounding (the one place a fraction of a nano-dollar is dropped): each cost component
 * (input, output, cache write, cache read, server tools) is computed exactly as a
 * rational and rounded once to the nearest nano-dollar, halves up. The total is the sum
 * of the rounded components, so a ledger row always adds up. With the shipped prices
 * every component is already a whole number of nano-dollars (the smallest price,
 * $0.10/MTok, is 100 nano per token) and no rounding happens at all.
 */

/** A price row in exact integer form, ready for arithmetic. */
export interface CompiledPriceRow {
  id: string;
  model: string;
  effectiveFromMs: number;
  inputNanoPerMTok: bigint;
  outputNanoPerMTok: bigint;
  cacheWrite5mNanoPerMTok: bigint;
  cacheWrite1hNanoPerMTok: bigint;
  cacheReadNanoPerMTok: bigint;
  webSearchNanoPerThousand: bigint;
  batchPpm: bigint;
  usOnlyPpm: bigint;
}

/** What the API billed for one attempt (thinking tokens are inside outputTokens). */
export interface BillableUsage {
  inputTokens: number;
  outputTokens: number;
  cacheCreation5mTokens: number;
  cacheCreation1hTokens: number;
  cacheReadTokens: number;
  /** Web searches and other per-request server tools. */
  serverToolRequests?: number;
}

/** How the call was made: the multipliers of the price row apply to token prices only. */
export interface PricingOptions {
  /** A Message Batches call. */
  batch?: boolean;
  /** US-only inference (data residency). */
  usOnly?: boolean;
}

/** The cost of one call, in integer nano-dollars, and the price row that priced it. */
export interface CallCost {
  priceRowId: string;
  inputNano: number;
  outputNano: number;
  cacheWriteNano: number;
  cacheReadNano: number;
  serverToolsNano: number;
  totalNano: number;
}

const TOKENS_PER_MTOK = 1_000_000n;
const PPM = BigInt(MULTIPLIER_SCALE);

/** Turns a validated row into integers; exact because the schema bounds decimals. */
export function compilePriceRow(row: PriceRow): CompiledPriceRow {
  const nano = (usd: number) => BigInt(usdToNano(usd));
  return {
    id: row.id,
    model: row.model,
    effectiveFromMs: effectiveFromMs(row),
    inputNanoPerMTok: nano(row.inputUsdPerMTok),
    outputNanoPerMTok: nano(row.outputUsdPerMTok),
    cacheWrite5mNanoPerMTok: nano(row.cacheWrite5mUsdPerMTok),
    cacheWrite1hNanoPerMTok: nano(row.cacheWrite1hUsdPerMTok),
    cacheReadNanoPerMTok: nano(row.cacheReadUsdPerMTok),
    webSearchNanoPerThousand: nano(row.webSearchUsdPerThousand),
    batchPpm: BigInt(Math.round(row.batchMultiplier * MULTIPLIER_SCALE)),
    usOnlyPpm: BigInt(Math.round(row.usOnlyMultiplier * MULTIPLIER_SCALE)),
  };
}

/** Rounds numerator/denominator (both non-negative) to the nearest integer, halves up. */
function roundDiv(numerator: bigint, denominator: bigint): number {
  const q = (numerator * 2n + denominator) / (denominator * 2n);
  if (q > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new AppError('internal', `cost ${q} nano-dollars exceeds the exact integer range`);
  }
  return Number(q);
}

function tokenCount(name: string, value: number | undefined): bigint {
  const v = value ?? 0;
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new AppError('invalid_request', `${name} must be a non-negative whole number, got ${v}`);
  }
  return BigInt(v);
}

/** Strips a snapshot date ("claude-sonnet-4-5-20250929" -> "claude-sonnet-4-5"). */
export function baseModelId(model: string): string {
  return model.replace(/-\d{8}$/, '');
}

/**
 * Prices calls against one price table. Build it once per table (Settings edits make a
 * new one); lookups are a scan of a model's few rows.
 */
export class Pricer {
  readonly table: PriceTable;
  private readonly byModel: Map<string, CompiledPriceRow[]>;

  constructor(table: PriceTable) {
    this.table = table;
    this.byModel = new Map();
    for (const row of table.rows.map(compilePriceRow)) {
      const rows = this.byModel.get(row.model) ?? [];
      rows.push(row);
      this.byModel.set(row.model, rows);
    }
    // Newest first, so the first row not in the future is the effective one.
    for (const rows of this.byModel.values()) rows.sort((a, b) => b.effectiveFromMs - a.effectiveFromMs);
  }

  /** True when the table prices `model` (a dated snapshot id counts as its base model). */
  knows(model: string): boolean {
    return this.byModel.has(model) || this.byModel.has(baseModelId(model));
  }

  /**
   * The row that prices a call of `model` started at `at` (epoch ms): the latest row
   * effective at or before `at`. Throws `AppError('unknown_model')` for a model the table
   * does not price, or a call older than the model's first price; never prices at zero.
   */
  rowFor(model: string, at: number): CompiledPriceRow {
    const rows = this.byModel.get(model) ?? this.byModel.get(baseModelId(model));
    if (!rows) {
      throw new AppError(
        'unknown_model',
        `no price for model "${model}"; priced models: ${[...this.byModel.keys()].join(', ')}`,
      );
    }
    const row = rows.find((r) => r.effectiveFromMs <= at);
    if (!row) {
      const first = rows.at(-1);
      throw new AppError(
        'unknown_model',
        `no price for model "${model}" at ${new Date(at).toISOString()}; its first price is effective from ` +
          `${first ? new Date(first.effectiveFromMs).toISOString() : 'never'}`,
      );
    }
    return row;
  }

  /** The exact cost of a call of `model` started at `at` (epoch ms) with `usage`. */
  cost(model: string, at: number, usage: BillableUsage, options: PricingOptions = {}): CallCost {
    const row = this.rowFor(model, at);
    const batch = options.batch ? row.batchPpm : PPM;
    const usOnly = options.usOnly ? row.usOnlyPpm : PPM;
    // tokens x nano/MTok x ppm x ppm over MTok x ppm x ppm: one exact division per component.
    const den = TOKENS_PER_MTOK * PPM * PPM;
    const scaled = (sum: bigint) => roundDiv(sum * batch * usOnly, den);

    const inputNano = scaled(tokenCount('inputTokens', usage.inputTokens) * row.inputNanoPerMTok);
    const outputNano = scaled(tokenCount('outputTokens', usage.outputTokens) * row.outputNanoPerMTok);
    const cacheWriteNano = scaled(
      tokenCount('cacheCreation5mTokens', usage.cacheCreation5mTokens) * row.cacheWrite5mNanoPerMTok +
        tokenCount('cacheCreation1hTokens', usage.cacheCreation1hTokens) * row.cacheWrite1hNanoPerMTok,
    );
    const cacheReadNano = scaled(tokenCount('cacheReadTokens', usage.cacheReadTokens) * row.cacheReadNanoPerMTok);
    const serverToolsNano = roundDiv(
      tokenCount('serverToolRequests', usage.serverToolRequests) * row.webSearchNanoPerThousand,
      1000n,
    );
    return {
      priceRowId: row.id,
      inputNano,
      outputNano,
      cacheWriteNano,
      cacheReadNano,
      serverToolsNano,
      totalNano: inputNano + outputNano + cacheWriteNano + cacheReadNano + serverToolsNano,
    };
  }

  /**
   * The most a call can cost: every estimated input token at the dearest input-side
   * rate (a prompt may be written to the 1-hour cache, which costs more than plain
   * input), `maxOutputTokens` of output (thinking counts inside max_tokens), and
   * `maxServerToolRequests` web searches. Budgets reserve this before admitting a call.
   */
  worstCaseCost(
    model: string,
    estInputTokens: number,
    maxOutputTokens: number,
    options: PricingOptions & { at?: number; maxServerToolRequests?: number } = {},
  ): number {
    const at = options.at ?? Date.now();
    const row = this.rowFor(model, at);
    const est = Number(tokenCount('estInputTokens', estInputTokens));
    const base: BillableUsage = {
      inputTokens: 0,
      cacheCreation5mTokens: 0,
      cacheCreation1hTokens: 0,
      cacheReadTokens: 0,
      outputTokens: maxOutputTokens,
      serverToolRequests: options.maxServerToolRequests ?? 0,
    };
    const inputSide = ['inputTokens', 'cacheCreation5mTokens', 'cacheCreation1hTokens', 'cacheReadTokens'] as const;
    const worst = Math.max(...inputSide.map((k) => this.cost(model, at, { ...base, [k]: est }, options).totalNano));
    // Input split over three rounded components can round up by a nano-dollar more than
    // one component would; only possible when a rate is not whole nano per token.
    const batch = options.batch ? row.batchPpm : PPM;
    const usOnly = options.usOnly ? row.usOnlyPpm : PPM;
    const unit = TOKENS_PER_MTOK * PPM * PPM;
    const fractional = [row.inputNanoPerMTok, row.cacheWrite5mNanoPerMTok, row.cacheWrite1hNanoPerMTok, row.cacheReadNanoPerMTok]
      .some((rate) => (rate * batch * usOnly) % unit !== 0n);
    return worst + (fractional ? 2 : 0);
  }
}

/**
 * Reads and validates a price table file (JSON). Throws `AppError('invalid_request')`
 * naming the file and every offending field.
 */
export function loadPriceTable(path: string): PriceTable {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new AppError(
      'invalid_request',
      `cannot read price table "${path}": ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const result = validatePriceTable(json);
  if (!result.ok) throw new AppError('invalid_request', `${path}: ${result.error.message}`);
  return result.data;
}

let bundled: PriceTable | undefined;

/** The price table shipped in resources/pricing.json (validated once). */
export function defaultPriceTable(): PriceTable {
  if (!bundled) {
    const result = validatePriceTable(bundledPrices);
    // A broken shipped table is a build defect, not a user error.
    if (!result.ok) throw new AppError('internal', `resources/pricing.json: ${result.error.message}`);
    bundled = result.data;
  }
  return bundled;
}

/** A pricer over the shipped table. */
export function defaultPricer(): Pricer {
  return new Pricer(defaultPriceTable());
}

/** Nano-dollars as a dollar string with all nine decimals, for exact test and log output. */
export function nanoToExactUsd(nano: number): string {
  const sign = nano < 0 ? '-' : '';
  const abs = Math.abs(nano);
  return `${sign}${Math.floor(abs / NANO_PER_USD)}.${String(abs % NANO_PER_USD).padStart(9, '0')}`;
}

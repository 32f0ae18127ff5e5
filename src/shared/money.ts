/**
 * Money is integer nano-dollars (1 USD = 1e9 nano) everywhere it is stored or summed.
 * Dollars as decimals exist only at the edges: what a person types and reads.
 */
export const NANO_PER_USD = 1_000_000_000;

/** Largest budget a design may carry: $1,000,000 keeps every sum far below 2^53 nano. */
export const MAX_BUDGET_USD = 1_000_000;

/**
 * Converts dollars to nano-dollars exactly for any value written with at most 9
 * decimals (parsing the decimal string avoids binary float drift such as 0.1 * 1e9).
 */
export function usdToNano(usd: number): number {
  if (!Number.isFinite(usd)) throw new RangeError(`not a finite amount: ${usd}`);
  const negative = usd < 0;
  const [whole, frac = ''] = Math.abs(usd).toFixed(9).split('.');
  const nano = Number(whole) * NANO_PER_USD + Number(frac.padEnd(9, '0').slice(0, 9));
  return negative ? -nano : nano;
}

/** Converts nano-dollars to a dollar number (for display and file formats only). */
export function nanoToUsd(nano: number): number {
  return nano / NANO_PER_USD;
}

// Built once: `toLocaleString` with options builds a new Intl.NumberFormat on every call,
// which was the renderer's top JS cost while 1,000 agents' costs streamed in (bench:ui).
const CENTS = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const SUB_CENTS = new Intl.NumberFormat('en-US', { minimumFractionDigits: 4, maximumFractionDigits: 4 });

/** Formats nano-dollars for people: "$12.34", or more digits for sub-cent amounts. */
export function formatUsd(nano: number): string {
  const usd = nanoToUsd(nano);
  const abs = Math.abs(usd);
  const format = abs !== 0 && abs < 0.01 ? SUB_CENTS : CENTS;
  return `${usd < 0 ? '-' : ''}$${format.format(abs)}`;
}

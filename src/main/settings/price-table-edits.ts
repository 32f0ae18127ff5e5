import { validatePriceTable, type PriceRow, type PriceTable } from '../../shared/pricing.js';
import { AppError } from '../../shared/result.js';

/**
 * Rules for editing the price table. Ledger rows name the price row that priced them, so
 * a row's prices are history: changing them would make old calls disagree with the table
 * that claims to have priced them. A new price is a new row with a later `effectiveFrom`.
 */

const sameRow = (a: PriceRow, b: PriceRow): boolean =>
  (Object.keys(a) as (keyof PriceRow)[]).every((k) => a[k] === b[k]) &&
  (Object.keys(b) as (keyof PriceRow)[]).every((k) => a[k] === b[k]);

/**
 * Throws `invalid_request` naming the row when `next` changes or drops a row of
 * `current`; rows may only be added (and the note edited).
 */
export function checkPriceTableEdit(current: PriceTable, next: PriceTable): void {
  const nextById = new Map(next.rows.map((row, index) => [row.id, { row, index }]));
  for (const row of current.rows) {
    const found = nextById.get(row.id);
    if (!found) {
      throw new AppError(
        'invalid_request',
        `priceTable.rows: price row "${row.id}" cannot be removed; calls may have been priced with it. ` +
          'To change a price, add a new row with a later effectiveFrom.',
      );
    }
    if (!sameRow(row, found.row)) {
      const changed = (Object.keys(row) as (keyof PriceRow)[]).filter((k) => row[k] !== found.row[k]);
      throw new AppError(
        'invalid_request',
        `priceTable.rows.${found.index}.${changed[0] ?? 'id'}: price row "${row.id}" cannot be edited; calls may ` +
          'have been priced with it. Add a new row with a later effectiveFrom instead.',
      );
    }
  }
}

/**
 * A stored table plus the bundled rows it does not have (a newer app version may ship new
 * prices), skipping any that would clash with a stored row. Falls back to the stored
 * table alone if the merge does not validate.
 */
export function withBundledRows(stored: PriceTable, bundled: PriceTable): PriceTable {
  const ids = new Set(stored.rows.map((r) => r.id));
  const starts = new Set(stored.rows.map((r) => `${r.model}|${Date.parse(r.effectiveFrom)}`));
  const added = bundled.rows.filter((r) => !ids.has(r.id) && !starts.has(`${r.model}|${Date.parse(r.effectiveFrom)}`));
  if (added.length === 0) return stored;
  const merged = validatePriceTable({ ...stored, rows: [...stored.rows, ...added] });
  return merged.ok ? merged.data : stored;
}
